"""The delivery engine: send what the outbox says is due, each notifier on its own thread.

:func:`deliver_due` is one daemon pass's sending. It folds what fell due while no daemon
ran (:func:`_take_due`), then streams each notifier its messages (:class:`_Stream`), with
what the notifier threads share — the report, the retry policy, the locks — in one
:class:`_Pass`. The outbox (``outbox.py``) says what is due, and its leases
(``outbox_leases.py``) claim each row and record every result; the messages are
``messages.py``'s; the notifiers are ``notifiers/``.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from .case_config import template_for
from .errors import InputError, ReminderError
from .lazylog import get_logger
from .message import Message
from .models import Case, Delivery, EvidenceEntry, ReviewWindow
from .store import Store

if TYPE_CHECKING:
    from .config import Settings
    from .notifiers.base import DeliveryResult, Notifier
    from .outbox_leases import RetryPolicy

__all__ = ["CHECKPOINT_ASIDE_FROM", "SEND_CHUNK", "DispatchReport", "deliver_due"]

log = get_logger(__name__)


@dataclass
class DispatchReport:
    """What one delivery pass did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    superseded: int = 0
    stopped_early: bool = False
    errors: list[str] = field(default_factory=list)


# Rows read, rendered and claimed at a time, as a notifier takes their messages.
SEND_CHUNK = 200


# From this many due messages (a catch-up), the WAL is checkpointed from another thread.
CHECKPOINT_ASIDE_FROM = 100


def _checkpoints_aside(store: Store, messages: int) -> contextlib.AbstractContextManager[None]:
    if messages >= CHECKPOINT_ASIDE_FROM:
        return store.checkpoints_aside()
    return contextlib.nullcontext()


class _Handover(Iterator[Message]):
    """The messages handed to one ``send_stream`` call, numbered as the notifier sees them.

    ``pending`` holds what was handed over and has no result yet, by that number; messages
    in ``again`` go first. ``operator.length_hint`` (PEP 424) says how many more may come:
    the e-mail notifier opens connections by it.
    """

    def __init__(
        self,
        source: Iterator[tuple[Delivery, Message]],
        again: deque[tuple[Delivery, Message]],
        untaken: Callable[[], int],
    ) -> None:
        self.source, self.again, self.untaken = source, again, untaken
        self.pending: dict[int, tuple[Delivery, Message]] = {}
        self.count = 0

    def __next__(self) -> Message:
        item = self.again.popleft() if self.again else next(self.source)
        self.pending[self.count] = item
        self.count += 1
        return item[1]

    def __length_hint__(self) -> int:
        return len(self.again) + self.untaken()


# A row to send, and how many earlier ones it replaces: (missed while no daemon ran, fallen due
# while the case was closed, due before the case was added, due before the change of the case
# that planned them, due before a re-plan no change of the case made planned them).
_Item = tuple[Delivery, tuple[int, int, int, int, int]]


class _Stopped(Exception):
    """Raised from a batch's ``on_result`` to end it early: the daemon was asked to stop."""


class _LeaseRanOut(_Stopped):
    """Raised from a batch's ``on_result`` to end it early: a send outlasted the lease, so
    another daemon may be sending the rest of what the notifier took."""


