"""The capabilities the council app checks.

The strings are the ones accounts.policy grants to roles (accounts.backends answers
`user.has_perm`); they are repeated here so that council does not import accounts' internals,
and a test keeps both in step.
"""

from __future__ import annotations

VIEW_DASHBOARD = "council.view_dashboard"
CHANGE_PROGRAM = "council.change_program"
