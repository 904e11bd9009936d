"""/api/v1/council: masterplan programs (public reads) and their yearly targets (writes for
those allowed to change programs). The live indicators are core's GET /api/v1/indicators."""

# No `from __future__ import annotations` here: ninja reads the Query[...] parameter types at
# import time.
import datetime as dt
from decimal import Decimal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from kotacerdas.accounts.api_auth import API_AUTH
from kotacerdas.core.api_support import ErrorOut, Pagination
from kotacerdas.core.dimensions import Dimension

from . import selectors, services
from .models import Program, ProgramStatus, ProgramTarget

router = Router()


class AgencyOut(Schema):
    code: str
    short_name: str
    name: str


class TargetOut(Schema):
    year: int
    indicator: str
    unit: str
    target: float
    realisation: float | None
    percent: float | None
    updated_at: dt.datetime

    @staticmethod
    def from_row(row: ProgramTarget) -> "TargetOut":
        return TargetOut(
            year=row.year,
            indicator=row.indicator,
            unit=row.unit,
            target=float(row.target),
            realisation=None if row.realisation is None else float(row.realisation),
            percent=row.percent,
            updated_at=row.updated_at,
        )


class ProgramOut(Schema):
    code: str
    name: str
    dimension: Dimension
    description: str
    owner_agency: AgencyOut
    status: ProgramStatus
    is_quick_win: bool
    is_demo: bool
    updated_at: dt.datetime
    target: TargetOut | None = Field(
        None, description="The target of the year asked for (this year by default)."
    )

    @staticmethod
    def resolve_target(obj: Program) -> TargetOut | None:
        row = obj.year_target
        return TargetOut.from_row(row) if row is not None else None


class ProgramDetailOut(Schema):
    code: str
    name: str
    dimension: Dimension
    description: str
    owner_agency: AgencyOut
    status: ProgramStatus
    is_quick_win: bool
    is_demo: bool
    updated_at: dt.datetime
    targets: list[TargetOut]

    @staticmethod
    def resolve_targets(obj: Program) -> list[TargetOut]:
        return [TargetOut.from_row(t) for t in obj.loaded_targets]


class ProgramFilters(Schema):
    dimension: Dimension | None = None
    year: int | None = Field(None, ge=selectors.YEAR_MIN, le=selectors.YEAR_MAX)


class TargetIn(Schema):
    indicator: str = Field(..., min_length=1, max_length=200)
    unit: str = Field(..., min_length=1, max_length=40)
    target: Decimal = Field(..., ge=0)
    realisation: Decimal | None = Field(None, ge=0)
    expected_updated_at: dt.datetime | None = Field(
        None,
        description=(
            "The updated_at of the year's target as you last read it; a newer one on the "
            "server answers 409. Leave out to write regardless."
        ),
    )


@router.get("/programs", response={200: list[ProgramOut], 422: ErrorOut}, auth=None)
@paginate(Pagination)
def program_list(request: HttpRequest, filters: Query[ProgramFilters]):
    """Masterplan programs (public), each with the given year's target."""
    return selectors.program_list(
        actor=request.user,
        dimension=filters.dimension.value if filters.dimension else None,
        year=filters.year,
    )


@router.get("/programs/{code}", response={200: ProgramDetailOut, 404: ErrorOut}, auth=None)
def program_detail(request: HttpRequest, code: str) -> Program:
    return selectors.program_get(code=code, actor=request.user)


@router.put(
    "/programs/{code}/targets/{year}",
    response={
        200: TargetOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
    auth=API_AUTH,
)
def program_target_put(request: HttpRequest, code: str, year: int, payload: TargetIn) -> TargetOut:
    """Set a program's target and realisation for one year (needs council.change_program)."""
    program = selectors.program_get(code=code, actor=request.user)
    row = services.program_target_set(
        actor=request.user,
        program=program,
        year=year,
        indicator=payload.indicator,
        unit=payload.unit,
        target=payload.target,
        realisation=payload.realisation,
        expected_updated_at=payload.expected_updated_at,
    )
    return TargetOut.from_row(row)
