"""The command line (click) and the batch pool it drives; ``cli.py`` at the top only starts it."""
