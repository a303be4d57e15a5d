"""The body of every error response: RFC 9457 problem details."""

from __future__ import annotations

from pydantic import Field

from precedent.responses.base import ResponseModel

__all__ = ["PROBLEM_JSON", "ProblemDetails"]

PROBLEM_JSON = "application/problem+json"


class ProblemDetails(ResponseModel):
    """What went wrong and what to do about it (``detail`` says which argument to change)."""

    type: str = Field(default="about:blank", description="a URI naming the kind of problem")
    title: str = Field(
        description="the kind of problem, e.g. NotFound, InvalidQuery (a query parameter) or InvalidBody "
        "(the JSON body or one of its fields)"
    )
    status: int = Field(description="the HTTP status code")
    detail: str = Field(description="what went wrong, and what to change")
    errors: list[dict[str, str]] | None = Field(
        default=None, description="for invalid requests: each field that was rejected and why"
    )
