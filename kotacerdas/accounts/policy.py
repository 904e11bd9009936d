"""Capabilities in one place: which role grants which permission, and over what scope.

Permissions are Django permission strings answered by accounts.backends.AccountBackend (so any
app checks them with user.has_perm without importing this module). Staff permissions are only
granted to a session verified with TOTP: an officer who has not passed 2FA holds nothing but
what a citizen holds.
"""

from __future__ import annotations

from .models import Role

VIEW_AUDIT = "core.view_audit_trail"
VIEW_METRICS = "core.view_metrics"
BACKOFFICE = "accounts.access_backoffice"
MANAGE_AGENCIES = "accounts.manage_agencies"
MANAGE_STAFF = "accounts.manage_staff"
VIEW_STAFF = "accounts.view_staff"
VIEW_CITIZENS = "accounts.view_citizens"
VIEW_CITIZEN_IDENTITY = "accounts.view_citizen_identity"
MANAGE_OWN_TOKENS = "accounts.manage_own_tokens"
VIEW_COUNCIL_DASHBOARD = "council.view_dashboard"
CHANGE_PROGRAM = "council.change_program"
REPORTS_VIEW = "reports.view_report"
REPORTS_HANDLE = "reports.handle_report"
REPORTS_VIEW_PERFORMANCE = "reports.view_performance"
REPORTS_MANAGE_CATALOGUE = "reports.manage_catalogue"
REPORTS_MANAGE_OPEN311 = "reports.manage_open311"
REPORTS_RESPOND_ASPIRATION = "reports.respond_aspiration"
EMERGENCY_DESK = "emergency.desk"
EMERGENCY_VIEW_PATIENT = "emergency.view_patient"
EMERGENCY_CREW = "emergency.crew"
EMERGENCY_MANAGE_FLEET = "emergency.manage_fleet"
EMERGENCY_VIEW_PERFORMANCE = "emergency.view_performance"
FIRES_VIEW = "hotspots.view"
FIRES_MANAGE = "hotspots.manage"
FIRES_GROUND_CHECK = "hotspots.ground_check"
FIRES_MANAGE_SENSORS = "hotspots.manage_sensors"

_STAFF_BASE = {BACKOFFICE, MANAGE_OWN_TOKENS}
_REPORT_HANDLER = {REPORTS_VIEW, REPORTS_HANDLE}
# Fire detection: agency roles reach it only in the fire agencies (FIRES_AGENCY_CODES), which
# the hotspots app checks when it scopes.
_FIRE_FIELD = {FIRES_VIEW, FIRES_GROUND_CHECK}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.WARGA: frozenset(),
    Role.OPERATOR_DESA: frozenset(
        _STAFF_BASE | _REPORT_HANDLER | _FIRE_FIELD | {VIEW_CITIZENS, VIEW_CITIZEN_IDENTITY}
    ),
    Role.KEPALA_DESA: frozenset(_STAFF_BASE | _REPORT_HANDLER | _FIRE_FIELD | {VIEW_CITIZENS}),
    Role.OPERATOR_KECAMATAN: frozenset(
        _STAFF_BASE | _REPORT_HANDLER | _FIRE_FIELD | {VIEW_CITIZENS, VIEW_CITIZEN_IDENTITY}
    ),
    # Crew of an ambulance or fire truck are agency officers named on the unit (Unit.crew).
    Role.PETUGAS_OPD: frozenset(
        _STAFF_BASE | _REPORT_HANDLER | _FIRE_FIELD | {EMERGENCY_CREW, FIRES_MANAGE}
    ),
    Role.KEPALA_OPD: frozenset(
        _STAFF_BASE
        | _REPORT_HANDLER
        | {
            VIEW_STAFF,
            VIEW_COUNCIL_DASHBOARD,
            REPORTS_VIEW_PERFORMANCE,
            EMERGENCY_MANAGE_FLEET,
            EMERGENCY_VIEW_PERFORMANCE,
            FIRES_MANAGE,
            FIRES_MANAGE_SENSORS,
        }
        | _FIRE_FIELD
    ),
    Role.DISPATCHER: frozenset(
        _STAFF_BASE
        | {EMERGENCY_DESK, EMERGENCY_VIEW_PATIENT, EMERGENCY_VIEW_PERFORMANCE, FIRES_VIEW}
    ),
    Role.DEWAN: frozenset(
        _STAFF_BASE
        | {
            VIEW_COUNCIL_DASHBOARD,
            REPORTS_RESPOND_ASPIRATION,
            EMERGENCY_VIEW_PERFORMANCE,
            FIRES_VIEW,
        }
    ),
    Role.ADMIN: frozenset(
        _STAFF_BASE
        | {
            VIEW_AUDIT,
            VIEW_METRICS,
            MANAGE_AGENCIES,
            MANAGE_STAFF,
            VIEW_STAFF,
            VIEW_CITIZENS,
            VIEW_CITIZEN_IDENTITY,
            VIEW_COUNCIL_DASHBOARD,
            CHANGE_PROGRAM,
            REPORTS_VIEW,
            REPORTS_HANDLE,
            REPORTS_VIEW_PERFORMANCE,
            REPORTS_MANAGE_CATALOGUE,
            REPORTS_MANAGE_OPEN311,
            REPORTS_RESPOND_ASPIRATION,
            EMERGENCY_MANAGE_FLEET,
            EMERGENCY_VIEW_PERFORMANCE,
            FIRES_VIEW,
            FIRES_MANAGE,
            FIRES_MANAGE_SENSORS,
        }
    ),
}

# How a membership of each role is scoped: by its region, by its agency, or regency-wide.
REGION_SCOPED = frozenset({Role.OPERATOR_DESA, Role.KEPALA_DESA, Role.OPERATOR_KECAMATAN})
AGENCY_SCOPED = frozenset({Role.PETUGAS_OPD, Role.KEPALA_OPD})
REGENCY_WIDE = frozenset({Role.DISPATCHER, Role.DEWAN, Role.ADMIN})

# What a membership of each role must name (checked by accounts.services.membership_create).
REQUIRES_VILLAGE = frozenset({Role.WARGA, Role.OPERATOR_DESA, Role.KEPALA_DESA})
REQUIRES_KECAMATAN = frozenset({Role.OPERATOR_KECAMATAN})
REQUIRES_AGENCY = frozenset({Role.PETUGAS_OPD, Role.KEPALA_OPD})

ALL_PERMISSIONS = frozenset().union(*ROLE_PERMISSIONS.values())
