"""Query budgets of the core pages and endpoints: exact counts, and no growth with 20 more rows."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from kotacerdas.core import services


def notify(user: Any, n: int) -> None:
    for i in range(n):
        services.notification_send(recipient=user, kind="test", title=f"Kabar {i}", email=False)


@pytest.mark.django_db
def test_portal_home_for_a_visitor_needs_no_query(django_assert_num_queries: Any) -> None:
    client = Client()
    client.get("/")  # the services fragment is rendered and cached once per process
    with django_assert_num_queries(0):
        response = client.get("/")
    assert "Smart Governance" in response.content.decode()


@pytest.mark.django_db
def test_portal_home_for_a_citizen(
    citizen_client: Client, citizen: Any, django_assert_num_queries: Any
) -> None:
    citizen_client.get("/")
    # session, user, unread count
    with django_assert_num_queries(3):
        citizen_client.get("/")
    notify(citizen, 20)
    with django_assert_num_queries(3):
        response = citizen_client.get("/")
    assert "20" in response.content.decode()


@pytest.mark.django_db
def test_notifications_page(
    citizen_client: Client, citizen: Any, django_assert_num_queries: Any
) -> None:
    notify(citizen, 3)
    # session, user, unread count (context processor), page count, page rows
    with django_assert_num_queries(5):
        first = citizen_client.get("/notifikasi/")
    notify(citizen, 20)
    with django_assert_num_queries(5):
        second = citizen_client.get("/notifikasi/")
    assert first.content.decode().count("Kabar ") == 3
    assert second.content.decode().count("Kabar ") == 20  # one page of 20 of the 23


@pytest.mark.django_db
def test_notifications_api(
    citizen_client: Client, citizen: Any, django_assert_num_queries: Any
) -> None:
    notify(citizen, 3)
    with django_assert_num_queries(4):  # session, user, count, rows
        first = citizen_client.get("/api/v1/notifications")
    notify(citizen, 20)
    with django_assert_num_queries(4):
        second = citizen_client.get("/api/v1/notifications?limit=100")
    assert (first.json()["count"], len(second.json()["items"])) == (3, 23)
    assert second.json()["items"][0]["title"] == "Kabar 19"


@pytest.mark.django_db
def test_profile_page(citizen_client: Client, django_assert_num_queries: Any) -> None:
    # session, user, unread count, own profile (+desa), memberships
    with django_assert_num_queries(5):
        response = citizen_client.get("/akun/")
    assert "6202********" in response.content.decode()


@pytest.mark.django_db
def test_kantor_home_and_tokens(
    make_staff: Callable[..., Any],
    staff_client: Callable[[Any], Client],
    django_assert_num_queries: Any,
) -> None:
    admin = make_staff("admin")
    client = staff_client(admin)
    client.get("/kantor/")
    # session, user, OTP device, memberships, unread count
    with django_assert_num_queries(5):
        client.get("/kantor/")
    client.post("/kantor/token/", {"name": "integrasi-1", "expires_in_days": 30})
    with django_assert_num_queries(6):
        first = client.get("/kantor/token/")
    for i in range(20):
        client.post("/kantor/token/", {"name": f"integrasi-{i + 2}", "expires_in_days": 30})
    with django_assert_num_queries(6):
        second = client.get("/kantor/token/")
    assert first.content.decode().count("integrasi-") == 1
    assert second.content.decode().count("integrasi-") == 21
