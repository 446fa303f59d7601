"""Which script a text is in, and which texts of a letter its reader may not read."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from reminder.letter_scripts import ForeignText, foreign_script, foreign_texts, script_of
from reminder.letters import build_facts
from reminder.models import Case, EvidenceEntry, Person, ReviewWindow


@pytest.mark.parametrize(
    ("ch", "script"),
    [
        ("a", "Latin"), ("é", "Latin"), ("ß", "Latin"), ("Ａ", "Latin"), ("ª", "Latin"),
        ("注", "Han"), ("𠀀", "Han"), ("々", "Han"),
        ("あ", "Kana"), ("ア", "Kana"), ("ｱ", "Kana"), ("ー", "Kana"),
        ("가", "Hangul"), ("ж", "Cyrillic"), ("λ", "Greek"), ("ب", "Arabic"), ("א", "Hebrew"),
        ("ก", "Thai"), ("क", "Devanagari"),
        ("1", None), ("٣", None), ("，", None), ("-", None), (" ", None), ("€", None), ("\u0301", None),
    ],
)  # fmt: skip
def test_script_of_a_character(ch: str, script: str | None) -> None:
    assert script_of(ch) == script


@pytest.mark.parametrize(
    ("text", "lang", "script"),
    [
        ("cancellation of roaming eSIM", "en", None),
        ("Café déjà vu, ½ price: €5 (№ 3)", "en", None),
        ("注销巴林漫游eSIM卡", "en", "Han"),
        ("eSIM を解約", "en", "Kana"),
        ("eSIM 해지", "en", "Hangul"),
        ("отмена eSIM", "en", "Cyrillic"),
        ("إلغاء الشريحة", "en", "Arabic"),
        ("إلغاء eSIM", "ar", None),
        ("注销 eSIM", "ar", "Han"),
        ("отмена", "ar", "Cyrillic"),
        ("注销巴林漫游eSIM卡", "zh_CN", None),  # a Chinese letter quotes anything
        ("отмена", "zh_CN", None),
        ("", "en", None),
    ],
)
def test_foreign_script_for_a_letters_language(text: str, lang: str, script: str | None) -> None:
    assert foreign_script(text, lang) == script


def _entry(seq: int, summary: str, corrects: int | None = None) -> EvidenceEntry:
    at = datetime(2026, 3, 1 + seq, 7, 0, tzinfo=UTC)
    return EvidenceEntry(
        case_id="k7m2qx", seq=seq, kind="code", summary=summary, at=at, recorded_at=at,
        hash=f"{seq:02x}" * 32, corrects=corrects,
    )  # fmt: skip


def _facts(lang: str, entries: tuple[EvidenceEntry, ...], **case: object):  # type: ignore[no-untyped-def]
    fields: dict[str, object] = {
        "id": "k7m2qx", "title": "注销巴林漫游eSIM卡", "organisation": "Batelco",
        "submitted": date(2026, 3, 1), "country": "BH", "timezone": "Asia/Bahrain",
        "reference": "BT-48213", "channels": ("hotline",),
    }  # fmt: skip
    fields.update(case)
    window = ReviewWindow(
        country="BH", subdivision=None, submitted=date(2026, 3, 1), opens=date(2026, 3, 10),
        deadline=date(2026, 3, 19), min_days=7, max_days=15,
    )  # fmt: skip
    return build_facts(
        to="organisation", lang=lang, case=Case(**fields), window=window, entries=entries,  # type: ignore[arg-type]
        me=Person(name="Li Lei"), regulator=None, now=datetime(2026, 3, 25, tzinfo=UTC),
        reply_by=date(2026, 4, 1),
    )  # fmt: skip


def test_foreign_texts_of_a_letter() -> None:
    entries = (_entry(1, "收到短信验证码，未告诉任何人"), _entry(2, "Called 196: agent says wait"))
    # The title stands for the request until --filed is given; [me]'s name is the writer's own.
    assert foreign_texts(_facts("en", entries)) == [
        ForeignText("case.request", "Han"),
        ForeignText("evidence.summary", "Han", entry=1, kind="code"),
    ]
    assert foreign_texts(_facts("zh_CN", entries)) == []
    assert foreign_texts(_facts("en", (), filed="cancellation of roaming eSIM", organisation="巴林电信")) == [
        ForeignText("case.organisation", "Han")
    ]
    assert [f.field for f in foreign_texts(_facts("ar", (), channels=("微信",), account="電話"))] == [
        "case.request", "case.account", "case.channels",
    ]  # fmt: skip
    # A channel reminder knows is in the letter's own words, typed in Chinese or not; only what
    # follows its name is quoted.
    assert foreign_texts(_facts("en", (), filed="roaming eSIM", channels=("热线", "网上表格"))) == []
    assert foreign_texts(_facts("en", (), filed="roaming eSIM", channels=("热线 找王经理",))) == [
        ForeignText("case.channels", "Han")
    ]
    assert ForeignText("evidence.summary", "Han", entry=1, kind="code").as_dict() == {
        "field": "evidence.summary",
        "entry": 1,
        "script": "Han",
    }


def test_an_entry_corrected_in_the_letters_script_is_not_listed() -> None:
    # The letter states a corrected entry's last version only: the one listed, and then none.
    original = _entry(1, "收到短信验证码，未告诉任何人")
    in_chinese_again = _entry(2, "收到验证码", corrects=1)
    filed = "cancellation of roaming eSIM"
    assert [f.entry for f in foreign_texts(_facts("en", (original, in_chinese_again), filed=filed))] == [2]
    in_english = _entry(3, "SMS verification code received; told nobody", corrects=1)  # 1 as it should be
    entries = (original, in_chinese_again, in_english)
    assert foreign_texts(_facts("en", entries, filed=filed)) == []


def test_an_entry_whose_correction_was_corrected_in_the_letters_script_is_not_listed() -> None:
    # Entry 1 had the wrong date; 2 corrected it in Chinese again, 3 put 2 into English. Both 1
    # and 2 now have their version in the letter's language: listing 1 asked for yet another
    # correction of 1, which (taking 1's --at) would bring back the wrong date.
    original = _entry(1, "打热线 196 提交注销申请")
    redated = _entry(2, "打热线 196 提交注销申请", corrects=1)
    in_english = _entry(3, "Called hotline 196 to file the cancellation", corrects=2)
    filed = "cancellation of roaming eSIM"
    assert foreign_texts(_facts("en", (original, redated, in_english), filed=filed)) == []
    assert [f.entry for f in foreign_texts(_facts("en", (original, redated), filed=filed))] == [2]


def test_the_record_of_a_letter_reminder_sent_is_not_held_against_the_user() -> None:
    # What `letter --send` records quotes the letter's subject, in that letter's language (Arabic):
    # reminder's words, not the user's, so an English letter quoting it does not list it.
    at = datetime(2026, 3, 22, 7, 0, tzinfo=UTC)
    sent = EvidenceEntry(
        case_id="k7m2qx", seq=1, kind="email", at=at, recorded_at=at, hash="01" * 32,
        summary="Letter to the organisation sent by e-mail to Batelco <complaints@batelco.example>: "
        "متابعة طلب: cancellation of roaming eSIM (الرقم المرجعي لديكم: BT-48213) (Message-ID <a@b>)",
    )  # fmt: skip
    typed = EvidenceEntry(
        case_id="k7m2qx", seq=2, kind="email", at=at, recorded_at=at, hash="02" * 32,
        summary="رد من الشركة: الطلب قيد المراجعة",
    )  # fmt: skip
    filed = "cancellation of roaming eSIM"
    assert foreign_texts(_facts("en", (sent, typed), filed=filed)) == [
        ForeignText("evidence.summary", "Arabic", entry=2, kind="email")
    ]
