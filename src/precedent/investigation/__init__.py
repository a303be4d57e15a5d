"""Investigations seeded from incidents: similar incidents, owners, on-call, lessons."""

__all__: list[str] = []
