"""The reminder plan of each case, kept in the outbox: what is sent, when, and through which notifier.

:func:`plan_case` runs inside the transaction that changes a case (``cases.py``), so a case
and its reminders never disagree. The daemon re-plans every open case only when something a
plan depends on besides the case changed (:func:`plan_fingerprint`). What the plan holds is
``plan.py``'s (pure); this module applies the config to it and writes it to ``outbox.py``.
"""

from __future__ import annotations

from datetime import datetime

from .case_config import closures_for, preset_steps_for, window_for
from .lazylog import get_logger
from .models import Case, Reminder, ReviewWindow
from .store import Store
from .wakeups import notify

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from .config import Settings
    from .plan import Policy

__all__ = [
    "REPLAN_BATCH",
    "list_reminders",
    "notifier_routes",
    "plan_case",
    "plan_fingerprint",
    "planned_reminders",
    "policy_for",
    "replan_all",
    "replan_if_changed",
]

log = get_logger(__name__)


def policy_for(settings: Settings, case: Case) -> Policy:
    """The ``[reminders]`` policy with the case's own ``--remind`` overrides applied."""
    from .plan import Policy

    r = settings.reminders
    base = Policy(
        hour=settings.defaults.hour,
        minute=settings.defaults.minute,
        before_open=r.before_open,
        opened=r.opened,
        before_deadline=r.before_deadline,
        deadline=r.deadline,
        escalation_every=r.escalation_every,
        escalation_max=r.escalation_max,
    )
    return base.with_overrides(case.remind)


def notifier_routes(settings: Settings) -> list[tuple[str, frozenset[str] | None]]:
    """(label, kinds it receives) for every enabled notifier, without building them.

    Building would import SMTP and D-Bus code; planning needs only names and kinds. Settings
    restored from the cache hold them as they were validated (settings_cache.py): validating
    the tables again imports every configured notifier's module and pydantic, which took
    ``add`` and ``edit`` from 70 to 170 ms for someone with an e-mail notifier.
    """
    kept = settings.kept_notifier_routes()
    if kept is not None:
        return kept
    if not settings.notifiers:
        return [("log", None)]  # as notifier_routes says, without importing the package
    from .notifiers import notifier_routes as routes_of

    return routes_of(settings.notifiers, config_file=settings.source)


def plan_case(
    store: Store,
    settings: Settings,
    case: Case,
    *,
    now: datetime,
    routes: list[tuple[str, frozenset[str] | None]] | None = None,
    window: ReviewWindow | None = None,
    wake_daemons: bool = True,
    existing_rows: Sequence[Sequence[object]] | None = None,
) -> list[Reminder]:
    """Re-plan one case's reminders into the outbox (inside the caller's transaction).

    ``case`` is as the caller read it in this transaction, under a lock (on PostgreSQL
    ``Store.get_case(lock=True)`` or ``case_batch(lock=True)``; SQLite's transaction holds the
    database): planned from a read that took none, a case closed meanwhile was given
    reminders again, planned, after its close had cancelled them.

    ``window``: the case's stored window when the caller has already read it.
    ``wake_daemons``, ``existing_rows``: see :func:`outbox.sync_plan`.
    """
    from . import outbox

    if case.status != "open":
        outbox.cancel_case(store, case.id, now)
        return []
    window = window or store.get_window(case.id) or window_for(settings, case)
    if case.preset and case.preset not in settings.presets:
        log.warning("case %s names unknown preset %r; no preset escalations planned", case.id, case.preset)
    reminders = planned_reminders(settings, case, window)
    routes = routes if routes is not None else notifier_routes(settings)
    wanted = [
        (reminder, label)
        for reminder in reminders
        for label, kinds in routes
        if kinds is None or reminder.kind in kinds
    ]
    outbox.sync_plan(store, case.id, wanted, now, wake_daemons=wake_daemons, existing_rows=existing_rows)
    return reminders


def planned_reminders(settings: Settings, case: Case, window: ReviewWindow) -> list[Reminder]:
    """The case's reminders: what the outbox holds and the calendar's alarms show (one plan)."""
    from .calendar import get_calendar
    from .plan import plan_reminders

    calendar = get_calendar(case.country, case.subdivision, closures_for(settings, case))
    return plan_reminders(
        case, window, policy_for(settings, case), calendar, preset_steps_for(settings, case, window, calendar)
    )


