"""Mapping incident.io objects onto the knowledge map: sync, import, synthetic organisations."""

__all__: list[str] = []
