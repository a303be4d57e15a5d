"""Change events as every surface returns them: what recording did, and a service's changes page by page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from precedent.investigation import Change

if TYPE_CHECKING:
    from precedent.browse.changes import ServiceChanges
    from precedent.ingest.changes import RecordedChange

__all__ = ["ChangesPageResponse", "RecordedChangeResponse"]


class RecordedChangeResponse(BaseModel):
    """What recording a change did, and whether it is linked to a service yet."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="the change's id in the map (recording the same `id` again replaces it)")
    service: str
    service_id: str | None = Field(description="null while the map has no such service")
    linked: bool
    created: bool = Field(description="false when it replaced a change recorded with the same id")
    message: str

    @classmethod
    def from_recorded(cls, recorded: RecordedChange) -> RecordedChangeResponse:
        """Render what recording did."""
        message = (
            f"linked to {recorded.service_name}"
            if recorded.linked
            else f"the map has no service {recorded.service_name!r} yet; the change will be linked "
            "when the next import or sync brings it"
        )
        return cls(
            id=recorded.id,
            service=recorded.service_name,
            service_id=recorded.service_id,
            linked=recorded.linked,
            created=recorded.created,
            message=message,
        )


class ChangesPageResponse(BaseModel):
    """A page of one service's changes, newest first."""

    model_config = ConfigDict(frozen=True)

    service: str = Field(description="the service as the map names it (or as a pending change does)")
    service_id: str | None = Field(description="null for a service the map does not know yet")
    items: list[Change]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last")

    @classmethod
    def from_page(cls, found: ServiceChanges) -> ChangesPageResponse:
        """Render a page of a service's changes."""
        return cls(
            service=found.service,
            service_id=found.service_id,
            items=list(found.page.items),
            next_cursor=found.page.next_cursor,
        )
