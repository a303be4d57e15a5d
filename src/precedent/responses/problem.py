"""The body of every error response: RFC 9457 problem details."""

from __future__ import annotations

from pydantic import Field

from precedent.responses.base import ResponseModel

__all__ = ["PROBLEM_JSON", "FieldProblem", "ProblemDetails"]

PROBLEM_JSON = "application/problem+json"


class FieldProblem(ResponseModel):
    """One refused argument of a request: which, where it was sent, and why."""

    field: str = Field(description="the parameter or body field, e.g. limit")
    source: str = Field(description="where it was sent: query, path, header or body")
    message: str = Field(description="why it was refused, and what to send instead")


class ProblemDetails(ResponseModel):
    """What went wrong and what to do about it (``detail`` says which argument to change)."""

    type: str = Field(default="about:blank", description="a URI naming the kind of problem")
    title: str = Field(
        description="the kind of problem, e.g. NotFound, InvalidQuery (a query parameter) or InvalidBody "
        "(the JSON body or one of its fields)"
    )
    status: int = Field(description="the HTTP status code")
    detail: str = Field(description="what went wrong, and what to change")
    # A typed item (it was a free-form map): a generated client reads `errors[0].field`.
    errors: list[FieldProblem] | None = Field(
        default=None, description="for invalid requests: each field that was rejected and why"
    )
