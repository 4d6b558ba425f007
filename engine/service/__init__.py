"""The HTTP service (edge): FastAPI over the public engine API, with a decision log in a database.

Nothing in the engine core imports this package; it adds no scoring logic of its own.
"""
