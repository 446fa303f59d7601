"""The library's public face: every use case the CLI (and a script) calls, as ``api.<name>``.

Nothing is decided here; each name comes from the module that holds its job. Read them in
the order a case flows (README's map of modules):

- ``cases.py``: add, edit, close, reopen, delete, list and show a case, tick its checklist;
  every write re-plans the case in the same transaction.
- ``case_config.py``: what the config says about one case (its closures, window, template).
- ``planning.py``: the case's reminders in the outbox; re-planning after a config change.
- ``delivery.py``: the daemon's sending (``deliver_due``); ``outbox_leases.py``: reminders that
  failed for good, put back to be sent (``retry_failed``, ``reminder notify retry``).
- ``evidence_api.py``, ``dossier_api.py``, ``ics_api.py``: the evidence log, the dossier and
  the calendar file.
- ``status.py``, ``housekeeping.py``: ``reminder status``, and the daemon's hourly upkeep.

The caller reads the clock once and passes ``now`` (an aware datetime) down. Importing this
module stays cheap: the modules above import their heavy dependencies inside functions.
"""

from __future__ import annotations

# Each name loads its module when first used: `reminder show` needs cases.py, not the
# dossier's PDF code or the daemon's delivery (the modules import their own heavy parts late too).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import ModuleType

    from .case_config import case_today, submission_day
    from .case_lines import (
        CaseColumns,
        CaseLine,
        list_case_columns,
        list_case_lines,
        list_cases_json,
        write_cases_json,
    )
    from .cases import (
        CaseView,
        add_case,
        check_item,
        close_case,
        delete_case,
        edit_case,
        get_case_view,
        list_cases,
        refresh_windows,
        reopen_case,
    )
    from .delivery import DispatchReport, deliver_due
    from .dossier_api import build_dossier, export_dossier, export_dossier_checked, save_dossier
    from .evidence_api import correction_source, get_evidence, list_evidence, log_evidence, verify_evidence
    from .housekeeping import housekeeping
    from .ics_api import export_ics, sync_ics, write_ics
    from .outbox_leases import RetryReport, retry_failed
    from .planning import (
        list_reminders,
        notifier_routes,
        plan_case,
        plan_fingerprint,
        policy_for,
        replan_all,
        replan_if_changed,
    )
    from .status import reminder_status, sending_holders

_HOMES = {
    "CaseColumns": "case_lines",
    "CaseLine": "case_lines",
    "CaseView": "cases",
    "DispatchReport": "delivery",
    "RetryReport": "outbox_leases",
    "add_case": "cases",
    "build_dossier": "dossier_api",
    "case_today": "case_config",
    "check_item": "cases",
    "close_case": "cases",
    "correction_source": "evidence_api",
    "delete_case": "cases",
    "deliver_due": "delivery",
    "edit_case": "cases",
    "export_dossier": "dossier_api",
    "export_dossier_checked": "dossier_api",
    "export_ics": "ics_api",
    "get_case_view": "cases",
    "get_evidence": "evidence_api",
    "housekeeping": "housekeeping",
    "list_case_columns": "case_lines",
    "list_case_lines": "case_lines",
    "list_cases": "cases",
    "list_cases_json": "case_lines",
    "write_cases_json": "case_lines",
    "list_evidence": "evidence_api",
    "list_reminders": "planning",
    "log_evidence": "evidence_api",
    "notifier_routes": "planning",
    "plan_case": "planning",
    "plan_fingerprint": "planning",
    "policy_for": "planning",
    "refresh_windows": "cases",
    "reminder_status": "status",
    "reopen_case": "cases",
    "replan_all": "planning",
    "replan_if_changed": "planning",
    "retry_failed": "outbox_leases",
    "save_dossier": "dossier_api",
    "sending_holders": "status",
    "submission_day": "case_config",
    "sync_ics": "ics_api",
    "verify_evidence": "evidence_api",
    "write_ics": "ics_api",
}


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module: ModuleType
    if home == "case_config":
        from . import case_config as module
    elif home == "case_lines":
        from . import case_lines as module
    elif home == "cases":
        from . import cases as module
    elif home == "delivery":
        from . import delivery as module
    elif home == "dossier_api":
        from . import dossier_api as module
    elif home == "evidence_api":
        from . import evidence_api as module
    elif home == "housekeeping":
        from . import housekeeping as module
    elif home == "ics_api":
        from . import ics_api as module
    elif home == "outbox_leases":
        from . import outbox_leases as module
    elif home == "planning":
        from . import planning as module
    elif home == "status":
        from . import status as module
    else:  # pragma: no cover - _HOMES names only the modules above
        raise AttributeError(name)
    value = getattr(module, name)
    globals()[name] = value  # once: the next lookup is a plain global
    return value


__all__ = [
    "CaseColumns",
    "CaseLine",
    "CaseView",
    "DispatchReport",
    "RetryReport",
    "add_case",
    "build_dossier",
    "case_today",
    "check_item",
    "close_case",
    "correction_source",
    "delete_case",
    "deliver_due",
    "edit_case",
    "export_dossier",
    "export_dossier_checked",
    "export_ics",
    "get_case_view",
    "get_evidence",
    "housekeeping",
    "list_case_columns",
    "list_case_lines",
    "list_cases",
    "list_cases_json",
    "list_evidence",
    "list_reminders",
    "log_evidence",
    "notifier_routes",
    "plan_case",
    "plan_fingerprint",
    "policy_for",
    "refresh_windows",
    "reminder_status",
    "reopen_case",
    "replan_all",
    "replan_if_changed",
    "retry_failed",
    "save_dossier",
    "sending_holders",
    "submission_day",
    "sync_ics",
    "verify_evidence",
    "write_cases_json",
    "write_ics",
]
