"""Letters from a case: the facts they state (and the blanks for those reminder does not hold),
in English, Arabic and Chinese, rendered by the shipped templates or a user's, in a sandbox.

The CLI's side (files, e-mail, sending to a real SMTP server) is in test_cli_letters.py.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from reminder.errors import InputError
from reminder.i18n import gettext_for
from reminder.letter_render import to_email, to_html, to_markdown, to_text
from reminder.letter_template import Rendered, _space_cjk, render
from reminder.letters import BLANK, RECIPIENTS, build_facts, follow_up_entry, letter_fields
from reminder.models import Case, EvidenceEntry, Person, ReviewWindow
from reminder.regulators import choose, load_regulators

NOW = datetime(2026, 3, 25, 6, 0, tzinfo=UTC)  # 09:00 in Bahrain, six days after the deadline
LANGS = ("en", "ar", "zh_CN")
ME = Person(name="Li Lei", email="li.lei@example.com", phone="+973 3600 0000")
H1, H2, H3 = ("1f" * 32, "2e" * 32, "3d" * 32)


def case(**kw: object) -> Case:
    fields: dict[str, object] = {
        "id": "k7m2qx",
        "title": "Cancel roaming eSIM",
        "organisation": "Batelco",
        "submitted": date(2026, 3, 1),
        "country": "BH",
        "timezone": "Asia/Bahrain",
        "filed": "cancellation of roaming eSIM",
        "reference": "BT-48213",
        "channels": ("hotline",),
        "account": "+973 3900 4242",
        "org_email": "complaints@batelco.example",
        "preset": "telecom",
    }
    fields.update(kw)
    return Case(**fields)  # type: ignore[arg-type]


WINDOW = ReviewWindow(
    country="BH",
    subdivision=None,
    submitted=date(2026, 3, 1),
    opens=date(2026, 3, 10),
    deadline=date(2026, 3, 19),
    min_days=7,
    max_days=15,
)


def entry(seq: int, kind: str, summary: str, at: datetime, digest: str, **kw: object) -> EvidenceEntry:
    return EvidenceEntry(
        case_id="k7m2qx", seq=seq, kind=kind, summary=summary, at=at, recorded_at=at, hash=digest, **kw
    )  # type: ignore[arg-type]


ENTRIES = (
    entry(1, "call", "Called 196: agent says wait", datetime(2026, 3, 2, 7, 0, tzinfo=UTC), H1),
    entry(
        2,
        "screenshot",
        "Status page: pending",
        datetime(2026, 3, 10, 8, 30, tzinfo=UTC),
        H2,
        attachments=({"name": "status.png", "sha256": "ab" * 32, "size": "2048"},),
    ),
    entry(3, "letter", "Asked for the decision", datetime(2026, 3, 21, 5, 0, tzinfo=UTC), H3),
)


def facts(to: str, lang: str, *, c: Case | None = None, me: Person = ME, entries=ENTRIES, **kw: object):  # type: ignore[no-untyped-def]
    c = c or case()
    return build_facts(
        to=to,
        lang=lang,
        case=c,
        window=WINDOW,
        entries=entries,
        me=me,
        regulator=choose(c.country, "telecom", c.organisation),
        now=NOW,
        reply_by=date(2026, 4, 1),
        head=(3, H3),
        **kw,  # type: ignore[arg-type]
    )


def rendered(to: str, lang: str, **kw: object) -> Rendered:
    return render(facts(to, lang, **kw))  # type: ignore[arg-type]


# --- the facts each letter states ---------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("to", RECIPIENTS)
def test_each_letter_carries_the_facts_of_the_case(to: str, lang: str) -> None:
    r = rendered(to, lang)
    text, html = to_text(r), to_html(r)
    day = gettext_for(lang).format_date
    for fact in ("Li Lei", "+973 3900 4242", "BT-48213", "cancellation of roaming eSIM", "Batelco"):
        assert fact in text and fact in html, (fact, lang, to)
    # The submission and the deadline, as the language writes them and in ISO for copying.
    for d in (date(2026, 3, 1), date(2026, 3, 19)):
        assert d.isoformat() in text and day(d) in text, (d, lang, to)
    assert date(2026, 4, 1).isoformat() in text or to == "regulator"  # what is asked, and by when
    tra = load_regulators()["bh-tra"]
    assert (
        tra.name_local if lang == "ar" else tra.name
    ) in text  # the regulator, by its name in the letter's language
    for e in ENTRIES:  # every evidence entry, with its date
        local = e.at.astimezone(r_zone()).date()
        assert e.summary in text and (day(local) in text or local.isoformat() in text), (e.seq, lang, to)
        if to == "regulator":
            assert e.hash in text and e.hash in html  # and, to the regulator, with its hash
    if to == "regulator":
        assert "status.png" in text and "ab" * 32 in text  # the attachments listed with their SHA-256
        assert "li.lei@example.com" in text and "+973 3600 0000" in text  # the complainant
        assert "Asked for the decision" in text  # the follow-up sent to the organisation
    assert r.missing == ("regulator.postal",) if to == "regulator" else r.missing == ()
    assert "None" not in text and "null" not in text


def r_zone():  # type: ignore[no-untyped-def]
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Bahrain")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("to", RECIPIENTS)
def test_a_fact_reminder_does_not_hold_is_a_visible_blank_never_invented(to: str, lang: str) -> None:
    c = case(account=None, reference=None, org_email=None)
    r = render(facts(to, lang, c=c, me=Person(name="Li Lei")))
    text = to_text(r)
    assert BLANK in text
    for key in ("case.account", "case.reference", "me.phone", "me.email"):
        assert key in r.missing, (key, r.missing)
    # No number stands where the account would be: the only digits left are dates, days and hashes.
    assert "+973" not in text and "3900" not in text and "BT-" not in text
    assert '<span class="blank" data-field="case.account">[____]</span>' in r.body


def test_the_organisation_letter_says_what_is_asked_by_when_and_what_follows() -> None:
    text = to_text(rendered("organisation", "en"))
    assert "within 7 to 15 business days" in text
    assert "day 15 was Thu 2026-03-19" in text and "6 days ago" in text
    assert "by Wed 2026-04-01" in text
    assert "to the Telecommunications Regulatory Authority (TRA)" in text
    zh = to_text(rendered("organisation", "zh_CN"))
    assert "尊敬的 Batelco：" in zh and "此致\n敬礼！" in zh and "第 15 个工作日" in zh
    assert "2026年4月1日 星期三（2026-04-01）前" in zh
    ar = to_text(rendered("organisation", "ar"))
    assert "تحية طيبة وبعد" in ar and "هيئة تنظيم الاتصالات" in ar and "وتفضّلوا بقبول فائق الاحترام" in ar


def test_without_a_regulator_the_follow_up_names_none() -> None:
    c = case(country="US", timezone="America/New_York")  # a telecom case (its preset) with no regulator known
    f = build_facts(
        to="organisation", lang="en", case=c, window=WINDOW, entries=(), me=ME, regulator=None,
        now=NOW, reply_by=date(2026, 4, 1), sector="telecom",
    )  # fmt: skip
    assert "to the competent regulator" in to_text(render(f))


def test_the_regulator_letter_follows_the_order_of_the_regulators_form() -> None:
    text = to_text(
        rendered("regulator", "en", c=case(country="CN", timezone="Asia/Shanghai", organisation="中国移动"))
    )
    # MIIT's form (电信用户申诉处理办法 art. 12): the complainant, the operator, then what is asked.
    order = [text.index(h) for h in ("Complainant", "Operator complained about", "Account", "What I ask",
                                     "The request and its dates", "Timeline of my records")]  # fmt: skip
    assert order == sorted(order)
    zh = render(facts("regulator", "zh_CN", c=case(country="CN", timezone="Asia/Shanghai")))
    assert "尊敬的工业和信息化部电信用户申诉受理中心：" in to_text(zh)
    assert "me.address" in zh.missing and "case.org_address" in zh.missing  # art. 12 asks for both


def test_the_follow_up_is_the_latest_letter_after_the_request() -> None:
    zone = r_zone()
    on_the_day = entry(1, "email", "The request itself", datetime(2026, 3, 1, 9, 0, tzinfo=UTC), H1)
    later = entry(2, "letter", "Letter asking for the decision", datetime(2026, 3, 22, 9, 0, tzinfo=UTC), H2)
    call = entry(3, "call", "Called again", datetime(2026, 3, 23, 9, 0, tzinfo=UTC), H3)
    assert follow_up_entry([on_the_day], date(2026, 3, 1), zone) is None
    assert follow_up_entry([on_the_day, later, call], date(2026, 3, 1), zone) == later
    r = render(facts("regulator", "en", entries=(on_the_day,)))
    assert "follow_up" in r.missing and "Date and content of my follow-up: [____]" in to_text(r)


def test_an_e_mail_logged_by_hand_or_the_complaint_sent_is_no_follow_up() -> None:
    # The log does not say who wrote an e-mail logged by hand: the carrier's acknowledgement,
    # kept as the user story asks, is not a follow-up the user sent; nor is the complaint that
    # letter --send sent to the regulator. Reminder's record of a follow-up it sent is one.
    from reminder.evidence import SENT_LETTER_PREFIX

    zone = r_zone()

    def sent(seq: int, to: str, day: int) -> EvidenceEntry:
        summary = f"{SENT_LETTER_PREFIX.format(to=to)}Batelco <c@b.example>: Follow-up (Message-ID <{seq}@x>)"
        return entry(seq, "email", summary, datetime(2026, 3, day, 9, 0, tzinfo=UTC), H2)

    received = entry(1, "email", "Batelco acknowledged it", datetime(2026, 3, 2, 8, 0, tzinfo=UTC), H1)
    assert follow_up_entry([received], date(2026, 3, 1), zone) is None
    text = to_text(render(facts("regulator", "en", entries=(received,))))
    assert "I wrote to Batelco" not in text and "and followed it up" not in text
    assert "Date and content of my follow-up: [____]" in text
    follow_up, complaint = sent(2, "organisation", 22), sent(3, "regulator", 30)
    assert follow_up_entry([received, follow_up, complaint], date(2026, 3, 1), zone) == follow_up
    assert follow_up_entry([received, complaint], date(2026, 3, 1), zone) is None


def test_letter_fields_are_checked_and_an_empty_one_clears() -> None:
    assert letter_fields(account=" 3900 ", org_email="Batelco <c@b.example>", letter_language="zh-CN") == {
        "account": "3900",
        "org_email": "c@b.example",
        "letter_language": "zh_CN",
    }
    assert letter_fields(account="", letter_language=None) == {"account": None, "letter_language": None}
    with pytest.raises(InputError, match="--org-email: 'nope' is not an e-mail address"):
        letter_fields(org_email="nope")
    with pytest.raises(InputError, match="unknown language 'fr'; use one of: en, zh_CN, ar"):
        letter_fields(letter_language="fr")


# --- Arabic: right to left, in logical order -------------------------------------------------------------

_BIDI_CONTROLS = {"\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"}


@pytest.mark.parametrize("to", RECIPIENTS)
def test_arabic_html_is_right_to_left_with_its_text_in_logical_order(to: str) -> None:
    html = to_html(rendered(to, "ar"))
    assert '<html lang="ar" dir="rtl">' in html and 'dir="rtl"' in html.split("<body>")[1]
    # Logical order: the letters as typed and read, first to last; no visual-order tricks (bidi
    # overrides, or presentation forms that hard-code the shapes a renderer picks itself).
    assert not _BIDI_CONTROLS & set(html)
    assert not [c for c in html if "ARABIC" in unicodedata.name(c, "") and "FORM" in unicodedata.name(c, "")]
    greeting, closing = "تحية طيبة وبعد", "وتفضّلوا بقبول فائق الاحترام والتقدير"
    assert html.index(greeting) < html.index(closing)  # read from the start: greeting first
    assert greeting[0] == "ت" and "\u062a\u062d\u064a\u0629" in html  # ت ح ي ة: the word in reading order
    # Latin and digits inside Arabic are isolated, so "BT-48213" stays one left-to-right run
    # (the direction written out: WeasyPrint, which makes the PDF, does not guess it).
    assert '<bdi dir="ltr">BT-48213</bdi>' in html
    assert '<bdi dir="ltr">+973 3600 0000</bdi>' in html and '<bdi dir="ltr">li.lei@example.com</bdi>' in html
    assert '(<bdi dir="ltr">2026-03-01</bdi>)' in html  # the ISO date after the Arabic one


def test_arabic_letters_isolate_every_left_to_right_item() -> None:
    """Each fact a left-to-right reader typed — or a machine wrote — is a run of its own in the
    Arabic letter; text typed in Arabic is isolated right to left. (tests/test_letter_layout.py
    checks what a reader sees on the page.)"""
    log = (
        *ENTRIES,
        entry(4, "note", "更正：10:40，不是 10:30", datetime(2026, 3, 22, 7, 15, tzinfo=UTC), "4c" * 32),
        entry(5, "note", "اتصلت بالخط الساخن", datetime(2026, 3, 23, 7, 40, tzinfo=UTC), "5b" * 32),
    )
    html = to_html(rendered("regulator", "ar", entries=log))
    for item in (
        "+973 3600 0000",  # phone
        "li.lei@example.com",
        "complaints@batelco.example",
        "2026-03-02 10:00 +03:00",  # an entry's time, with its offset
        H1,  # a hash
        "ab" * 32,  # an attachment's SHA-256
        "Batelco",  # typed in English: left to right
        "cancellation of roaming eSIM",
        "更正：10:40，不是 10:30",  # typed in Chinese: left to right
        "+973 3900 4242",  # the account: no letter at all, so left to right
    ):
        assert f'<bdi dir="ltr">{item}</bdi>' in html, item
    assert '<bdi dir="rtl">اتصلت بالخط الساخن</bdi>' in html  # typed in Arabic
    assert "<bdi>" not in html  # no run left to guess its direction


def test_a_blank_isolated_is_still_a_blank_the_letter_reports() -> None:
    r = rendered("regulator", "ar", me=Person(name="Li Lei", email="li.lei@example.com"))
    assert '<bdi dir="ltr"><span class="blank" data-field="me.phone">[____]</span></bdi>' in to_html(r)
    assert "me.phone" in r.missing
    assert BLANK in to_text(r)


def test_the_english_and_chinese_letters_are_unchanged_by_isolation() -> None:
    for lang in ("en", "zh_CN"):
        for to in RECIPIENTS:
            html = to_html(rendered(to, lang))
            assert "<bdi" not in html and 'dir="ltr"' in html.split("<body>")[1], (lang, to)


# --- templates: a user's override, and the sandbox -------------------------------------------------------


def test_a_user_template_overrides_the_shipped_one(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "organisation.html.j2").write_text(
        '{% set subject = "Where is my cancellation, " ~ case.reference ~ "?" %}'
        "<p>Mine: {{ case.request }} of {{ case.submitted | dated }}, due {{ window.deadline | iso }}.</p>",
        encoding="utf-8",
    )
    r = render(facts("organisation", "en"), user_dir=tmp_path)
    assert r.template == str(tmp_path / "en" / "organisation.html.j2")
    assert r.subject == "Where is my cancellation, BT-48213?"
    assert to_text(r) == "Mine: cancellation of roaming eSIM of Sun 2026-03-01, due 2026-03-19.\n"
    assert r.missing == ()  # it printed no blank, so none is reported
    # The other letters still come from the shipped templates.
    assert render(facts("regulator", "en"), user_dir=tmp_path).template.endswith("en/regulator.html.j2")
    assert "reminder/templates/letters" in render(facts("regulator", "en"), user_dir=tmp_path).template


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ case.__class__.__init__.__globals__['os'] }}",
        "{{ blank.__self__._seen }}",
        "{% for c in ().__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    ],
)
def test_a_template_reaching_for_python_internals_is_refused(tmp_path: Path, source: str) -> None:
    (tmp_path / "en").mkdir()
    path = tmp_path / "en" / "organisation.html.j2"
    path.write_text(source, encoding="utf-8")
    with pytest.raises(InputError) as err:
        render(facts("organisation", "en"), user_dir=tmp_path)
    message = str(err.value)
    assert message.startswith(f"{path}: refused: the template tried to reach Python internals")
    assert "\n" not in message


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ case.nope }}", r"organisation\.html\.j2: the template failed: .*nope"),
        ("{% if %}", r"organisation\.html\.j2:1: template syntax error"),
        ("{{ 'x' | day }}", r"organisation\.html\.j2: the template failed: AttributeError"),
    ],
)
def test_a_broken_user_template_is_one_line_naming_the_file(
    tmp_path: Path, source: str, message: str
) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "organisation.html.j2").write_text(source, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        render(facts("organisation", "en"), user_dir=tmp_path)


# --- the body read back as text and Markdown -------------------------------------------------------------


def _r(body: str, lang: str = "en") -> Rendered:
    return Rendered(subject="s", body=body, lang=lang, dir="ltr", template="t")


def test_text_and_markdown_from_the_neutral_html() -> None:
    body = (
        "<p>Dear <strong>Sir</strong> or Madam,\n  see <a href='https://x.example/f'>the form</a>.</p>"
        "<h2>1. Request</h2><table><tr><td>Reference</td><td>A|B *x* &lt;y&gt;</td></tr>"
        "<tr><td>Made on</td><td>Sun 2026-03-01</td></tr></table>"
        "<table><tr><th>No.</th><th>Hash</th></tr><tr><td>1</td><td class='mono'>abc</td></tr></table>"
        "<ul><li>one</li><li>two<br>lines</li></ul><p>Li<br>Lei</p><style>p{}</style>"
    )
    assert to_text(_r(body)) == (
        "Dear Sir or Madam, see the form <https://x.example/f>.\n\n"
        "1. Request\n----------\n\n"
        "Reference: A|B *x* <y>\nMade on:   Sun 2026-03-01\n\n"
        "- 1\n  Hash: abc\n\n"
        "- one\n- two\n   lines\n\n"
        "Li\nLei\n"
    )
    md = to_markdown(_r(body))
    assert "Dear **Sir** or Madam, see [the form](https://x.example/f)." in md
    assert "## 1\\. Request" not in md and "## 1. Request" in md
    assert "| Reference | A\\|B \\*x\\* \\<y\\> |" in md
    assert "| No. | Hash |\n|---|---|\n| 1 | `abc` |" in md
    assert "- two<br>lines" in md and "Li\\\nLei" in md and "p{}" not in md


def test_chinese_is_spaced_as_the_glossary_writes_it() -> None:
    assert _space_cjk("本人于2026年3月1日通过hotline向贵方") == "本人于 2026年3月1日通过 hotline 向贵方"
    assert _space_cjk("第15个工作日，编号：BT-48213") == "第 15 个工作日，编号：BT-48213"
    assert _space_cjk('<td class="x1">第15个</td>') == '<td class="x1">第 15 个</td>'
    # One Chinese character between two numbers is spaced on both sides (it was "7至 15"), and a
    # telephone number's + is where the number starts (it was "为+973").
    assert _space_cjk("在7至15个工作日内") == "在 7 至 15 个工作日内"
    assert _space_cjk("电话为+973 1234 5678。") == "电话为 +973 1234 5678。"
    # A line break in a template between two Chinese characters is no space in the text.
    assert (
        to_text(_r("<p>期限已届满。\n本人至今未收到结果。</p>", "zh_CN"))
        == "期限已届满。本人至今未收到结果。\n"
    )


def test_the_email_is_a_draft_with_the_text_and_the_html() -> None:
    import email
    from email.policy import default

    r = rendered("organisation", "zh_CN")
    msg = to_email(
        r, sender_name="李雷", sender="li.lei@example.com", recipient_name="Batelco",
        recipient="complaints@batelco.example", now=NOW, case_id="k7m2qx", to="organisation",
    )  # fmt: skip
    raw = msg.as_bytes()
    assert raw.isascii() and b"\r\n" in raw  # 7-bit, CRLF: any server, any client
    back = email.message_from_bytes(raw, policy=default)
    assert str(back["From"]) == "李雷 <li.lei@example.com>" and back["X-Unsent"] == "1"
    assert back["Subject"] == r.subject and "BT-48213" in back["Subject"]
    # make_msgid's length varies with the pid and its random part: past 78 columns the header is
    # folded before the id (legal, RFC 5322 3.6.4), and the parsed value keeps the fold's space.
    assert re.fullmatch(r"<[^<>@\s]+@example\.com>", back["Message-ID"].strip())
    assert back["Content-Language"] == "zh-CN"
    assert back.get_body(("plain",)).get_content().replace("\r\n", "\n") == to_text(r)
    assert 'lang="zh-CN"' in back.get_body(("html",)).get_content()


# --- how the request was made, in the letter's words (not the channel's English value) ------------------

# A case's channels as typed, and how each letter names them (case.channel in the templates).
CHANNEL_SAID = {
    "en": ("by telephone (hotline 196)", "through the online form"),
    "ar": ("الهاتف (الخط الساخن \u2068196\u2069)", "النموذج الإلكتروني"),
    "zh_CN": ("热线 196", "网页表单"),
}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("to", RECIPIENTS)
def test_the_letter_names_the_channel_in_its_language(to: str, lang: str) -> None:
    letter = to_text(rendered(to, lang, c=case(channels=("hotline 196", "online form"))))
    for said in CHANNEL_SAID[lang]:
        assert said in letter, (said, letter)
    if lang != "en":
        assert "hotline" not in letter and "online form" not in letter
    if lang == "ar" and to == "organisation":
        said = "تقدّمتُ إليكم عبر الهاتف (الخط الساخن \u2068196\u2069) والنموذج الإلكتروني بالطلب التالي"
        assert said in letter
    if lang == "en" and to == "organisation":
        said = "I asked you, by telephone (hotline 196) and through the online form, for the following"
        assert said in letter
    if lang == "zh_CN" and to == "organisation":
        assert "通过热线 196、网页表单向贵方提交" in letter


def test_a_channel_reminder_does_not_know_is_quoted_as_typed() -> None:
    c = case(channels=("WhatsApp +973 3300 0000",))
    assert "I asked you, via WhatsApp +973 3300 0000, for" in to_text(rendered("organisation", "en", c=c))
    # In Arabic isolated (invisible U+2068 … U+2069), so that the number keeps its order.
    assert "عبر \u2068WhatsApp +973 3300 0000\u2069 بالطلب" in to_text(rendered("organisation", "ar", c=c))
    assert "通过 WhatsApp +973 3300 0000 向贵方" in to_text(rendered("organisation", "zh_CN", c=c))


# --- compose_letter: never a deadline that has not passed ---------------------------------------------


def test_compose_letter_refuses_before_the_deadline_unless_asked(tmp_path: Path) -> None:
    from reminder.cases import add_case
    from reminder.config import Settings
    from reminder.letter_api import compose_letter
    from reminder.store import Store

    settings = Settings()
    added = datetime(2026, 4, 23, 7, 0, tzinfo=UTC)
    with Store(tmp_path / "reminder.db") as store:
        c = add_case(
            store, settings, now=added, title="Cancel roaming eSIM", organisation="Batelco",
            submitted=date(2026, 4, 23), country="BH", timezone="Asia/Bahrain", preset="telecom",
        )  # fmt: skip
        early = datetime(2026, 4, 30, 7, 0, tzinfo=UTC)
        for to in RECIPIENTS:
            with pytest.raises(InputError, match=r"deadline of case \w+ \(2026-05-14\) has not passed"):
                compose_letter(store, settings, c.id, to=to, now=early)
        with pytest.raises(InputError, match="regulator"):
            compose_letter(store, settings, c.id, to="regulator", now=early, before_deadline=True)
        letter = compose_letter(store, settings, c.id, to="organisation", now=early, before_deadline=True)
        assert "by Sun 2026-05-17" in letter.data.decode()
        late = datetime(2026, 5, 15, 7, 0, tzinfo=UTC)
        after = compose_letter(store, settings, c.id, to="regulator", now=late)
        assert "ended on Thu 2026-05-14" in after.data.decode()


# --- the regulator a letter names: only one the data knows for the case --------------------------------


LATE = datetime(2026, 4, 20, 6, 0, tzinfo=UTC)  # well after the stored cases' deadline


def _stored_case(store, settings, **kw: object):  # type: ignore[no-untyped-def]
    from reminder.cases import add_case

    fields: dict[str, object] = {
        "title": "Cancel roaming eSIM", "organisation": "Batelco", "submitted": date(2026, 3, 1),
        "country": "BH", "timezone": "Asia/Bahrain",
    }  # fmt: skip
    fields.update(kw)
    return add_case(store, settings, now=datetime(2026, 3, 1, 7, 0, tzinfo=UTC), **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["visa", None])
def test_a_case_no_regulator_is_known_for_names_none(tmp_path: Path, kind: str | None) -> None:
    from reminder.config import Settings
    from reminder.letter_api import compose_letter
    from reminder.store import Store

    settings = Settings()
    with Store(tmp_path / "reminder.db") as store:
        extra = {"kind": kind} if kind else {}
        c = _stored_case(store, settings, title="Work visa renewal", organisation="LMRA", **extra)
        letter = compose_letter(store, settings, c.id, to="organisation", now=LATE)
        text = letter.data.decode()
        assert letter.regulator is None
        assert "Telecommunications" not in text and "TRA" not in text and "regulator" not in text
        assert "I will take the matter further, enclosing this letter" in text
        with pytest.raises(InputError, match="no regulator is known for this kind of case in BH") as refused:
            compose_letter(store, settings, c.id, to="regulator", now=LATE)
        assert "\n" not in str(refused.value) and "--preset telecom" in str(refused.value)
        assert "--regulator ID" in str(refused.value)
        # Named outright, it is written to.
        named = compose_letter(store, settings, c.id, to="regulator", now=LATE, regulator_id="bh-tra")
        assert named.regulator is not None and named.regulator.id == "bh-tra"


@pytest.mark.parametrize(
    ("kind", "preset"), [("cancellation", None), ("sim-cancellation", None), ("other", "telecom")]
)
def test_a_telecom_case_still_goes_to_the_tra(tmp_path: Path, kind: str, preset: str | None) -> None:
    from reminder.config import Settings
    from reminder.letter_api import compose_letter
    from reminder.store import Store

    settings = Settings()
    with Store(tmp_path / "reminder.db") as store:
        c = _stored_case(store, settings, kind=kind, preset=preset)
        text = compose_letter(store, settings, c.id, to="organisation", now=LATE).data.decode()
        assert "to the Telecommunications Regulatory Authority (TRA)" in text
        regulator = compose_letter(store, settings, c.id, to="regulator", now=LATE).regulator
        assert regulator is not None and regulator.id == "bh-tra"


@pytest.mark.parametrize("lang", LANGS)
def test_without_a_sector_the_follow_up_does_not_speak_of_a_regulator(lang: str) -> None:
    c = case(title="Work visa renewal", filed=None, organisation="LMRA", kind="visa", preset=None)
    f = build_facts(
        to="organisation", lang=lang, case=c, window=WINDOW, entries=(), me=ME, regulator=None,
        now=NOW, reply_by=date(2026, 4, 1),
    )  # fmt: skip
    text = to_text(render(f))
    for word in ("regulator", "الجهة التنظيمية", "主管部门", "TRA"):
        assert word not in text, (lang, word)
    assert {"en": "take the matter further", "ar": "متابعة الأمر", "zh_CN": "其他途径"}[lang] in text


# --- the evidence a letter lists: in date order, the request's "since" meaning since it -----------------


def _list_after(text: str, heading: str) -> list[str]:
    """The "- " items of the list under ``heading`` in a letter's text."""
    lines = [line for line in text[text.index(heading) :].splitlines()[1:] if line]
    return lines[: next(i for i, line in enumerate(lines) if not line.startswith("- "))]


