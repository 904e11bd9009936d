from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from kotacerdas.accounts.models import ApiToken
from kotacerdas.accounts.tests.factories import ALL_ROLES
from kotacerdas.accounts.tokens import token_generate
from kotacerdas.council.models import Program, ProgramTarget

from .conftest import ALLOWED_CHANGE, council_events

pytestmark = pytest.mark.django_db


def _put(client: Client, url: str, body: dict, **extra: Any) -> Any:
    return client.put(url, json.dumps(body), content_type="application/json", **extra)


def _state() -> tuple[list[Any], list[Any], int]:
    return (
        list(Program.objects.order_by("pk").values()),
        list(ProgramTarget.objects.order_by("pk").values()),
        council_events().count(),
    )


BODY = {"indicator": "Trips served", "unit": "trips", "target": 1500, "realisation": 700.5}


# --- reads --------------------------------------------------------------------------------------
def test_program_list_is_public_and_paginated(make_program, this_year):
    program = make_program(
        "ambulans", name="Ambulans", year=this_year, target="1200", realisation="900"
    )
    make_program("izin", name="Izin", dimension="economy")
    target = ProgramTarget.objects.get()

    response = Client().get("/api/v1/council/programs?limit=1")

    assert response.status_code == 200
    assert response.json() == {
        "count": 2,
        "items": [
            {
                "code": "izin", "name": "Izin", "dimension": "economy", "description": "",
                "owner_agency": {"code": "dinkes", "short_name": "Dinkes", "name": "Dinas Kesehatan"},
                "status": "running", "is_quick_win": False, "is_demo": False,
                "updated_at": response.json()["items"][0]["updated_at"], "target": None,
            }
        ],
    }  # fmt: skip
    second = Client().get("/api/v1/council/programs?limit=1&offset=1").json()["items"][0]
    assert second["code"] == program.code
    assert second["target"] == {
        "year": this_year, "indicator": "Trips served", "unit": "trips", "target": 1200.0,
        "realisation": 900.0, "percent": 75.0,
        "updated_at": target.updated_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }  # fmt: skip


def test_program_list_filters(make_program, this_year):
    make_program("a", dimension="living", year=this_year - 1)
    make_program("b", dimension="economy", year=this_year - 1)

    body = Client().get(f"/api/v1/council/programs?dimension=living&year={this_year - 1}").json()

    assert [(p["code"], p["target"]["year"]) for p in body["items"]] == [("a", this_year - 1)]
    assert body["count"] == 1


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("dimension=moon", {"dimension": ["Choose one of the allowed values."]}),
        ("year=1999", {"year": ["Must be at least 2000."]}),
        ("year=abc", {"year": ["Enter a number."]}),
        ("limit=0", {"limit": ["Must be between 1 and 200."]}),
    ],
)
def test_program_list_bad_filters_are_422(query, fields):
    response = Client().get(f"/api/v1/council/programs?{query}")
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == fields
    assert response.json()["error"]["code"] == "validation"


def test_program_list_query_count_does_not_grow(make_program, this_year, django_assert_num_queries):
    client = Client()
    make_program("p0", year=this_year)
    # count, programs with agencies, targets
    with django_assert_num_queries(3):
        assert client.get("/api/v1/council/programs").status_code == 200
    for i in range(1, 21):
        make_program(f"p{i}", year=this_year)
    with django_assert_num_queries(3):
        assert len(client.get("/api/v1/council/programs").json()["items"]) == 21


def test_program_detail(make_program, this_year, django_assert_num_queries):
    make_program("a", year=this_year - 1, target="10", realisation=None)
    program = Program.objects.get()
    ProgramTarget.objects.create(
        program=program, year=this_year, indicator="M", unit="%", target=50
    )

    with django_assert_num_queries(2):
        response = Client().get("/api/v1/council/programs/a")

    body = response.json()
    assert [(t["year"], t["target"], t["realisation"], t["percent"]) for t in body["targets"]] == [
        (this_year - 1, 10.0, None, None),
        (this_year, 50.0, None, None),
    ]
    assert body["owner_agency"]["code"] == "dinkes"


def test_program_detail_unknown_is_404():
    response = Client().get("/api/v1/council/programs/nope")
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "code": "council.program.not_found",
            "message": "There is no program with this code.",
        }
    }


