"""The HTTP API (litestar)."""

__all__: list[str] = []
