"""The capabilities the reports app checks.

The strings are granted to roles in accounts.policy (accounts.backends answers
`user.has_perm`); they are repeated here so that reports does not import accounts' internals,
and a test keeps both in step.

- VIEW: read the reports in one's scope (agency roles: their agency's reports; desa/kecamatan
  staff: every report in their region, to know what happens there).
- HANDLE: act on them (verify, forward, ask, progress, complete). Desa and kecamatan staff act
  only on the categories the routing rules give to their level (selectors.actionable).
- VIEW_PERFORMANCE: an agency's figures and overdue list (agency heads; administrators).
- MANAGE_CATALOGUE: categories, routing, SLAs, reply templates, policy (administrators).
- MANAGE_OPEN311: Open311 API keys for third-party apps (administrators).
- RESPOND_ASPIRATION: answer aspirations on the Council's agenda (Council, administrators).
"""

from __future__ import annotations

VIEW = "reports.view_report"
HANDLE = "reports.handle_report"
VIEW_PERFORMANCE = "reports.view_performance"
MANAGE_CATALOGUE = "reports.manage_catalogue"
MANAGE_OPEN311 = "reports.manage_open311"
RESPOND_ASPIRATION = "reports.respond_aspiration"