# Logged in this order; the last one dated years before the request (evidence add --at 2020-01-01).
LATE_LOGGED = (
    *ENTRIES,
    entry(4, "call", "Called back: told to wait", datetime(2026, 3, 3, 7, 0, tzinfo=UTC), H1),
    entry(5, "call", "before submission", datetime(2020, 1, 1, 7, 0, tzinfo=UTC), H2),
)


def test_the_follow_up_lists_what_happened_since_the_request_in_date_order() -> None:
    text = to_text(rendered("organisation", "en", entries=LATE_LOGGED))
    assert _list_after(text, "What has happened since:") == [
        "- Mon 2026-03-02: phone call: Called 196: agent says wait",
        "- Tue 2026-03-03: phone call: Called back: told to wait",
        "- Tue 2026-03-10: screenshot: Status page: pending",
        "- Sat 2026-03-21: letter: Asked for the decision",
    ]
    # What was logged as before the request is not "since": it is said for what it is.
    assert _list_after(text, "Before I made the request:") == [
        "- Wed 2020-01-01: phone call: before submission"
    ]
    assert text.index("Before I made the request:") < text.index("What has happened since:")
    for lang, before, since in (
        ("ar", "وقبل تقديم الطلب:", "وفيما يلي ما جرى منذ ذلك الحين:"),
        ("zh_CN", "提交申请前的相关情况如下：", "此后的往来及相关情况如下："),
    ):
        other = to_text(rendered("organisation", lang, entries=LATE_LOGGED))
        assert other.index(before) < other.index("before submission") < other.index(since), lang
        assert other.index("Called back") < other.index("Status page"), lang
    # The complaint's timeline: every record (it is the log, hashes and all), in the same date order.
    reg = to_text(rendered("regulator", "en", entries=LATE_LOGGED)).split("Timeline of my records")[1]
    order = [
        reg.index(s) for s in ("before submission", "Called 196", "Called back", "Status page", "Asked for")
    ]
    assert order == sorted(order)