def deliver_due(
    store: Store,
    settings: Settings,
    notifiers: Sequence[Notifier],
    *,
    now: datetime,
    clock: Callable[[], datetime] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> DispatchReport:
    """Send everything the outbox says is due at ``now``.

    Per case and notifier, the reminders that fell due while no daemon ran, or while the case
    was closed, are folded into the latest due one — one message that says where things stand,
    and which of the two it replaces — and marked superseded: after 30 days off, or a reopening,
    one message per case, not a flood. Reminders due now (two at the same
    minute) each go out. Each notifier runs in its own
    thread with its own connection to the database, so a slow or failing channel
    never delays the others. It is streamed its messages (``Notifier.send_stream``):
    rows are read and committed ``sending`` a chunk at a time as it takes them, and
    each ``sent`` as soon as the notifier reports it accepted (``on_result``). So a
    crash can repeat only the messages in flight: one, or one per connection for
    e-mail over several.
    """
    from concurrent.futures import ThreadPoolExecutor

    shared = _Pass(store, settings, clock or (lambda: now), should_stop)
    work = _take_due(shared, now, {n.label for n in notifiers})
    if not work:  # nothing due, or only rows of notifiers no longer configured (failed above)
        return shared.report
    by_label = {n.label: n for n in notifiers}
    if len(work) == 1:
        ((label, items),) = work.items()
        _stream_to(shared, label, by_label[label], items)
    else:
        with ThreadPoolExecutor(max_workers=len(work), thread_name_prefix="notify") as pool:
            futures = [
                pool.submit(_stream_to, shared, label, by_label[label], items)
                for label, items in work.items()
            ]
            for future in futures:
                future.result()
    return shared.report


class _Pass:
    """What the threads of one pass share: the report, the retry policy, the clock, the stop
    request, and the two locks that keep the report and the database writes in order."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        clock: Callable[[], datetime],
        should_stop: Callable[[], bool],
    ) -> None:
        self.store, self.settings, self.clock, self.should_stop = store, settings, clock, should_stop
        self.report = DispatchReport()
        from . import outbox_leases

        self.retry = _retry_policy(settings)
        # Zero on SQLite (one daemon, the pid lock); on a shared store other daemons respect it.
        self.lease = outbox_leases.lease_for(store, settings.daemon.lease_seconds)
        self.lock = threading.Lock()  # around the report
        # The notifier threads' commits queue here, in this process, rather than in SQLite's busy
        # handler, which sleeps (1 ms, then 2, 5, 10, ...) before it looks at the lock again.
        self.writes = threading.Lock()

    def settle(self, own: Store, label: str, delivery: Delivery, result: DeliveryResult) -> None:
        """Record a notifier's result for one message, through the thread's own connection."""
        from . import outbox_leases

        report = self.report
        if result.ok:
            with self.writes:
                outbox_leases.mark_sent(own, delivery.id, self.clock())
            with self.lock:
                report.sent += 1
            return
        if result.retryable and self.should_stop():
            # Most likely cut short by the stop itself (Notifier.cancel): back to planned for
            # the next start, without counting an attempt against the reminder.
            with self.writes:
                outbox_leases.release(own, [delivery.id], self.clock())
            log.info(
                "%s: %s for case %s not sent (%s); next start",
                label,
                delivery.kind,
                delivery.case_id,
                result.detail,
            )
            with self.lock:
                report.stopped_early = True
            return
        with self.writes:
            status = outbox_leases.record_failure(
                own, delivery.id, result.detail, self.clock(), self.retry, retryable=result.retryable
            )
        log.warning("%s: %s for case %s failed (%s)", label, delivery.kind, delivery.case_id, result.detail)
        with self.lock:
            if status == "failed":
                report.failed += 1
            elif status == "planned":
                report.retried += 1
            # else "lost": another daemon took the row over while this one was held up past its
            # lease, and has likely sent it since; not this daemon's to retry (outbox_leases logs it).
            report.errors.append(f"{label}: {result.detail}")

    def unrenderable(self, own: Store, delivery: Delivery, detail: str) -> None:
        """A message that cannot be written (its case has no window): it fails for good."""
        from . import outbox_leases

        with self.writes:
            outbox_leases.record_failure(own, delivery.id, detail, self.clock(), self.retry, retryable=False)
        with self.lock:
            self.report.failed += 1

    def release(self, own: Store, delivery_ids: list[int]) -> None:
        """Put rows claimed and not sent back to planned; counted as cut short when asked to stop."""
        from . import outbox_leases

        with self.writes:
            outbox_leases.release(own, delivery_ids, self.clock())
        if self.should_stop():
            with self.lock:
                self.report.stopped_early = True


def _take_due(shared: _Pass, now: datetime, labels: set[str]) -> dict[str, list[_Item]] | None:
    """Per notifier, each case's latest due row and how many earlier ones were folded into it
    (missed while no daemon ran, fallen due while the case was closed, due before the case was
    added, due before the change of the case that planned them, due before a re-plan no change
    of the case made planned them); None when nothing is due.

    The folded rows are marked superseded, and the rows of a notifier no longer configured
    failed, all in one commit before anything is sent: spread over the chunks' claims instead,
    the same pages went to the log again and again, and a catch-up to smtp-sink took
    8.3-9.0 s instead of 6.9-8.4 s.
    """
    from . import outbox, outbox_leases

    store, retry, report = shared.store, shared.retry, shared.report
    # A retry planned before the wall clock went back must not wait months: it is planned
    # again from now (one read of meta when the clock did not go back).
    moved = outbox_leases.bound_retries(store, now, retry)
    if moved:
        log.warning("the clock went back: %d retry time(s) planned again from now", moved)
    # Fold only what fell due while no daemon ran (outbox.FOLD_MARGIN says why this grace).
    grace = timedelta(seconds=shared.settings.daemon.max_sleep_seconds) + outbox.FOLD_MARGIN
    due = outbox.due_folded(store, now, grace=grace)
    if not due:
        return None
    work: dict[str, list[_Item]] = {}
    folded: list[tuple[list[int], str]] = []
    unconfigured: list[tuple[Delivery, list[int]]] = []
    for latest, missed, closed, added, changed, planned in due:
        earlier = [*missed, *closed, *added, *changed, *planned]
        if latest.notifier in labels:
            replaced = (len(missed), len(closed), len(added), len(changed), len(planned))
            work.setdefault(latest.notifier, []).append((latest, replaced))
            if earlier:
                folded.append((earlier, latest.key))
        else:
            unconfigured.append((latest, earlier))
    with store.atomic():  # one commit for the whole catch-up, not one per case
        report.superseded = outbox.supersede_all(store, folded, now)
        from .delivery_errors import NOTIFIER_NOT_CONFIGURED, english

        for latest, earlier in unconfigured:
            # The notifier was removed from the config: nothing can send these.
            for delivery_id in [*earlier, latest.id]:
                outbox_leases.record_failure(
                    store,
                    delivery_id,
                    english(NOTIFIER_NOT_CONFIGURED, name=repr(latest.notifier)),
                    now,
                    retry,
                    retryable=False,
                )
                report.failed += 1
    if unconfigured:
        _say_unconfigured(store, unconfigured)
    return work


def _say_unconfigured(store: Store, unconfigured: list[tuple[Delivery, list[int]]]) -> None:
    """Log which notifiers' due reminders failed for good because this daemon's config lacks them.

    On a shared store the likely cause is two machines' configs that differ — the rows were
    planned by a command or a daemon whose config has the notifier — so the line says what to
    do: the same [notifiers] tables everywhere, then ``notify retry``.
    """
    from collections import Counter

    from . import outbox_leases

    counts = Counter[str]()
    for latest, earlier in unconfigured:
        counts[latest.notifier] += 1 + len(earlier)
    for name, n in sorted(counts.items()):
        log.warning(
            "%d due reminder(s) of notifier %r failed for good: this daemon's config has no such notifier%s;"
            " once it has, `reminder notify retry --notifier %s` sends them",
            n,
            name,
            " (every daemon and machine sharing this database needs the same [notifiers] tables: another"
            " one's config has it)"
            if outbox_leases.shared(store)
            else "",
            name,
        )


def _stream_to(shared: _Pass, label: str, notifier: Notifier, items: list[_Item]) -> None:
    """One notifier's share of the pass, on a connection of its own (sqlite3 connections are
    not shared across threads)."""
    store = shared.store
    with store.reopen() as own, _checkpoints_aside(own, len(items)):
        _Stream(shared, own, label, notifier, items).run()


class _Stream:
    """Stream a notifier its messages: rows are read, rendered and claimed a chunk at a time
    as the notifier takes them, and each is settled as soon as its result comes.

    A notifier that breaks its contract (raises in ``send_stream``) fails the message it was
    sending; those it took and never sent go to a fresh ``send_stream`` call first.
    """

    def __init__(self, shared: _Pass, own: Store, label: str, notifier: Notifier, items: list[_Item]) -> None:
        self.shared, self.own, self.label, self.notifier, self.items = shared, own, label, notifier, items
        # The notifier's own language (a table's `language`), else the user's: each notifier's
        # messages are rendered on its own thread, once each, so none costs another a render.
        self.language: str | None = getattr(notifier.options, "language", None)
        self.unsent: deque[Delivery] = deque()  # claimed, not handed to the notifier yet
        self.own_error: list[BaseException] = []  # what settling a result raised
        self.untaken = len(items)  # neither handed over nor failed nor found cancelled
        self.again: deque[tuple[Delivery, Message]] = deque()  # taken by a notifier that then broke
        self.source = self.claimed()
        self.handover = _Handover(self.source, self.again, self._untaken)
        # When this daemon last took or renewed its lease (None: no claim yet, or no lease).
        self.held_at: datetime | None = None
        self.lease_ran_out = False

    def _untaken(self) -> int:
        return self.untaken

    def claimed(self) -> Generator[tuple[Delivery, Message], None, None]:
        """The notifier's messages, claimed (committed ``sending``) a chunk at a time."""
        from . import outbox_leases
        from .i18n import using_language

        shared, own, items = self.shared, self.own, self.items
        for start in range(0, len(items), SEND_CHUNK):
            if shared.should_stop():
                return
            chunk = items[start : start + SEND_CHUNK]
            # Claimed before they are rendered: on a shared store other daemons claim part of
            # each chunk, and rendering their rows too would cost every daemon every message.
            claimed_at = shared.clock()
            with shared.writes:
                live = outbox_leases.claim(own, [d.id for d, _ in chunk], claimed_at, lease=shared.lease)
            self.held_at = claimed_at  # the claim renewed every lease this daemon holds
            # A row cancelled since it was read as due (its case closed meanwhile), or being sent
            # by another daemon, is not sent.
            self.untaken -= len(chunk) - len(live)
            chunk = [item for item in chunk if item[0].id in live]
            # The chunk's cases, windows and evidence in a few queries, not six per message.
            read = _read_for_messages(own, [d.case_id for d, _ in chunk])
            ready: list[tuple[Delivery, Message]] = []
            for delivery, folded in chunk:
                try:
                    with using_language(self.language):
                        message = _message_for(
                            own, shared.settings, delivery, folded, shared.clock(), read.get(delivery.case_id)
                        )
                    ready.append((delivery, message))
                except ReminderError as exc:
                    shared.unrenderable(own, delivery, str(exc))
                    self.untaken -= 1
            self.unsent.extend(d for d, _ in ready)
            for n, item in enumerate(ready):
                if shared.should_stop():
                    return
                if shared.lease and shared.clock() >= (self.held_at or claimed_at) + shared.lease:
                    # This process was paused or held up past its lease: another daemon may be
                    # sending these rows now. Hand over no more of them (the next claim takes
                    # back whatever is still free), so the repeats stay the few in flight.
                    self._expired([d for d, _ in ready[n:]])
                    break
                self.unsent.popleft()
                self.untaken -= 1
                yield item

    def _expired(self, rows: list[Delivery]) -> None:
        """Put back the claimed rows whose lease ran out before they were handed over."""
        from . import outbox_leases

        for _ in rows:
            self.unsent.popleft()
        self.untaken -= len(rows)
        with self.shared.writes:
            put_back = outbox_leases.release(self.own, [d.id for d in rows], self.shared.clock())
        # Counted from the rows themselves: held up that long, this daemon may find another has
        # taken over (and sent) some or all of them meanwhile; those stay as they are.
        log.warning(
            "%s: the lease on %d claimed reminder(s) ran out before they were sent;"
            " %d put back for any daemon, %d taken over meanwhile (by another daemon, or cancelled)",
            self.label,
            len(rows),
            put_back,
            len(rows) - put_back,
        )

    def on_result(self, i: int, result: DeliveryResult) -> None:
        """The notifier's report on the ``i``-th message it took; ends its batch on a stop, or
        when the lease ran out meanwhile."""
        try:
            self.shared.settle(self.own, self.label, self.handover.pending.pop(i)[0], result)
            held = self._hold_lease()
        except BaseException as exc:
            self.own_error.append(exc)
            raise
        if self.untaken or self.handover.pending or self.again:
            if not held:
                raise _LeaseRanOut
            if self.shared.should_stop():
                raise _Stopped

    def _hold_lease(self) -> bool:
        """Whether this daemon's lease on the rows it claimed still holds, by its own clock;
        renewed once a quarter of it has passed since the claim or the last renewal.

        A notifier takes several messages at a time (the default ``send_stream`` 25, e-mail one
        per connection), so the check before each is handed over cannot stop one already taken:
        a chunk that takes longer to send than the lease would have its last messages sent
        here after another daemon took them over, and sent there too. Renewed as each message
        goes, the lease runs out only when one send outlasts it (a program or an exchange that
        hangs, this process paused); then the batch ends here and the rest is put back.
        """
        lease, held_at = self.shared.lease, self.held_at
        if not lease or held_at is None or self.lease_ran_out:
            return not self.lease_ran_out
        now = self.shared.clock()
        if now >= held_at + lease:
            self.lease_ran_out = True
            log.warning(
                "%s: a send took longer than the lease (%d s): this daemon sends no more of the"
                " reminders it claimed; any other daemon may take them over",
                self.label,
                lease.total_seconds(),
            )
            return False
        if now >= held_at + lease / 4:
            from . import outbox_leases

            with self.shared.writes:
                outbox_leases.renew(self.own, now, lease)
            self.held_at = now
        return True

    def run(self) -> None:
        from .notifiers.base import DeliveryResult

        try:
            while True:
                try:
                    self.notifier.send_stream(self.handover, self.on_result)
                except _Stopped:
                    pass
                except Exception as exc:  # a plugin that breaks the contract must not stop the pass
                    if self.own_error or not self.handover.pending:
                        raise
                    # The message it was sending fails; those it took but never sent go again.
                    taken = self.handover.pending
                    failure = DeliveryResult.failure(f"{type(exc).__name__}: {exc}")
                    self.shared.settle(self.own, self.label, taken.pop(min(taken))[0], failure)
                    self.again.extend(taken[i] for i in sorted(taken))
                    self.handover = _Handover(self.source, self.again, self._untaken)
                    continue
                break
        finally:
            self.close()

    def close(self) -> None:
        """Stop reading rows, and put back to planned every row claimed and not settled."""
        self.source.close()
        pending = self.handover.pending
        if pending:  # a notifier that did not report every result: not sent
            log.warning("%s: %d message(s) not sent; retrying next pass", self.label, len(pending))
        left = [d.id for d, _ in [*pending.values(), *self.again]] + [d.id for d in self.unsent]
        if left:
            self.shared.release(self.own, left)


