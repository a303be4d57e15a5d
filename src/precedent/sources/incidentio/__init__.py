"""The incident.io API client."""

__all__: list[str] = []
