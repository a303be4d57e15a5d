"""The ``precedent`` command line."""

__all__: list[str] = []