REPLAN_BATCH = 500


_PLAN_FINGERPRINT = "plan_fingerprint"


def plan_fingerprint(settings: Settings) -> str:
    """A hash of everything a case's plan depends on besides the case itself.

    The CLI re-plans a case in the transaction that changes it, so the daemon only
    needs to re-plan everything when one of these changed while it was not looking:
    the policy, the notifiers and what they receive, the closures and presets, the
    holiday data (package version and our override files), reminder's own version and the
    edition of the plan's rules (``plan.PLAN_RULES``).
    """
    import hashlib
    import json
    from importlib import resources

    from . import __version__
    from .calendar import HOLIDAYS_VERSION
    from .plan import PLAN_RULES

    overrides = resources.files("reminder").joinpath("data", "overrides")
    override_text = {
        f.name: f.read_text(encoding="utf-8")
        for f in sorted(overrides.iterdir(), key=lambda f: f.name)
        if f.name.endswith(".toml")
    }
    inputs = {
        "reminders": settings.reminders.model_dump(mode="json"),
        "hour": [settings.defaults.hour, settings.defaults.minute],
        "routes": sorted(
            (label, sorted(kinds) if kinds else None) for label, kinds in notifier_routes(settings)
        ),
        "closures": [c.model_dump(mode="json") for c in settings.closures],
        "presets": repr(sorted(settings.presets.items())),
        "holidays": HOLIDAYS_VERSION,
        "overrides": override_text,
        "reminder": __version__,
        "rules": PLAN_RULES,
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()


def replan_if_changed(store: Store, settings: Settings, *, now: datetime) -> int | None:
    """Re-plan every open case unless nothing a plan depends on changed since the last time.

    Returns how many cases were re-planned, or None when it was not needed (at 100,000
    cases that saves the daemon ~16 s at every start).
    """
    fingerprint = plan_fingerprint(settings)
    row = store.conn.execute("SELECT value FROM meta WHERE key = ?", (_PLAN_FINGERPRINT,)).fetchone()
    if row is not None and row[0] == fingerprint:
        return None
    count = replan_all(store, settings, now=now)
    # Written only once every batch is in: a crash half-way re-plans everything next time.
    with store.atomic():
        store.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (_PLAN_FINGERPRINT, fingerprint),
        )
    return count


def replan_all(store: Store, settings: Settings, *, now: datetime) -> int:
    """Re-plan every open case (after a config change or at start-up). Returns how many.

    A batch of cases at a time, each batch in its own transaction: the daemon holds
    one batch in memory, not 100,000 cases, and never holds the write lock long
    enough for a CLI command to time out waiting. Each case's plan is written whole.
    On PostgreSQL each batch holds its cases (shared) while it plans them: a command
    changing one of them waits for the batch's commit, at most one batch's time.
    """
    from . import outbox

    routes = notifier_routes(settings)
    count, after = 0, ""
    while True:
        with store.atomic():
            # Locked: a case closed (or changed) while the batch is planned waits for it, or is
            # read as the command left it, and a closed one is left out (see case_batch).
            batch = store.case_batch("open", after=after, limit=REPLAN_BATCH, lock=True)
            # The batch's outbox rows in one read, not one per case (a round trip each on PostgreSQL).
            rows = outbox.rows_by_case(store, [case.id for case, _ in batch])
            for case, window in batch:
                plan_case(
                    store,
                    settings,
                    case,
                    now=now,
                    routes=routes,
                    window=window,
                    wake_daemons=False,
                    existing_rows=rows[case.id],
                )
            if batch:
                notify(store)  # once a batch, not once a case (a shared store's daemons look now)
        if not batch:
            return count
        count += len(batch)
        after = batch[-1][0].id


def list_reminders(store: Store, case_id: str) -> list[dict[str, object]]:
    """The case's outbox rows for ``show --json``: kind, due, status, notifier, attempts, sent_at."""
    from . import outbox

    return [
        {
            "kind": d.kind,
            "key": d.key,
            "due": d.due.isoformat(),
            "status": d.status,
            "notifier": d.notifier,
            "attempts": d.attempts,
            "sent_at": d.sent_at.isoformat() if d.sent_at else None,
            "last_error": d.last_error,
            "step": d.note,  # what an escalation preset's step says to do
        }
        for d in outbox.list_deliveries(store, case_id)
    ]
