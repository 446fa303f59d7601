"""Reminders in Chinese, in-process (issue 17): every kind of message, the catch-up, the
warning and the steps reminder ships (and the user's own, as written), the checklist, the
labels, the calendar's warnings and closures, and what the command notifier and ``notify
test`` give. The same through the real processes: test_zh_story.py.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from english_leaks import assert_no_english, english_leaks, html_text

from reminder import api, i18n
from reminder.config import load_settings
from reminder.explain import override_text, warning_text
from reminder.holiday_names import holiday_name
from reminder.labels import channel, channels, evidence_kind
from reminder.messages import render_message
from reminder.models import Case, EvidenceEntry
from reminder.presets import DEFAULT_PRESETS
from reminder.shipped import SIM_CANCELLATION_ITEMS, SIM_CANCELLATION_WARNING, localised
from reminder.store import Store
from reminder.window import compute_window

WARNING_ZH = "骗子专找正在等待此类申请结果的人打电话"
# Names and ids that stay as written in a Chinese text: the organisation, a preset's name.
NAMES = {"Batelco", "telecom"}


# --- the messages themselves, each kind, in-process -----------------------------------------------

CASE = Case(
    id="k7m2qx", title="注销漫游 eSIM", organisation="Batelco", submitted=date(2026, 3, 1), country="BH",
    timezone="Asia/Bahrain", kind="sim-cancellation", reference="BT-48213",
    channels=("hotline 196", "e-mail", "门店"),
)  # fmt: skip
WINDOW = compute_window(CASE.submitted, country="BH")
EVIDENCE = [
    EvidenceEntry(
        case_id="k7m2qx",
        seq=i,
        kind=kind,
        summary=summary,
        at=datetime(2026, 3, 2 + i, 8, tzinfo=UTC),
        recorded_at=datetime(2026, 3, 2 + i, 8, tzinfo=UTC),
        hash="9f8e7d6c" * 8,
    )
    for i, (kind, summary) in enumerate([("call", "客服说正在处理"), ("email", "收到受理回执")], start=1)
]


def at(day: date) -> datetime:
    return datetime.combine(day, time(9), ZoneInfo("Asia/Bahrain"))


@pytest.mark.parametrize(
    ("kind", "day", "headline"),
    [
        ("before_open", date(2026, 3, 5), "审核期将于 5 天后开始"),
        ("opened", WINDOW.opens, "审核期已开始，距截止日期"),
        ("before_deadline", WINDOW.deadline - timedelta(days=2), "还有 2 天"),
        ("deadline", WINDOW.deadline, "是截止日期"),
        ("escalation", WINDOW.deadline + timedelta(days=12), "已过 12 天，请升级处理"),
    ],
)
def test_every_kind_reads_chinese(kind: str, day: date, headline: str) -> None:
    i18n.set_language("zh_CN")
    m = render_message(
        CASE, WINDOW, kind=kind, key=f"k7m2qx:{kind}:1", now=at(day), evidence=EVIDENCE,
        missed=3, warning=SIM_CANCELLATION_WARNING,
    )  # fmt: skip
    assert headline in m.subject and m.language == "zh_CN"
    lines = m.text.splitlines()
    assert lines[2].startswith(f"⚠ {WARNING_ZH}")
    assert "联系渠道：热线 196、电子邮件、门店" in lines
    assert "  - #1 2026-03-03 通话：客服说正在处理" in lines and "已有证据：2 条" in lines
    assert any(line.startswith("证据记录截至第 2 条的哈希值：9f8e7d6c") for line in lines)
    assert m.short.splitlines()[1].startswith("下一步：")
    # What scripts read stays English: the keys, the kind, the ISO dates.
    assert m.kind == kind and m.data["kind"] == kind and m.data["deadline"] == WINDOW.deadline.isoformat()
    assert headline in str(m.data["headline"]) and WARNING_ZH in str(m.data["warning"])
    assert m.html is not None
    for what, text in (
        ("subject", m.subject),
        ("text", m.text),
        ("html", html_text(m.html)),
        ("short", m.short),
    ):
        assert_no_english(text, allow=NAMES, what=what)


def test_the_catch_up_counts_in_each_language() -> None:
    i18n.set_language("zh_CN")
    one = render_message(CASE, WINDOW, kind="deadline", key="k", now=at(WINDOW.deadline), missed=1)
    assert "（这是一条补发提醒：reminder 未运行期间到期的 1 条提醒已合并到本条。）" in one.text
    with i18n.using_language("en"):
        many = render_message(CASE, WINDOW, kind="deadline", key="k", now=at(WINDOW.deadline), missed=4)
    assert "(This replaces 4 earlier reminder(s) that fell due while reminder was not running.)" in many.text
    none = render_message(CASE, WINDOW, kind="deadline", key="k", now=at(WINDOW.deadline))
    assert "补发" not in none.text


@pytest.mark.parametrize(
    ("reason", "zh_said", "en_one"),
    [
        # Reopened: they fell due while the case was closed, the daemon running all along.
        (
            "missed_while_closed",
            "事项关闭期间到期的",
            "earlier reminder that fell due while the case was closed.",
        ),
        # Added after some of its days had passed: no daemon missed them.
        (
            "missed_before_added",
            "添加事项时已过期的",
            "earlier reminder whose day had passed when the case was added.",
        ),
        # Moved into the past by an edit of the case: no daemon missed them either.
        (
            "missed_before_changed",
            "修改事项时已过期的",
            "earlier reminder whose day had passed when the case was changed.",
        ),
        # Planned after its day by a re-plan no change of the case made (a notifier added, say).
        (
            "missed_before_planned",
            "安排提醒时已过期的",
            "earlier reminder whose day had passed when it was planned.",
        ),
    ],
)
def test_a_catch_up_says_why_the_reminders_it_replaces_were_not_sent(
    reason: str, zh_said: str, en_one: str
) -> None:
    """Each was said to have fallen due while reminder was not running (the tests failed before)."""
    i18n.set_language("zh_CN")
    due = at(WINDOW.deadline)
    zh = render_message(CASE, WINDOW, kind="deadline", key="k", now=due, **{reason: 2})  # type: ignore[arg-type]
    assert f"（这是一条补发提醒：{zh_said} 2 条提醒已合并到本条。）" in zh.text
    assert "未运行" not in zh.text
    with i18n.using_language("en"):
        one = render_message(CASE, WINDOW, kind="deadline", key="k", now=due, **{reason: 1})  # type: ignore[arg-type]
    assert f"\n\n(This replaces 1 {en_one})\n\n" in one.text
    assert "not running" not in one.text
    # The data says how many it replaces, and how many of those for this reason.
    assert (one.data["missed"], one.data[reason]) == (1, 1)


def test_a_catch_up_with_two_reasons_says_both() -> None:
    with i18n.using_language("en"):
        both = render_message(
            CASE, WINDOW, kind="deadline", key="k", now=at(WINDOW.deadline), missed=1, missed_while_closed=3
        )
    assert (
        "(This replaces 1 earlier reminder(s) that fell due while reminder was not running.)\n"
        "(This replaces 3 earlier reminders that fell due while the case was closed.)\n\n"
    ) in both.text
    assert (both.data["missed"], both.data["missed_while_closed"]) == (4, 3)


def test_the_record_of_a_letter_sent_is_listed_in_chinese() -> None:
    """The evidence a reminder lists: reminder's own record of a letter it sent read in English
    among the Chinese (the test failed before); the English message lists it as stored."""
    from reminder.evidence import SENT_LETTER_PREFIX

    stored = (
        SENT_LETTER_PREFIX.format(to="organisation")
        + "Batelco <c@batelco.example>: Follow-up (Message-ID <m.1@x.example>)"
    )
    sent = EvidenceEntry(case_id="k7m2qx", seq=3, kind="email", summary=stored, at=at(WINDOW.deadline),
                         recorded_at=at(WINDOW.deadline), hash="1a2b3c4d" * 8)  # fmt: skip
    late = at(WINDOW.deadline + timedelta(days=3))
    i18n.set_language("zh_CN")
    zh = render_message(CASE, WINDOW, kind="escalation", key="k", now=late, evidence=[*EVIDENCE, sent])
    mid = "<m.1@x.example>"
    row = f"给机构的跟进信已通过电子邮件发送给 Batelco <c@batelco.example>：Follow-up（Message-ID {mid}）"
    assert row in zh.text and row in html_text(zh.html)
    assert SENT_LETTER_PREFIX.format(to="organisation") not in zh.text + zh.html
    with i18n.using_language("en"):
        en = render_message(CASE, WINDOW, kind="escalation", key="k", now=late, evidence=[*EVIDENCE, sent])
    assert f": {stored}\n" in en.text


def test_a_warning_or_step_the_user_wrote_is_shown_as_written() -> None:
    i18n.set_language("zh_CN")
    own = "Batelco never phones about a cancellation: hang up and call 196 yourself."
    shipped_step = DEFAULT_PRESETS["telecom"].steps[0].step
    m = render_message(
        CASE, WINDOW, kind="escalation", key="k", now=at(WINDOW.deadline), warning=own, note=shipped_step
    )
    assert m.text.splitlines()[2] == f"⚠ {own}"
    assert "下一步：\n再次致电运营商，要求书面答复并索取投诉编号\n" in m.text
    mine = render_message(
        CASE, WINDOW, kind="escalation", key="k", now=at(WINDOW.deadline), note="打给 196 找主管"
    )
    assert "下一步：\n打给 196 找主管\n" in mine.text


def test_shipped_texts_have_chinese_and_the_users_do_not_change() -> None:
    for text in (SIM_CANCELLATION_WARNING, *SIM_CANCELLATION_ITEMS):
        assert localised(text, "zh_CN") != text and localised(text, "en") == text
        assert_no_english(localised(text, "zh_CN"), what=text)
    for preset in DEFAULT_PRESETS.values():
        for step in preset.steps:
            chinese = localised(step.step, "zh_CN")
            assert chinese != step.step
            # Proper names a person looks up stay as published.
            assert_no_english(chinese, allow={"Communications Ombudsman"}, what=step.step)
    assert localised("Deadline", "zh_CN") == "Deadline"  # a catalogue message, but not a shipped text


def test_a_checklist_item_is_found_by_its_chinese_too(store: Store) -> None:
    i18n.set_language("zh_CN")
    case = api.add_case(
        store, load_settings(), now=datetime(2026, 3, 1, 6, tzinfo=UTC), title="注销漫游 eSIM",
        organisation="Batelco", submitted=date(2026, 3, 1), kind="sim-cancellation",
    )  # fmt: skip
    assert [i.text for i in case.checklist] == list(SIM_CANCELLATION_ITEMS)  # stored in English
    ticked, _changed = api.check_item(store, case.id, "备份通讯录", now=datetime(2026, 3, 2, tzinfo=UTC))
    assert ticked.position == 3 and ticked.done
    ticked, _changed = api.check_item(store, case.id, "Keep the", now=datetime(2026, 3, 2, tzinfo=UTC))
    assert ticked.position == 4


def test_labels_channels_and_evidence_kinds() -> None:
    assert (
        channel("hotline 196", "zh_CN") == "热线 196"
        and channel("E-mail: x@y.org", "zh_CN") == "电子邮件 x@y.org"
    )
    assert channel("WhatsApp +973 1234", "zh_CN") == "WhatsApp +973 1234"  # not ours: as written
    assert channels(["hotline", "web form"], "zh_CN") == "热线、网页表单"
    assert channels(["hotline", "web form"], "en") == "hotline, web form"
    assert evidence_kind("visit", "zh_CN") == "到访" and evidence_kind("visit", "en") == "visit"


def test_data_warnings_and_official_closures_in_chinese() -> None:
    from reminder.calendar import get_calendar

    # 2027: the holidays package has no date yet for China's swapped days off (not published).
    (missing,) = get_calendar("CN").warnings(date(2027, 1, 1), date(2027, 12, 31))
    (absent,) = get_calendar("BH").warnings(date(2200, 1, 1), date(2200, 1, 2))
    for english in (missing, absent):
        chinese = warning_text(english, "CN" if english is missing else "BH", "zh_CN")
        assert chinese != english and chinese.startswith("节假日数据 holidays ")
        assert_no_english(chinese, allow={"holidays"}, what=english)
        assert warning_text(english, "CN", "en") == english
    assert "2027 年休息日的日期" in warning_text(missing, "CN", "zh_CN")  # the package's own Chinese
    (line,) = compute_window(date(2026, 3, 12), country="BH").overrides
    chinese = override_text(line, "zh_CN")
    assert chinese.startswith(
        "BH 新增 2026-03-23..2026-03-24 开斋节补休日（补3月20日周五、3月21日周六）"
        "［已公布：首相关于伊历 1447 年开斋节假期的通告（3月20日（星期五）至24日（星期二）放假，"
    )
    assert override_text(line, "en") == line
    # A year without circulars: the rule, which was English ("［尚未公布：practice of the Prime …").
    (rule,) = compute_window(date(2027, 12, 10), country="BH").overrides
    for english in (line, rule):
        assert_no_english(override_text(english, "zh_CN"), what=english)
        assert override_text(english, "en") == english


def test_preset_rules_read_in_chinese() -> None:
    i18n.set_language("zh_CN")
    rules = {r.describe(): r.describe_for_people() for p in DEFAULT_PRESETS.values() for r in p.steps}
    assert rules["8 weeks after submission"] == "提交后 8 周"
    assert rules["3 business days after the deadline"] == "截止日期后 3 个工作日"
    assert rules["1 month after submission"] == "提交后 1 个月"
    assert all(not english_leaks(v) for v in rules.values())


def test_holiday_names_come_from_the_catalogue_where_holidays_has_no_chinese() -> None:
    assert holiday_name("Eid al-Fitr", "BH", "zh_CN", day=date(2026, 3, 20)) == "开斋节"


# --- the notifiers' own fields ------------------------------------------------------------------

SCRIPT = """\
import json, os, sys
payload = json.load(sys.stdin)
env = {k: v for k, v in os.environ.items() if k.startswith("REMINDER_")}
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump({"payload": payload, "env": env}, out, ensure_ascii=False)
"""


def test_the_command_notifier_gets_chinese_text_under_english_names(tmp_path: Path) -> None:
    from reminder.notifiers import build_notifiers

    i18n.set_language("zh_CN")
    script, out = tmp_path / "hook.py", tmp_path / "out.json"
    script.write_text(SCRIPT, encoding="utf-8")
    (hook,) = build_notifiers({"hook": {"type": "command", "argv": [sys.executable, str(script), str(out)]}})
    m = render_message(CASE, WINDOW, kind="deadline", key="k7m2qx:deadline:1", now=at(WINDOW.deadline),
                       warning=SIM_CANCELLATION_WARNING)  # fmt: skip
    assert hook.send(m).ok
    got = json.loads(out.read_text(encoding="utf-8"))
    payload, env = got["payload"], got["env"]
    assert set(payload) == {"key", "case_id", "kind", "subject", "text", "html", "urgency", "data"}
    assert payload["kind"] == env["REMINDER_KIND"] == "deadline" and payload["urgency"] == "critical"
    assert env["REMINDER_SUBJECT"] == payload["subject"] == m.subject and "是截止日期" in m.subject
    assert env["REMINDER_TEXT"] == m.text
    data = payload["data"]
    assert data["kind"] == "deadline" and data["deadline"] == WINDOW.deadline.isoformat()
    for field in ("headline", "next_step", "warning"):
        assert_no_english(data[field], allow=NAMES, what=field)


def test_notify_test_speaks_each_notifiers_language(tmp_path: Path) -> None:
    from reminder.notifiers.check import test_notifiers

    i18n.set_language("zh_CN")
    mine, theirs = tmp_path / "mine.jsonl", tmp_path / "theirs.jsonl"
    tables = {
        "log": {"path": str(mine)},
        "family": {"type": "log", "path": str(theirs), "language": "en"},
    }
    outcomes = test_notifiers(tables, now=datetime(2026, 3, 1, 9, tzinfo=UTC))
    assert [o.ok for o in outcomes] == [True, True]
    zh, en = (json.loads(p.read_text(encoding="utf-8").splitlines()[-1]) for p in (mine, theirs))
    assert zh["subject"] == "reminder：测试通知" and zh["text"].startswith("这是 reminder 发出的测试消息。")
    assert_no_english(zh["subject"] + "\n" + zh["text"], what="the test message")
    assert en["subject"] == "reminder: test notification"
    assert en["text"].startswith("This is a test from reminder.")
