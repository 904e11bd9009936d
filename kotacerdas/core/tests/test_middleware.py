"""The middleware chain: Indonesian first, request ids, and the async (ASGI) path."""

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.test import AsyncClient, Client

from kotacerdas.core.models import AuditEvent


@pytest.mark.django_db
def test_indonesian_is_served_whatever_the_browser_asks() -> None:
    response = Client().get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "id"
    assert "Layanan publik Kotawaringin Timur dalam satu tempat" in response.content.decode()


@pytest.mark.django_db
def test_the_language_cookie_switches_to_english() -> None:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/")
    assert response["Content-Language"] == "en"
    assert "Public services of Kotawaringin Timur, in one place" in response.content.decode()
    assert "Cookie" in response["Vary"]


@pytest.mark.django_db
def test_an_unknown_language_cookie_falls_back_to_indonesian() -> None:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "xx"
    assert client.get("/")["Content-Language"] == "id"


@pytest.mark.django_db
def test_a_signed_in_users_saved_language_is_used(citizen) -> None:
    citizen.language = "en"
    citizen.save(update_fields=["language"])
    client = Client()
    client.force_login(citizen)
    response = client.get("/")
    assert response["Content-Language"] == "en"
    assert f"Hello, {citizen.get_short_name()}" in response.content.decode()


@pytest.mark.django_db
def test_set_language_view_switches_and_redirects_back() -> None:
    client = Client()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/peta/"})
    assert (response.status_code, response["Location"]) == (302, "/peta/")
    assert client.get("/peta/")["Content-Language"] == "en"


@pytest.mark.django_db
def test_request_id_is_echoed_and_reaches_the_audit_trail(citizen) -> None:
    client = Client()
    client.force_login(citizen)
    response = client.post(
        "/akun/",
        {"phone": "081299990000", "email": "", "language": "id"},
        HTTP_X_REQUEST_ID="abc-123",
    )
    assert response.status_code == 302
    assert response["X-Request-ID"] == "abc-123"
    event = AuditEvent.objects.get(action="kotacerdas.accounts.user.contact_updated")
    assert (event.request_id, event.ip_address) == ("abc-123", "127.0.0.1")


@pytest.mark.django_db
def test_async_chain_serves_pages_and_api_errors() -> None:
    """Under ASGI the same chain answers in Indonesian and shapes API errors, without touching
    the database from the event loop (which would raise SynchronousOnlyOperation)."""

    async def run() -> list:
        client = AsyncClient()
        home = await client.get("/")
        missing = await client.get("/api/v1/nothing-here")
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        english = await client.get("/")
        return [home, missing, english]

    home, missing, english = async_to_sync(run)()
    assert home.status_code == 200
    assert "Layanan publik Kotawaringin Timur" in home.content.decode()
    assert missing.status_code == 404
    assert missing.json() == {
        "error": {
            "code": "not_found",
            "message": "Halaman yang Anda cari tidak ada atau sudah dipindahkan.",
        }
    }
    assert "Public services of Kotawaringin Timur" in english.content.decode()
