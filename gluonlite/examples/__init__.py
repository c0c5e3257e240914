"""Runnable examples: ``python -m gluonlite.examples.<name>``."""
