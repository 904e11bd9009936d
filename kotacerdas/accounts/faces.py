"""What accounts puts on the faces: back-office modules (shown to those holding the permission)."""

from django.utils.translation import gettext_lazy as _

from kotacerdas.core.registry import BackofficeModule, register_backoffice_module

from . import policy

for entry in (
    BackofficeModule(
        "accounts.citizens",
        _("Citizens"),
        _("Registered citizens in your region."),
        "kantor:citizen_list",
        policy.VIEW_CITIZENS,
        order=20,
    ),
    BackofficeModule(
        "accounts.staff",
        _("Staff and roles"),
        _("Officers, their agencies, regions and roles."),
        "kantor:staff_list",
        policy.VIEW_STAFF,
        order=80,
    ),
    BackofficeModule(
        "accounts.agencies",
        _("Agencies (OPD)"),
        _("The regency's agencies."),
        "kantor:agency_list",
        policy.MANAGE_AGENCIES,
        order=81,
    ),
    BackofficeModule(
        "core.audit",
        _("Audit trail"),
        _("Who changed what, and when."),
        "kantor:audit_list",
        policy.VIEW_AUDIT,
        order=90,
    ),
    BackofficeModule(
        "accounts.tokens",
        _("API tokens"),
        _("Personal access tokens for integrations."),
        "kantor:token_list",
        policy.MANAGE_OWN_TOKENS,
        order=95,
    ),
):
    register_backoffice_module(entry)
