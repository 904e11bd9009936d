"""Audit events as sentences for the back office. Apps may register phrasing for their actions;
anything unregistered reads from its dotted name's last two parts."""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

_phrases: dict[str, Promise | str] = {
    "kotacerdas.accounts.citizen.registered": gettext_lazy("%(actor)s registered as a citizen"),
    "kotacerdas.accounts.citizen.nik_revealed": gettext_lazy(
        "%(actor)s viewed the full NIK of %(object)s"
    ),
    "kotacerdas.accounts.user.signed_in": gettext_lazy("%(actor)s signed in"),
    "kotacerdas.accounts.user.contact_updated": gettext_lazy(
        "%(actor)s updated the contact details of %(object)s"
    ),
    "kotacerdas.accounts.user.activated": gettext_lazy(
        "%(actor)s activated the account of %(object)s"
    ),
    "kotacerdas.accounts.user.deactivated": gettext_lazy(
        "%(actor)s deactivated the account of %(object)s"
    ),
    "kotacerdas.accounts.staff.created": gettext_lazy(
        "%(actor)s created the staff account %(object)s"
    ),
    "kotacerdas.accounts.membership.granted": gettext_lazy("%(actor)s granted the role %(object)s"),
    "kotacerdas.accounts.membership.revoked": gettext_lazy("%(actor)s removed the role %(object)s"),
    "kotacerdas.accounts.agency.created": gettext_lazy("%(actor)s created the agency %(object)s"),
    "kotacerdas.accounts.agency.updated": gettext_lazy("%(actor)s changed the agency %(object)s"),
    "kotacerdas.accounts.agency.imported": gettext_lazy("%(actor)s imported the agency list"),
    "kotacerdas.accounts.otp.enrolled": gettext_lazy("%(actor)s set up two-step verification"),
    "kotacerdas.accounts.otp.reset": gettext_lazy(
        "%(actor)s reset the authenticator of %(object)s"
    ),
    "kotacerdas.accounts.token.created": gettext_lazy("%(actor)s created the API token %(object)s"),
    "kotacerdas.accounts.token.revoked": gettext_lazy("%(actor)s revoked the API token %(object)s"),
}


def register_phrase(action: str, phrase: Promise | str) -> None:
    _phrases[action] = phrase


def describe(event: Any) -> str:
    actor = event.actor_label or _("system")
    obj = event.object_repr or f"{event.object_type} {event.object_id}".strip()
    phrase = _phrases.get(event.action)
    if phrase is not None:
        return str(phrase) % {"actor": actor, "object": obj}
    parts = event.action.split(".")
    what = " ".join(parts[-2:]) if len(parts) >= 2 else event.action
    return _("%(actor)s: %(what)s %(object)s") % {"actor": actor, "what": what, "object": obj}


def changes(event: Any) -> list[tuple[str, Any, Any]]:
    """(field, before, after) for the fields that differ."""
    before = event.before or {}
    after = event.after or {}
    keys = list(dict.fromkeys([*before.keys(), *after.keys()]))
    return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]
