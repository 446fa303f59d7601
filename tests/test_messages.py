"""What a reminder says, as of the moment it is sent."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from reminder.messages import render_message
from reminder.models import Case
from reminder.window import compute_window

CASE = Case(
    id="k7m2qx",
    title="Cancel roaming eSIM",
    organisation="Batelco",
    submitted=date(2026, 3, 1),
    country="BH",
    timezone="Asia/Bahrain",
    reference="BT-48213",
    channels=("hotline 196",),
)
WINDOW = compute_window(CASE.submitted, country="BH")


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 6, 0, tzinfo=UTC)  # 09:00 in Bahrain


@pytest.mark.parametrize(
    ("day", "headline", "urgency"),
    [
        (date(2026, 3, 3), "the review window opens in", "normal"),
        (WINDOW.opens, "the review window is open; the deadline is in", "normal"),
        (WINDOW.deadline, "is the deadline", "critical"),
        (date(2026, 4, 20), "the deadline passed", "critical"),
    ],
)
def test_headline_and_urgency_follow_the_sending_day(day: date, headline: str, urgency: str) -> None:
    m = render_message(CASE, WINDOW, kind="opened", key="k7m2qx:opened:1", now=at(day))
    assert headline in m.subject and m.subject.startswith("Cancel roaming eSIM: ")
    assert m.urgency == urgency
    assert "BT-48213" in m.text and "hotline 196" in m.text


WARNING = "Batelco never phones about a cancellation: hang up and call 196 yourself."


@pytest.mark.parametrize("kind", ["before_open", "opened", "before_deadline", "deadline", "escalation"])
def test_the_templates_warning_is_near_the_top_of_every_kind(kind: str) -> None:
    m = render_message(
        CASE, WINDOW, kind=kind, key=f"k7m2qx:{kind}:1", now=at(WINDOW.deadline), warning=WARNING
    )
    lines = m.text.splitlines()
    # Right under the headline, before the facts: a fraudster's call comes before any reading.
    assert lines[2] == f"⚠ {WARNING}"
    assert m.html is not None and m.html.index(WARNING) < m.html.index("<table>")
    assert m.data["warning"] == WARNING


def test_no_template_warning_no_warning() -> None:
    m = render_message(CASE, WINDOW, kind="opened", key="k7m2qx:opened:1", now=at(WINDOW.opens))
    assert "Fraudsters" not in m.text and "⚠" not in m.text
    assert m.html is not None and "Fraudsters" not in m.html


def test_catch_up_says_how_many_it_replaces() -> None:
    m = render_message(
        CASE, WINDOW, kind="escalation", key="k7m2qx:escalation:2", now=at(date(2026, 5, 1)), missed=4
    )
    assert "replaces 4 earlier reminder(s)" in m.text
    assert m.data["missed"] == 4 and m.key == "k7m2qx:escalation:2"


def test_an_evidence_entrys_day_is_the_cases() -> None:
    # Logged without --at at 22:30 UTC on 2 March: it was 01:30 on 3 March in Bahrain, where the
    # case's days are counted (and where --at is typed).
    from reminder.models import EvidenceEntry

    late = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)
    entry = EvidenceEntry(case_id="k7m2qx", seq=1, kind="call", summary="Called 196", at=late,
                          recorded_at=late, attachments=(), corrects=None, prev_hash="", hash="0" * 64,
                          scheme=2, key_id=None)  # fmt: skip
    m = render_message(
        CASE, WINDOW, kind="opened", key="k7m2qx:opened:1", now=at(WINDOW.opens), evidence=[entry]
    )
    assert "  - #1 2026-03-03 call: Called 196" in m.text and "2026-03-02" not in m.text


@pytest.mark.parametrize(
    ("lang", "count", "earlier", "corrected", "correction"),
    [
        ("en", "Evidence so far: 7 entries", "  - … 2 earlier entries: reminder evidence list k7m2qx",
         "  - #6 2026-03-08 call: Called at 10:30  (corrected by #7)",
         "  - #7 2026-03-09 note: It was 10:40  (corrects #6)"),
        ("zh_CN", "已有证据：7 条", "  - … 另有较早的 2 条：reminder evidence list k7m2qx",
         "  - #6 2026-03-08 通话：Called at 10:30（已被 #7 更正）",
         "  - #7 2026-03-09 备注：It was 10:40（更正第 6 条）"),
    ],
)  # fmt: skip
def test_the_evidence_listed_says_what_it_leaves_out_and_what_corrects_what(
    lang: str, count: str, earlier: str, corrected: str, correction: str
) -> None:
    """Seven entries, the last correcting the one before: a message listed the latest five under
    "7 entries" without a word about the other two, and the corrected entry as if it stood
    (found by a new user's walkthrough; the test failed before)."""
    from reminder import i18n
    from reminder.models import EvidenceEntry

    def entry(seq: int, kind: str, summary: str, corrects: int | None = None) -> EvidenceEntry:
        at = datetime(2026, 3, 2 + seq, 8, tzinfo=UTC)
        return EvidenceEntry(case_id="k7m2qx", seq=seq, kind=kind, summary=summary, at=at, recorded_at=at,
                             attachments=(), corrects=corrects, prev_hash="", hash="0" * 64, scheme=2,
                             key_id=None)  # fmt: skip

    log = [entry(n, "call", f"call {n}") for n in range(1, 6)]
    log += [entry(6, "call", "Called at 10:30"), entry(7, "note", "It was 10:40", corrects=6)]
    with i18n.using_language(lang):
        m = render_message(
            CASE, WINDOW, kind="opened", key="k7m2qx:opened:1", now=at(WINDOW.opens), evidence=log
        )
    lines = m.text.splitlines()
    listed = lines[lines.index(count) + 1 : lines.index(count) + 7]
    assert listed[0] == earlier and listed[-2:] == [corrected, correction], listed
    assert [line.split()[1] for line in listed[1:]] == ["#3", "#4", "#5", "#6", "#7"]
    assert "(corrected by #7)" in m.html if lang == "en" else "#7" in m.html  # type: ignore[operator]


@pytest.mark.parametrize(
    ("lang", "after_follow_up", "after_complaint"),
    [
        ("en", "You wrote to Batelco on Thu 2026-03-26 (evidence #2).",
         "You took the matter to the regulator on Wed 2026-04-08 (evidence #3)"),
        ("zh_CN", "你已于 2026年3月26日 星期四 致函 Batelco（证据第 2 条）。",
         "你已于 2026年4月8日 星期三 把此事提交监管机构（证据第 3 条）"),
    ],
)  # fmt: skip
def test_after_a_letter_went_out_the_next_step_is_the_one_after_it(
    lang: str, after_follow_up: str, after_complaint: str
) -> None:
    """letter --send records what it sent. The escalations after it kept saying "put the
    complaint in writing (reminder letter … writes it)" (found by a new user's walkthrough;
    the test failed before)."""
    from reminder import i18n
    from reminder.evidence import SENT_LETTER_PREFIX
    from reminder.models import EvidenceEntry
    from reminder.record import replace

    def entry(seq: int, day: int, summary: str, kind: str = "email") -> EvidenceEntry:
        at = datetime(2026, 3, day, 7, tzinfo=UTC)
        return EvidenceEntry(case_id="k7m2qx", seq=seq, kind=kind, summary=summary, at=at, recorded_at=at,
                             attachments=(), corrects=None, prev_hash="", hash="0" * 64, scheme=2,
                             key_id=None)  # fmt: skip

    def sent(to: str) -> str:
        return SENT_LETTER_PREFIX.format(to=to) + "Batelco <c@batelco.example>: Follow-up (Message-ID <x@y>)"

    called = entry(1, 20, "Called 196: wait", kind="call")
    follow_up = entry(2, 26, sent("organisation"))
    complaint = replace(entry(3, 1, sent("regulator")), at=datetime(2026, 4, 8, 7, tzinfo=UTC))
    late = at(WINDOW.deadline) + timedelta(days=10)
    with i18n.using_language(lang):
        logs = {"none": [called], "follow-up": [called, follow_up], "all": [called, follow_up, complaint]}
        step = {
            n: render_message(
                CASE, WINDOW, kind="escalation", key="k7m2qx:escalation:1", now=late, evidence=log
            )
            for n, log in logs.items()
        }
    assert "reminder letter k7m2qx --to organisation" in step["none"].text
    assert after_follow_up in step["follow-up"].text
    assert "--to organisation" not in step["follow-up"].text
    assert "reminder letter k7m2qx --to regulator" in step["follow-up"].text
    assert after_complaint in step["all"].text and "reminder letter" not in step["all"].text


@pytest.mark.parametrize(
    ("lang", "line"),
    [
        ("en", "  - #1 2026-03-03 call: Called at 10:30  (corrected by #2, #3)"),
        ("zh_CN", "  - #1 2026-03-03 通话：Called at 10:30（已被 #2、#3 更正）"),
    ],
)
def test_an_entry_corrected_twice_is_listed_as_the_language_lists(lang: str, line: str) -> None:
    # A reminder in Chinese said "（已被 #2, #3 更正）", with English commas.
    from reminder import i18n
    from reminder.models import EvidenceEntry

    def entry(seq: int, kind: str, summary: str, corrects: int | None = None) -> EvidenceEntry:
        at = datetime(2026, 3, 2 + seq, 8, tzinfo=UTC)
        return EvidenceEntry(case_id="k7m2qx", seq=seq, kind=kind, summary=summary, at=at, recorded_at=at,
                             attachments=(), corrects=corrects, prev_hash="", hash="0" * 64, scheme=2,
                             key_id=None)  # fmt: skip

    log = [entry(1, "call", "Called at 10:30"), entry(2, "note", "10:40", 1), entry(3, "note", "10:45", 1)]
    with i18n.using_language(lang):
        m = render_message(
            CASE, WINDOW, kind="opened", key="k7m2qx:opened:1", now=at(WINDOW.opens), evidence=log
        )
    assert line in m.text.splitlines(), m.text
