from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate

from . import selectors, services
from .api_support import ErrorOut, Pagination
from .indicators import registered

# Authentication for these endpoints is attached where the router is mounted (kotacerdas/api.py):
# core imports no other app, and the token auth belongs to accounts.
router = Router()


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    created_at: dt.datetime
    read_at: dt.datetime | None


class MarkReadIn(Schema):
    ids: list[int] | None = None


class MarkReadOut(Schema):
    marked: int


@router.get("/notifications", response={200: list[NotificationOut], 401: ErrorOut})
@paginate(Pagination)
def notification_list(request: HttpRequest) -> Any:
    return selectors.notification_list(actor=request.user)


@router.post("/notifications/read", response={200: MarkReadOut, 401: ErrorOut})
def notification_mark_read(request: HttpRequest, payload: MarkReadIn) -> MarkReadOut:
    return MarkReadOut(
        marked=services.notification_mark_read(actor=request.user, notification_ids=payload.ids)
    )


class IndicatorRowOut(Schema):
    label: str
    value: float
    code: str


class IndicatorOut(Schema):
    key: str
    dimension: str
    title: str
    description: str
    unit: str
    total: float | None
    rows: list[IndicatorRowOut]


@router.get("/indicators", response=list[IndicatorOut], auth=None)
def indicator_list(request: HttpRequest) -> list[IndicatorOut]:
    """Public aggregates: the indicators registered as public, computed now."""
    out = []
    for ind in registered(public_only=True):
        result = ind.compute()
        out.append(
            IndicatorOut(
                key=ind.key,
                dimension=ind.dimension,
                title=str(ind.title),
                description=str(ind.description),
                unit=str(ind.unit),
                total=result.total,
                rows=[
                    IndicatorRowOut(label=r.label, value=r.value, code=r.code) for r in result.rows
                ],
            )
        )
    return out
