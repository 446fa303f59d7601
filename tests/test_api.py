"""Case use cases on a real store: defaults, windows, edits, closing, checklists, the change hook."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from pathlib import Path

import pytest
from conftest import TmpEnv

from reminder import api, cases, outbox, planning
from reminder.config import ClosureSettings, Settings, load_settings
from reminder.errors import InputError, NotFound, UnknownCountry
from reminder.models import Case, Message
from reminder.notifiers.base import DeliveryResult, Notifier, NotifierOptions, OnResult
from reminder.store import Store

NOW = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)


@pytest.fixture
def settings(tmp_env: TmpEnv) -> Settings:
    return load_settings()


def add(store: Store, settings: Settings, **kw: object) -> Case:
    fields: dict[str, object] = {"title": "Cancel roaming eSIM", "organisation": "Batelco"}
    fields.setdefault("submitted", date(2026, 3, 1))
    fields.update(kw)
    return api.add_case(store, settings, now=NOW, **fields)  # type: ignore[arg-type]


def test_add_uses_the_configured_defaults_and_stores_the_window(store: Store, settings: Settings) -> None:
    case = add(store, settings, kind="sim-cancellation", channels=["hotline", " "], reference=" BT-1 ")
    assert (case.country, case.timezone, case.min_days, case.max_days) == ("BH", "Asia/Bahrain", 7, 15)
    assert case.reference == "BT-1" and case.channels == ("hotline",)
    assert case.created_at == case.updated_at == NOW
    assert [i.text for i in case.checklist] == settings.templates["sim-cancellation"].items
    window = store.get_window(case.id)
    assert window is not None
    # Bahrain: Friday–Saturday weekend; business day 7 after Sun 2026-03-01 is Tue 03-10.
    assert window.opens == date(2026, 3, 10)
    assert store.get_case(case.id) == case


def test_another_country_gets_its_own_time_zone_and_canonical_code(store: Store, settings: Settings) -> None:
    de = add(store, settings, country="de", subdivision="by")
    assert (de.country, de.subdivision, de.timezone) == ("DE", "BY", "Europe/Berlin")
    uk = add(store, settings, country="UK")
    assert (uk.country, uk.timezone) == ("GB", "Europe/London")
    assert add(store, settings, country="DE", timezone="UTC").timezone == "UTC"


@pytest.mark.parametrize(
    ("fields", "error", "match"),
    [
        ({"title": "  "}, InputError, "title must not be empty"),
        ({"kind": "parking"}, InputError, "unknown kind 'parking'.*sim-cancellation"),
        ({"country": "XX"}, UnknownCountry, "unknown country 'XX'"),
        ({"timezone": "Mars/Base"}, InputError, "unknown time zone"),
        ({"min_days": 9, "max_days": 3}, InputError, "min-days"),
        ({"preset": "nope"}, InputError, "unknown escalation preset 'nope'"),
    ],
)
def test_add_rejects_bad_input(
    store: Store, settings: Settings, fields: dict[str, object], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        add(store, settings, **fields)
    assert store.count_cases() == 0


def test_config_closures_move_every_window(tmp_env: TmpEnv, store: Store) -> None:
    plain = load_settings()
    shut = plain.model_copy(
        update={"closures": [ClosureSettings(start=date(2026, 3, 2), end=date(2026, 3, 4))]}
    )
    a = add(store, plain)
    b = add(store, shut)
    wa, wb = store.get_window(a.id), store.get_window(b.id)
    assert wa is not None and wb is not None
    assert (wb.opens - wa.opens).days >= 3
    # refresh_windows brings stored windows in line with changed settings.
    moved = api.refresh_windows(store, shut, now=NOW)
    assert [c.id for c in moved] == [a.id]
    assert store.get_window(a.id) == store.get_window(b.id)


def test_edit_recomputes_the_window_and_clears_fields(store: Store, settings: Settings) -> None:
    case = add(store, settings, reference="R1", notes="n")
    before = store.get_window(case.id)
    later = NOW + timedelta(days=1)
    edited = api.edit_case(
        store, settings, case.id, now=later, submitted=date(2026, 3, 8), notes="", title=None
    )
    after = store.get_window(case.id)
    assert before is not None and after is not None and after.deadline > before.deadline
    assert (edited.notes, edited.reference, edited.title, edited.updated_at) == (
        None,
        "R1",
        case.title,
        later,
    )
    assert store.get_case(case.id) == edited


def test_edit_rules(store: Store, settings: Settings) -> None:
    case = add(store, settings, country="DE", subdivision="BY")
    moved = api.edit_case(store, settings, case.id, now=NOW, country="AT")
    assert moved.subdivision is None  # a subdivision belongs to its country
    with pytest.raises(InputError, match="nothing to change"):
        api.edit_case(store, settings, case.id, now=NOW)
    with pytest.raises(InputError, match="cannot edit status"):
        api.edit_case(store, settings, case.id, now=NOW, status="closed")
    with pytest.raises(InputError, match="title must not be empty"):
        api.edit_case(store, settings, case.id, now=NOW, title="")
    with pytest.raises(NotFound):
        api.edit_case(store, settings, "zzzzzz", now=NOW, title="x")
    # Switching to a kind with a template attaches its checklist.
    sim = api.edit_case(store, settings, case.id, now=NOW, kind="sim-cancellation")
    assert len(sim.checklist) == len(settings.templates["sim-cancellation"].items)


def test_close_and_reopen(store: Store, settings: Settings) -> None:
    case = add(store, settings)
    closed = api.close_case(store, settings, case.id, now=NOW, resolution="cancelled")
    assert (closed.status, closed.resolution, closed.closed_at) == ("closed", "cancelled", NOW)
    with pytest.raises(InputError, match="already closed"):
        api.close_case(store, settings, case.id, now=NOW)
    assert api.list_cases(store, now=NOW) == []
    reopened = api.reopen_case(store, settings, case.id, now=NOW)
    assert (reopened.status, reopened.resolution, reopened.closed_at) == ("open", None, None)
    with pytest.raises(InputError, match="already open"):
        api.reopen_case(store, settings, case.id, now=NOW)


def test_delete(store: Store, settings: Settings) -> None:
    case = add(store, settings)
    assert api.delete_case(store, settings, case.id, now=NOW).id == case.id
    with pytest.raises(NotFound):
        api.get_case_view(store, settings, case.id, now=NOW)


def test_check_item_by_number_or_text(store: Store, settings: Settings) -> None:
    case = add(store, settings, kind="sim-cancellation")
    assert api.check_item(store, case.id, "3", now=NOW)[0].text == "Back up contacts and messages"
    assert api.check_item(store, case.id, "keep", now=NOW)[0].position == 4
    assert api.check_item(store, case.id, "BANK", now=NOW)[0].position == 2  # substring, any case
    assert not api.check_item(store, case.id, "3", now=NOW, undo=True)[0].done
    assert [i.done for i in store.get_case(case.id).checklist] == [False, True, False, True]
    with pytest.raises(InputError, match="no checklist item 9"):
        api.check_item(store, case.id, "9", now=NOW)
    with pytest.raises(InputError, match="matches several items"):
        api.check_item(store, case.id, "the", now=NOW)
    with pytest.raises(InputError, match="has no checklist"):
        api.check_item(store, add(store, settings).id, "1", now=NOW)


def test_ticking_an_item_already_ticked_changes_nothing(store: Store, settings: Settings) -> None:
    case = add(store, settings, kind="sim-cancellation")
    first, changed = api.check_item(store, case.id, "1", now=NOW)
    assert changed and first.done_at == NOW
    again, changed = api.check_item(store, case.id, "1", now=NOW + timedelta(days=2))
    assert not changed and again.done_at == NOW  # when it was ticked stays when it was
    assert api.check_item(store, case.id, "2", now=NOW, undo=True)[1] is False


def test_days_left_is_counted_in_the_case_time_zone(store: Store, settings: Settings) -> None:
    bh = add(store, settings)
    de = add(store, settings, country="DE")
    late = datetime(2026, 3, 1, 22, 30, tzinfo=UTC)  # already Mar 2 in Bahrain, still Mar 1 in Berlin
    views = {v.case.id: v for v in api.list_cases(store, now=late)}
    assert views[bh.id].today == date(2026, 3, 2)
    assert views[de.id].today == date(2026, 3, 1)
    window = store.get_window(bh.id)
    assert window is not None and views[bh.id].days_left == (window.deadline - date(2026, 3, 2)).days


def test_show_explains_and_warns(store: Store, settings: Settings) -> None:
    case = add(store, settings, kind="sim-cancellation")
    view = api.get_case_view(store, settings, case.id, now=NOW, explain=True)
    assert view.window is not None and view.window.days[0].date == date(2026, 3, 2)
    assert view.warning is not None and "verification code" in view.warning
    assert api.get_case_view(store, settings, case.id, now=NOW).window == store.get_window(case.id)


def test_every_write_calls_the_change_hook_inside_its_transaction(
    store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, str, bool]] = []

    def hook(s: Store, _settings: Settings, case: Case, now: datetime) -> None:
        calls.append((case.id, case.status, s.conn.in_transaction))

    monkeypatch.setattr(cases, "_after_case_change", hook)
    case = add(store, settings)
    api.edit_case(store, settings, case.id, now=NOW, title="t")
    api.close_case(store, settings, case.id, now=NOW)
    api.reopen_case(store, settings, case.id, now=NOW)
    assert calls == [
        (case.id, "open", True),
        (case.id, "open", True),
        (case.id, "closed", True),
        (case.id, "open", True),
    ]


def test_a_failing_hook_rolls_the_write_back(
    store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_: object) -> None:
        raise RuntimeError("plan failed")

    monkeypatch.setattr(cases, "_after_case_change", boom)
    with pytest.raises(RuntimeError):
        add(store, settings)
    assert store.count_cases() == 0


def test_replan_all_walks_the_open_cases_in_batches(
    store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = [add(store, settings, kind="sim-cancellation", submitted=date(2026, 3, d)) for d in range(1, 8)]
    for case in cases[1::3]:
        api.close_case(store, settings, case.id, now=NOW)
    open_ids = sorted(c.id for c in cases if c not in cases[1::3])

    def planned() -> set[tuple[object, ...]]:
        sql = "SELECT case_id, key, notifier, due FROM deliveries WHERE status = 'planned'"
        return set(store.conn.execute(sql))

    before = planned()
    assert {row[0] for row in before} == set(open_ids)
    store.conn.execute("DELETE FROM deliveries")
    monkeypatch.setattr(planning, "REPLAN_BATCH", 2)
    assert api.replan_all(store, settings, now=NOW) == len(open_ids)
    assert planned() == before
    # A batch carries each case's checklist and window, in id order.
    first = store.case_batch("open", limit=2)
    assert [c.id for c, _ in first] == open_ids[:2]
    assert all(c.checklist and w is not None for c, w in first)
    assert [c.id for c, _ in store.case_batch("open", after=open_ids[1], limit=9)] == open_ids[2:]


class _Recorder(Notifier):
    """Checks, as each message is handed over, that every earlier one is already committed sent."""

    name = "recorder"

    def __init__(self, db: Path, *, fail_on: str = "") -> None:
        super().__init__(NotifierOptions(), label="log")
        self.db, self.fail_on = db, fail_on
        self.sent: list[str] = []
        self.seen_sending: list[bool] = []
        self.messages: list[Message] = []

    def send(self, message: Message) -> DeliveryResult:
        with Store(self.db) as other:  # another connection sees only what was committed
            status = dict(other.conn.execute("SELECT key, status FROM deliveries"))
        assert all(status[key] == "sent" for key in self.sent)
        self.seen_sending.append(status[message.key] == "sending")
        self.messages.append(message)
        if message.case_id == self.fail_on:
            raise RuntimeError("plugin bug")
        self.sent.append(message.key)
        return DeliveryResult.success()


class _OldPlugin(_Recorder):
    def send_batch(self, messages: Sequence[Message]) -> list[DeliveryResult]:  # type: ignore[override]
        raise AssertionError("a send_batch without on_result is never given a batch")


def _due_cases(store: Store, settings: Settings, n: int) -> list[str]:
    return [add(store, settings, submitted=date(2026, 1, 4 + i)).id for i in range(n)]


LATER = datetime(2026, 6, 1, 12, tzinfo=UTC)


def test_deliver_due_commits_each_message_before_the_next_and_stops_between_them(
    store: Store, settings: Settings
) -> None:
    ids = _due_cases(store, settings, 4)
    recorder = _Recorder(store.path)
    report = api.deliver_due(
        store, settings, [recorder], now=LATER, should_stop=lambda: len(recorder.sent) >= 2
    )
    assert (report.sent, report.stopped_early) == (2, True)
    assert all(recorder.seen_sending)
    counts = outbox.counts(store)
    # The two never handed over are planned again, not left "sending".
    assert (counts["sent"], counts["sending"]) == (2, 0)
    assert len(outbox.due(store, LATER)) == 2
    report = api.deliver_due(store, settings, [recorder], now=LATER)
    assert report.sent == 2 and not report.stopped_early
    assert sorted(key.split(":")[0] for key in recorder.sent) == sorted(ids)


def test_deliver_due_survives_a_plugin_that_raises_or_predates_on_result(
    store: Store, settings: Settings
) -> None:
    ids = _due_cases(store, settings, 3)
    plugin = _OldPlugin(store.path, fail_on=ids[1])
    report = api.deliver_due(store, settings, [plugin], now=LATER)
    assert (report.sent, report.retried) == (2, 1)
    assert "RuntimeError: plugin bug" in report.errors[0]
    assert outbox.counts(store)["sending"] == 0


def test_catch_up_messages_carry_each_cases_checklist_window_and_evidence(
    store: Store, settings: Settings
) -> None:
    first, second = _due_cases(store, settings, 2)
    api.log_evidence(store, second, kind="call", summary="hotline: still in review", now=NOW)
    recorder = _Recorder(store.path)
    assert api.deliver_due(store, settings, [recorder], now=LATER).sent == 2
    texts = {m.case_id: m.text for m in recorder.messages}
    assert "Evidence so far: 0 entries" in texts[first]
    assert "Evidence so far: 1 entry" in texts[second] and "hotline: still in review" in texts[second]
    deadline = store.get_window(second).deadline  # type: ignore[union-attr]
    assert deadline.isoformat() in texts[second]


class _Several(Notifier):
    """Sends up to three messages at a time and reports each group in reverse order, as a notifier
    that keeps several in flight (e-mail over several connections) may; honours the contract of
    ``send_stream``: what ``on_result`` raises ends the stream after the group in flight."""

    name = "several"

    def __init__(self) -> None:
        super().__init__(NotifierOptions(), label="log")
        self.sent: list[str] = []
        self.groups: list[list[int]] = []

    def send(self, message: Message) -> DeliveryResult:
        raise AssertionError("send_stream sends")

    def send_stream(self, messages: Iterable[Message], on_result: OnResult) -> None:
        it = enumerate(messages)
        while group := list(islice(it, 3)):
            self.groups.append([i for i, _ in group])
            raised: list[BaseException] = []
            for i, message in reversed(group):
                self.sent.append(message.key)
                try:
                    on_result(i, DeliveryResult.success())
                except BaseException as exc:
                    raised.append(exc)
            if raised:
                raise raised[0]


def test_deliver_due_takes_results_out_of_order_and_a_stop_lets_those_in_flight_finish(
    store: Store, settings: Settings
) -> None:
    for i in range(30):
        add(store, settings, submitted=date(2026, 1, 4) + timedelta(days=i % 20))
    several = _Several()
    stop = lambda: len(several.sent) >= 7  # noqa: E731
    report = api.deliver_due(store, settings, [several], now=LATER, should_stop=stop)
    # The stop came during the third group: its other two still went out and were recorded.
    assert report.stopped_early and report.sent == len(several.sent) == 9
    assert several.groups == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    counts = outbox.counts(store)
    # Each result was recorded against its own row, whatever the order; nothing is left "sending".
    assert (counts["sent"], counts["sending"]) == (9, 0)
    sent = {key for (key,) in store.conn.execute("SELECT key FROM deliveries WHERE status = 'sent'")}
    assert sent == set(several.sent)
    report = api.deliver_due(store, settings, [several], now=LATER)
    assert report.sent == 21 and not report.stopped_early
    assert len(several.sent) == len(set(several.sent)) == 30


def test_every_reminder_carries_the_templates_warning_as_configured(tmp_env: TmpEnv, store: Store) -> None:
    tmp_env.write_config('[templates.sim-cancellation]\nwarning = "Batelco never phones you for a code."\n')
    settings = load_settings()
    case = add(store, settings, kind="sim-cancellation")
    recorder = _Recorder(store.path)
    rows = [r for r in outbox.list_deliveries(store, case.id) if r.status == "planned"]
    for row in rows[:-1]:  # each at its own time, as a running daemon sends them
        api.deliver_due(store, settings, [recorder], now=row.due + timedelta(seconds=10))
    kinds = {m.kind for m in recorder.messages}
    assert kinds == {"opened", "before_deadline", "deadline", "escalation"}
    for m in recorder.messages:
        assert m.text.splitlines()[2] == "⚠ Batelco never phones you for a code.", m.kind
        assert m.html is not None and "Batelco never phones you for a code." in m.html
    # Editing the template changes the messages, not only `show`.
    tmp_env.write_config('[templates.sim-cancellation]\nwarning = "Hang up on anyone asking for a code."\n')
    api.deliver_due(store, load_settings(), [recorder], now=rows[-1].due + timedelta(seconds=10))
    assert recorder.messages[-1].text.splitlines()[2] == "⚠ Hang up on anyone asking for a code."


class _Refused(Notifier):
    """A server that answers 421 (try later) to everything."""

    name = "refused"

    def __init__(self) -> None:
        super().__init__(NotifierOptions(), label="log")

    def send(self, message: Message) -> DeliveryResult:
        return DeliveryResult.failure("421 try again later")


def test_a_retry_planned_before_the_clock_went_back_waits_no_longer_than_the_policy_allows(
    store: Store, settings: Settings
) -> None:
    _due_cases(store, settings, 1)
    assert api.deliver_due(store, settings, [_Refused()], now=LATER).retried == 1
    before = outbox.next_due_at(store)
    assert before is not None and before > LATER
    back = LATER - timedelta(days=120)  # the wall clock was months ahead, and is set right
    report = api.deliver_due(store, settings, [_Refused()], now=back)
    assert report.sent == report.retried == 0
    longest = timedelta(seconds=settings.reminders.retry_max_seconds * 1.25)
    after = outbox.next_due_at(store)
    assert after is not None and back < after <= back + longest, f"retry at {after}, now {back}"


def test_a_pass_whose_due_rows_all_belong_to_a_removed_notifier_fails_them_and_carries_on(
    store: Store, settings: Settings
) -> None:
    # The rows were planned for "log"; the only notifier configured now is another one.
    _due_cases(store, settings, 2)
    other = _Recorder(store.path)
    other.label = "email"
    report = api.deliver_due(store, settings, [other], now=LATER)
    assert report.sent == 0 and report.failed > 0 and other.messages == []
    assert outbox.counts(store)["failed"] == report.failed
    assert outbox.due(store, LATER) == []


@pytest.mark.parametrize(
    ("status", "due_before"), [("open", None), ("all", None), ("closed", None), ("all", date(2026, 4, 1))]
)
def test_list_lines_are_what_list_cases_shows(
    store: Store, settings: Settings, status: cases.StatusFilter, due_before: date | None
) -> None:
    now = datetime(2026, 3, 1, 22, 30, tzinfo=UTC)  # already 2 March in Bahrain, still 1 March in Berlin
    ids = []
    for i, (country, tz) in enumerate(
        [("BH", None), ("DE", "Europe/Berlin"), ("CN", None), ("US", None)] * 2
    ):
        case = api.add_case(
            store, settings, now=now, title=f"Case {i}", organisation=f"Org {i}", country=country,
            timezone=tz, submitted=date(2026, 1, 20) + timedelta(days=11 * i),
        )  # fmt: skip
        ids.append(case.id)
    api.close_case(store, settings, ids[3], now=now, resolution="done")
    store.conn.execute("UPDATE cases SET opens = NULL, deadline = NULL WHERE id = ?", (ids[5],))
    views = api.list_cases(store, now=now, status=status, due_before=due_before)
    lines = api.list_case_lines(store, now=now, status=status, due_before=due_before)
    assert api.list_case_columns(store, now=now, status=status, due_before=due_before).lines() == lines
    assert views and [c.id for c in lines] == [v.case.id for v in views]
    for line, v in zip(lines, views, strict=True):
        w = v.window
        assert (line.title, line.organisation, line.status, line.today) == (
            v.case.title, v.case.organisation, v.case.status, v.today,
        )  # fmt: skip
        assert (line.opens, line.deadline, line.tentative) == (
            (None, None, False) if w is None else (w.opens, w.deadline, w.tentative)
        )
        assert line.days_left == v.days_left
