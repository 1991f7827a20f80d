"""Furano Meet: paperless council meetings with an end-to-end encrypted relay."""

__version__ = "0.1.0"