def test_a_corrected_entry_is_stated_once_in_its_last_version() -> None:
    wrong = entry(
        4, "call", "Agent promised a call back on Tuesday", datetime(2026, 3, 22, 7, 0, tzinfo=UTC), H1
    )
    fixed = entry(
        5,
        "call",
        "Agent promised a call back on Wednesday",
        datetime(2026, 3, 22, 7, 5, tzinfo=UTC),
        H2,
        corrects=4,
    )
    entries = (*ENTRIES, wrong, fixed)
    # The letters state what happened: the correction, saying which entry of the log it corrects
    # (the dossier lists both); the complaint's timeline likewise.
    text = to_text(rendered("organisation", "en", entries=entries))
    assert "Wednesday (entry 5 of my records, correcting entry 4)" in text and "Tuesday" not in text
    reg = to_text(rendered("regulator", "en", entries=entries))
    assert "(corrects entry 4)" in reg and "Tuesday" not in reg and "only the correction is listed" in reg
    ar = to_text(rendered("organisation", "ar", entries=entries))
    assert "وهو تصحيح للقيد رقم 4" in ar and "صُحّح" not in ar and "Tuesday" not in ar
    zh = to_text(rendered("organisation", "zh_CN", entries=entries))
    assert "证据记录第 5 条，更正第 4 条" in zh and "已由" not in zh and "Tuesday" not in zh


