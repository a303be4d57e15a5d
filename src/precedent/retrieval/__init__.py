"""Finding similar past incidents and neighbourhoods, with explanations."""

__all__: list[str] = []
