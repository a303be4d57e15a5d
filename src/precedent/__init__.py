"""Precedent: a self-hostable knowledge map of production for incident response."""

__version__ = "0.1.0"
__all__ = ["__version__"]