def test_the_files_of_a_corrected_entry_go_with_its_last_version() -> None:
    # Entry 2 (the screenshot) corrected by 4, which attaches nothing: the file is still evidence of
    # that fact, listed with the correction under its own entry's number, as the dossier lists it.
    at = datetime(2026, 3, 10, 8, 30, tzinfo=UTC)
    fixed = entry(4, "screenshot", "Status page: still pending", at, H2, corrects=2)
    f = facts("regulator", "en", entries=(*ENTRIES, fixed))
    shown = {e.seq: e for e in f.entries}
    assert sorted(shown) == [1, 3, 4] and shown[4].replaces == (2,)
    assert [(x.name, x.entry) for x in shown[4].files] == [("status.png", 2)]
    assert [(x.name, x.entry) for x in f.files] == [("status.png", 2)]
    text = to_text(render(f))
    assert "Status page: still pending" in text and "Status page: pending" not in text
    assert "Files: status.png" in text and "status.png (record 2)" in text


# --- a closed case has no letter; a complaint claims no follow-up the log does not hold ---------------


def test_compose_letter_refuses_a_closed_case(tmp_path: Path) -> None:
    from reminder.cases import close_case, reopen_case
    from reminder.config import Settings
    from reminder.letter_api import compose_letter
    from reminder.store import Store

    settings = Settings()
    with Store(tmp_path / "reminder.db") as store:
        c = _stored_case(store, settings, preset="telecom")
        close_case(store, settings, c.id, resolution="cancelled OK", now=LATE)
        for to in RECIPIENTS:
            with pytest.raises(
                InputError, match=rf"case {c.id} is closed.*'reminder reopen {c.id}'"
            ) as refused:
                compose_letter(store, settings, c.id, to=to, now=LATE)
            assert "\n" not in str(refused.value)
        reopen_case(store, settings, c.id, now=LATE)
        assert (
            "I have not received your decision"
            in compose_letter(store, settings, c.id, to="organisation", now=LATE).data.decode()
        )


@pytest.mark.parametrize("lang", LANGS)
def test_the_complaint_claims_a_follow_up_only_when_one_is_logged(lang: str) -> None:
    claim = {"en": "and followed it up", "ar": "وتابعته معها", "zh_CN": "并进行催办"}[lang]
    without = to_text(rendered("regulator", lang, entries=ENTRIES[:2]))  # a call and a screenshot
    assert claim not in without
    assert {"en": "I took the matter to Batelco first;", "ar": "تقدّمتُ إليها أولاً بالطلب.",
            "zh_CN": "本人已先行向 Batelco 提出申请，"}[lang] in without  # fmt: skip
    assert claim in to_text(rendered("regulator", lang))  # entry 3, a letter after the request
