"""The capabilities the fire-detection app checks (granted to roles in accounts.policy; a test
keeps both in step).

- VIEW: the hotspot map, fire events and their ground checks. Desa and kecamatan staff see
  their own area; officers of the fire agencies (`FIRES_AGENCY_CODES`: BPBD, DLH, Damkar by
  default), the 119 desk, the Council and administrators see the whole regency. Officers of
  other agencies see nothing here.
- MANAGE: assign ground checks, move events through their states, import FIRMS files (fire
  agencies' officers and administrators).
- GROUND_CHECK: answer a ground check assigned to oneself or to one's desa/kecamatan.
- MANAGE_SENSORS: register, revoke and re-key building sensors (the owner agency's head for
  its own sensors; administrators for all).
"""

from __future__ import annotations

VIEW = "hotspots.view"
MANAGE = "hotspots.manage"
GROUND_CHECK = "hotspots.ground_check"
MANAGE_SENSORS = "hotspots.manage_sensors"
