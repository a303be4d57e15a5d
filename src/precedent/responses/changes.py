"""Change events as every surface returns them: what recording did, and a service's changes page by page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from precedent.investigation import Change
from precedent.responses.base import ResponseModel
from precedent.retrieval.catalog import did_you_mean, suggest_services

if TYPE_CHECKING:
    from precedent.browse.changes import ServiceChanges
    from precedent.ingest.changes import RecordedChange
    from precedent.store import GraphStore

__all__ = ["ChangesPageResponse", "RecordedChangeResponse"]


class RecordedChangeResponse(ResponseModel):
    """What recording a change did, and whether it is linked to a service yet."""

    id: str = Field(description="the change's id in the map (recording the same `id` again replaces it)")
    service: str
    service_id: str | None = Field(description="null while the map has no such service")
    linked: bool
    created: bool = Field(description="false when it replaced a change recorded with the same id")
    message: str

    services_meant: list[str] = Field(
        default=[], description="services in the map the name is close to, when it is linked to none"
    )

    @classmethod
    async def from_recorded(cls, store: GraphStore, recorded: RecordedChange) -> RecordedChangeResponse:
        """Render what recording did; for a service the map lacks, the services meant, if any.

        A change for a service not synced yet is kept on purpose, but a misspelt one ("paymnts-api")
        was accepted in the same words and never appeared in an investigation: CI passed in silence.
        """
        name = recorded.service_name
        meant = () if recorded.linked else (await suggest_services(store, [name]))[name]
        if recorded.linked:
            message = f"linked to {name}"
        else:
            asked = f" ({did_you_mean(meant)} If so, record it again under that name.)" if meant else ""
            message = (
                f"the map has no service {name!r} yet{asked}; the change will be linked when the next "
                "import or sync brings it"
            )
        return cls(
            id=recorded.id,
            service=name,
            service_id=recorded.service_id,
            linked=recorded.linked,
            created=recorded.created,
            message=message,
            services_meant=list(meant),
        )


class ChangesPageResponse(ResponseModel):
    """A page of one service's changes, newest first."""

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