# --- PUT /programs/{code}/targets/{year} --------------------------------------------------------
def test_put_target_as_admin(admin_client, make_program, this_year):
    make_program("a")

    response = _put(admin_client, f"/api/v1/council/programs/a/targets/{this_year}", BODY)

    assert response.status_code == 200
    row = ProgramTarget.objects.get()
    assert (row.year, row.target, row.realisation) == (
        this_year,
        Decimal("1500.00"),
        Decimal("700.50"),
    )
    body = response.json()
    assert {k: v for k, v in body.items() if k != "updated_at"} == {
        "year": this_year, "indicator": "Trips served", "unit": "trips", "target": 1500.0,
        "realisation": 700.5, "percent": 46.7,
    }  # fmt: skip
    event = council_events().get()
    assert event.action == "kotacerdas.council.program.target_set"
    assert event.after["realisation"] == "700.50"

    # The version the API returned is good for the next write; a stale one is a 409.
    version = body["updated_at"]
    ok = _put(
        admin_client,
        f"/api/v1/council/programs/a/targets/{this_year}",
        {**BODY, "realisation": 800, "expected_updated_at": version},
    )
    assert ok.status_code == 200
    stale = _put(
        admin_client,
        f"/api/v1/council/programs/a/targets/{this_year}",
        {**BODY, "realisation": 900, "expected_updated_at": version},
    )
    assert stale.status_code == 409
    assert stale.json() == {
        "error": {
            "code": "council.program.conflict",
            "message": "This was changed by someone else; reload and try again.",
        }
    }
    assert ProgramTarget.objects.get().realisation == Decimal("800.00")


def test_put_target_with_a_token(admin_user, make_program, this_year):
    make_program("a")
    token, prefix, digest = token_generate()
    ApiToken.objects.create(user=admin_user, name="integration", prefix=prefix, token_hash=digest)

    response = _put(
        Client(),
        f"/api/v1/council/programs/a/targets/{this_year}",
        BODY,
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code == 200
    assert council_events().get().actor_id == admin_user.pk


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({**BODY, "target": -1}, {"target": ["Must be at least 0."]}),
        ({**BODY, "realisation": -5}, {"realisation": ["Must be at least 0."]}),
        ({**BODY, "target": "lots"}, {"target": ["This value is not valid."]}),
        ({"unit": "trips", "target": 1}, {"indicator": ["This field is required."]}),
        ({**BODY, "target": "1.001"}, {"target": ["At most two decimal places."]}),
        ({**BODY, "expected_updated_at": "2026-01-01T00:00:00"}, {"expected_updated_at": ["Give the time with its time zone."]}),
    ],
)  # fmt: skip
def test_put_target_validation_is_422_with_fields(
    admin_client, make_program, this_year, body, fields
):
    make_program("a")
    before = _state()

    response = _put(admin_client, f"/api/v1/council/programs/a/targets/{this_year}", body)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation"
    assert response.json()["error"]["fields"] == fields
    assert _state() == before


def test_put_target_year_out_of_range_is_422(admin_client, make_program):
    make_program("a")
    response = _put(admin_client, "/api/v1/council/programs/a/targets/1900", BODY)
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"year": ["Must be between 2000 and 2100."]}


def test_put_target_unknown_program_is_404(admin_client):
    response = _put(admin_client, "/api/v1/council/programs/nope/targets/2026", BODY)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "council.program.not_found"


def test_put_target_without_auth_is_401(make_program, this_year):
    make_program("a")
    before = _state()
    response = _put(Client(), f"/api/v1/council/programs/a/targets/{this_year}", BODY)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "auth.required"
    bad_token = _put(
        Client(),
        f"/api/v1/council/programs/a/targets/{this_year}",
        BODY,
        HTTP_AUTHORIZATION="Bearer kc_not_a_real_token_at_all",
    )
    assert bad_token.status_code == 401
    assert _state() == before


def test_put_target_as_citizen_is_403(citizen_client, make_program, this_year):
    make_program("a")
    before = _state()
    response = _put(citizen_client, f"/api/v1/council/programs/a/targets/{this_year}", BODY)
    assert response.status_code == 403
    assert response.json() == {
        "error": {"code": "forbidden", "message": "You are not allowed to do this."}
    }
    assert _state() == before


@pytest.mark.parametrize("role", ALL_ROLES)
def test_put_target_role_matrix(role, client_for, make_program, this_year):
    make_program("a", year=this_year, target="100", realisation="10")
    before = _state()

    response = _put(client_for(role), f"/api/v1/council/programs/a/targets/{this_year}", BODY)

    if role in ALLOWED_CHANGE:
        assert response.status_code == 200
        assert ProgramTarget.objects.get().target == Decimal("1500.00")
    else:
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"
        assert _state() == before


def test_put_target_unverified_staff_session_is_403(
    unverified_admin_client, make_program, this_year
):
    make_program("a")
    before = _state()
    response = _put(
        unverified_admin_client, f"/api/v1/council/programs/a/targets/{this_year}", BODY
    )
    assert response.status_code == 403
    assert _state() == before
