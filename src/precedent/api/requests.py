"""The request bodies the API accepts (responses live in ``precedent.responses``)."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

__all__ = ["DescribedIncidentRequest"]


class DescribedIncidentRequest(BaseModel):
    """An incident described by the caller; it need not be in the map."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, description="the incident's title")
    summary: str = Field(default="", description="what is known so far")
    services: list[str] = Field(default_factory=list, description="affected services, by id or name")
    severity: str | None = Field(default=None, description="severity name, e.g. SEV1")
    type: str | None = Field(default=None, description="incident type name")
    declared_at: AwareDatetime | None = Field(default=None, description="when it was declared")
    before: AwareDatetime | None = Field(
        default=None, description="only incidents that started earlier (default: declared_at)"
    )
    exclude: list[str] = Field(default_factory=list, description="incident ids never to return")
    limit: int = Field(default=10, ge=1, le=100, description="how many results")
