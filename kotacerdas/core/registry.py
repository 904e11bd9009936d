"""Entries that apps put on the three faces: portal services (by dimension) and back-office
modules. Apps register them in their AppConfig.ready(); the faces render what is registered."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise


@dataclass(frozen=True)
class PortalService:
    key: str
    dimension: str
    title: str | Promise
    description: str | Promise
    url_name: str = ""  # empty: announced, not yet available
    icon: str = "circle"
    order: int = 100


@dataclass(frozen=True)
class BackofficeModule:
    key: str
    title: str | Promise
    description: str | Promise
    url_name: str
    permission: str  # checked with user.has_perm(); the accounts backend maps roles to it
    order: int = 100


_portal: dict[str, PortalService] = {}
_backoffice: dict[str, BackofficeModule] = {}


def register_portal_service(entry: PortalService) -> None:
    """Register a service card. An announced entry (no url_name) never replaces a live one, so
    the module that delivers a service may register before or after its announcement."""
    current = _portal.get(entry.key)
    if current is not None and current.url_name and not entry.url_name:
        return
    _portal[entry.key] = entry


def register_backoffice_module(entry: BackofficeModule) -> None:
    _backoffice[entry.key] = entry


def portal_services() -> list[PortalService]:
    return sorted(_portal.values(), key=lambda e: (e.order, e.key))


def backoffice_modules(user: object) -> list[BackofficeModule]:
    has_perm = getattr(user, "has_perm", None)
    if has_perm is None:
        return []
    return sorted(
        (m for m in _backoffice.values() if has_perm(m.permission)), key=lambda e: (e.order, e.key)
    )
