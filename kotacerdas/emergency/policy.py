"""The capabilities the emergency app checks.

The strings are granted to roles in accounts.policy; they are repeated here so that emergency
does not import accounts' internals, and a test keeps both in step.

- DESK: the 119 desk (call-takers and dispatchers): record calls, triage, dispatch, cancel,
  take units in and out of service; sees every incident of the regency.
- VIEW_PATIENT: read patient details (health data): the desk. The assigned crew reads its own
  incident's patients through the crew page (crew membership is the check there). Every read
  is audited.
- CREW: use the crew page for the units one is crew of (Unit.crew); nothing else.
- MANAGE_FLEET: stations, units, crews, access-time overrides (administrators; agency heads
  for their own agency's stations).
- VIEW_PERFORMANCE: response-time figures (the desk, agency heads, the Council, administrators).
"""

from __future__ import annotations

DESK = "emergency.desk"
VIEW_PATIENT = "emergency.view_patient"
CREW = "emergency.crew"
MANAGE_FLEET = "emergency.manage_fleet"
VIEW_PERFORMANCE = "emergency.view_performance"
