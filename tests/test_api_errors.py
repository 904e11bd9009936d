"""The API's one error format, everywhere, and the operations endpoints."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def error_of(response: Any) -> dict[str, Any]:
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = json.loads(response.content)
    assert set(body) == {"error"}, body
    assert {"code", "message"} <= set(body["error"]), body
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    return body["error"]


@pytest.mark.parametrize(
    "path", ["/api/v1/tidak-ada", "/api/v1/regions/tidak/ada/sama/sekali", "/api/v1/"]
)
def test_unknown_api_path_is_a_json_404(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_wrong_method_is_a_json_405_with_allow(client: Client) -> None:
    response = client.delete("/api/v1/indicators")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert "GET" in [m.strip() for m in response["Allow"].split(",")]


def test_validation_error_is_a_422_with_fields(citizen_client: Client) -> None:
    response = citizen_client.post(
        "/api/v1/notifications/read", data={"ids": "bukan-daftar"}, content_type="application/json"
    )
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation"
    assert list(error["fields"]) == ["ids"]
    assert all(isinstance(m, str) and m for m in error["fields"]["ids"])


def test_pagination_limit_is_validated(citizen_client: Client) -> None:
    response = citizen_client.get("/api/v1/notifications?limit=100000")
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation"
    assert list(error["fields"]) == ["limit"]


def test_query_parameter_type_error_is_a_422(client: Client) -> None:
    response = client.get("/api/v1/regions/lookup?lat=utara&lng=113")
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation"
    assert "lat" in error["fields"]


@pytest.mark.parametrize(
    "authorization",
    ["Bearer ini-bukan-token", "Bearer kc_", "Bearer kc_" + "x" * 200, "Basic dXNlcjpwYXNz", ""],
)
def test_bad_or_missing_credentials_are_a_json_401(client: Client, authorization: str) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = client.get("/api/v1/notifications", headers=headers)
    assert response.status_code == 401
    assert error_of(response)["code"] == "auth.required"


def test_openapi_schema_and_docs_answer(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    spec = schema.json()
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] == "Kota Cerdas API"
    assert "/api/v1/notifications" in spec["paths"]
    assert "/api/v1/indicators" in spec["paths"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"openapi.json" in docs.content


def test_healthz(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_readyz_reports_database_queue_and_worker(client: Client) -> None:
    from django.db import connection

    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"ok": True, "vendor": connection.vendor}
    assert body["checks"]["queue"] == {"ok": True, "ready_tasks": 0}
    assert body["checks"]["worker"]["ok"] is True


def test_readyz_fails_when_the_worker_heartbeat_is_stale(client: Client) -> None:
    import datetime as dt

    from django.utils import timezone

    from kotacerdas.core.models import WorkerHeartbeat

    WorkerHeartbeat.objects.create(name="worker", beat_at=timezone.now() - dt.timedelta(hours=1))
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["worker"]["ok"] is False
    assert body["checks"]["worker"]["age_seconds"] >= 3600


def test_metrics_are_hidden_from_anonymous_visitors(client: Client, settings: Any) -> None:
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    # An empty token must never match an empty bearer.
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


def test_metrics_answer_the_scraper_token(client: Client, settings: Any) -> None:
    settings.METRICS_TOKEN = "rahasia-prometheus-kotim"
    client.get("/healthz")  # at least one observed request
    assert client.get("/metrics", headers={"Authorization": "Bearer salah"}).status_code == 404
    response = client.get("/metrics", headers={"Authorization": "Bearer rahasia-prometheus-kotim"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert "# TYPE kotacerdas_http_requests_total counter" in text
    assert 'kotacerdas_http_requests_total{method="GET",route="healthz",status="200"}' in text
