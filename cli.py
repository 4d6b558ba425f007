"""jixiao's command line: the click entry point (``python cli.py …`` or the ``jixiao`` console script).

The commands live in :mod:`engine.commands.main`; this file only starts them, so nothing generic is
installed as a top-level module.
"""

from engine.commands.main import main

if __name__ == "__main__":
    main()