def _retry_policy(settings: Settings) -> RetryPolicy:
    from .outbox_leases import RetryPolicy

    r = settings.reminders
    return RetryPolicy(
        max_attempts=r.max_attempts, base_seconds=r.retry_base_seconds, max_seconds=r.retry_max_seconds
    )


def _read_for_messages(
    store: Store, case_ids: Sequence[str]
) -> dict[str, tuple[Case, ReviewWindow, list[EvidenceEntry]]]:
    """What the messages of several cases need, read in bulk; a case without a window is left
    to :func:`_case_for_message`, which says what is wrong with it."""
    from .evidence import entries_by_case

    evidence = entries_by_case(store, case_ids)
    return {
        case_id: (case, window, evidence.get(case_id, []))
        for case_id, (case, window) in store.cases_with_windows(case_ids).items()
        if window is not None
    }


def _case_for_message(store: Store, case_id: str) -> tuple[Case, ReviewWindow, list[EvidenceEntry]]:
    case = store.get_case(case_id)
    window = store.get_window(case.id)
    if window is None:
        from .delivery_errors import NO_WINDOW, english

        # In English, though rendered in a notifier's language: it becomes the row's last_error.
        raise InputError(english(NO_WINDOW, id=case.id))
    from .evidence import list_entries

    return case, window, list_entries(store, case.id)


def _message_for(
    store: Store,
    settings: Settings,
    delivery: Delivery,
    folded: tuple[int, int, int, int, int],
    now: datetime,
    read: tuple[Case, ReviewWindow, list[EvidenceEntry]] | None = None,
) -> Message:
    from .messages import render_message

    case, window, evidence = read or _case_for_message(store, delivery.case_id)
    # The warning as configured now: editing the template changes the next message too.
    warning, _ = template_for(settings, case.kind)
    return render_message(
        case,
        window,
        kind=delivery.kind,
        key=delivery.key,
        now=now,
        evidence=evidence,
        note=delivery.note,
        missed=folded[0],
        missed_while_closed=folded[1],
        missed_before_added=folded[2],
        missed_before_changed=folded[3],
        missed_before_planned=folded[4],
        warning=warning,
    )
