"""incident.io as a source: the async API client, pagination and rate limiting."""

__all__: list[str] = []
