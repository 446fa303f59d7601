"""`reminder letter` as a user runs it: real processes, a real database, and a real SMTP server
(aiosmtpd on 127.0.0.1) for --send.

Setting a case up runs the CLI in-process (``invoke``, the same parsing and exit codes);
every letter is written by ``python -m reminder`` in a subprocess.
"""

from __future__ import annotations

import email
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from conftest import RunCli, TmpEnv
from english_leaks import assert_no_english
from test_daemon import needs_faketime
from test_notifier_email import Recorder, free_port

# The writer reads Chinese; the letters in English and Arabic name them as those write it ([me] name_in).
ME = (
    '[me]\nname = "李雷"\nemail = "li.lei@example.com"\nphone = "+973 3600 0000"\n'
    'name_in.en = "Li Lei"\nname_in.ar = "لي لي"\n'
)


def ok(r: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert r.returncode == 0, (r.stdout, r.stderr)
    return r


def one_error_line(r: subprocess.CompletedProcess[str], code: int = 2) -> str:
    assert r.returncode == code, (r.stdout, r.stderr)
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, r.stderr
    return r.stderr


def add_case(invoke: RunCli, *extra: str) -> str:
    r = ok(invoke("add", "--title", "Cancel roaming eSIM", "--org", "Batelco", "--submitted", "2026-03-01",
                  "--filed", "cancellation of roaming eSIM", "--reference", "BT-48213",
                  "--channel", "hotline", "--preset", "telecom", *extra, "--json"))  # fmt: skip
    case_id: str = json.loads(r.stdout)["id"]
    ok(invoke("evidence", "add", case_id, "--kind", "call", "--summary", "Called 196: agent says wait",
              "--at", "2026-03-02T10:00"))  # fmt: skip
    return case_id


@pytest.fixture
def case_id(tmp_env: TmpEnv, invoke: RunCli) -> str:
    tmp_env.write_config(ME)
    return add_case(invoke, "--account", "+973 3900 4242", "--org-email", "complaints@batelco.example")


def hashes(run: RunCli, case_id: str) -> list[str]:
    entries = json.loads(ok(run("evidence", "list", case_id, "--json")).stdout)["entries"]
    return [e["hash"] for e in entries]


# --- the case's letter fields ------------------------------------------------------------------------


def test_add_edit_show_and_json_carry_the_letter_fields(
    invoke: RunCli, run_cli: RunCli, case_id: str
) -> None:
    shown = json.loads(ok(run_cli("show", case_id, "--json")).stdout)
    assert (shown["account"], shown["org_email"], shown["letter_language"]) == (
        "+973 3900 4242",
        "complaints@batelco.example",
        None,
    )
    listed = json.loads(ok(run_cli("list", "--json")).stdout)  # the stored documents (fast path)
    assert listed[0]["account"] == "+973 3900 4242" and listed[0]["letter_language"] is None
    text = ok(run_cli("show", case_id)).stdout
    assert "account:      +973 3900 4242" in text and "letters in:   en (the default for BH)" in text
    ok(invoke("edit", case_id, "--lang", "AR", "--account", ""))
    shown = json.loads(ok(run_cli("show", case_id, "--json")).stdout)
    assert shown["letter_language"] == "ar" and shown["account"] is None
    assert json.loads(ok(run_cli("list", "--json")).stdout)[0]["letter_language"] == "ar"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--org-email", "batelco"), "--org-email: 'batelco' is not an e-mail address"),
        (("--org-email", "a@b.example\nBcc: x@y.example"), "is not an e-mail address (it has a line break)"),
        (("--lang", "fr"), "unknown language 'fr'; use one of: en, zh_CN, ar"),
    ],
)
def test_bad_letter_fields_are_one_line_and_exit_2(
    run_cli: RunCli, args: tuple[str, str], message: str
) -> None:
    r = run_cli("add", "--title", "t", "--org", "o", "--submitted", "2026-03-01", *args)
    assert message in one_error_line(r)


# --- letters -----------------------------------------------------------------------------------------


def test_the_organisation_letter_in_english_is_complete_and_quiet(run_cli: RunCli, case_id: str) -> None:
    r = ok(run_cli("letter", case_id, "--to", "organisation"))
    assert r.stderr == ""  # nothing missing, nothing to note: the deadline has passed
    for fact in ("Li Lei", "+973 3600 0000", "li.lei@example.com", "Batelco", "complaints@batelco.example",
                 "BT-48213", "+973 3900 4242", "cancellation of roaming eSIM", "Sun 2026-03-01",
                 "7 to 15 business days", "Wed 2026-03-25", "Called 196: agent says wait",
                 "the Telecommunications Regulatory Authority (TRA)"):  # fmt: skip
        assert fact in r.stdout, fact
    assert "[____]" not in r.stdout


def test_arabic_and_chinese_letters_to_files(run_cli: RunCli, tmp_env: TmpEnv, case_id: str) -> None:
    ok(
        run_cli(
            "letter", case_id, "--to", "organisation", "--lang", "ar", "--format", "html", "-o", "ar.html"
        )
    )
    html = (tmp_env.root / "ar.html").read_text(encoding="utf-8")
    assert (
        '<html lang="ar" dir="rtl">' in html
        and "تحية طيبة وبعد" in html
        and '<bdi dir="ltr">BT-48213</bdi>' in html
    )
    # The channel typed as "hotline" in the letter's own words, not in English.
    assert 'تقدّمتُ إليكم عبر <bdi dir="rtl">الهاتف (الخط الساخن)</bdi> بالطلب التالي' in html
    assert "hotline" not in html
    assert stat.S_IMODE((tmp_env.root / "ar.html").stat().st_mode) == 0o600
    r = ok(run_cli("letter", case_id, "--to", "organisation", "--lang", "zh_CN", "--format", "md"))
    assert "尊敬的 Batelco：" in r.stdout and "2026年3月25日 星期三（2026-03-25）" in r.stdout
    assert "通过热线向贵方提交" in r.stdout and "hotline" not in r.stdout
    # The case's own language is the default for its letters.
    ok(run_cli("edit", case_id, "--lang", "zh_CN"))
    assert "此致" in ok(run_cli("letter", case_id, "--to", "organisation")).stdout


def test_the_regulator_letter_for_bahrain_names_the_tra(run_cli: RunCli, case_id: str) -> None:
    r = ok(run_cli("letter", case_id, "--to", "regulator"))
    assert "Telecommunications Regulatory Authority (TRA)" in r.stdout
    assert "https://consumer.tra.org.bh/en-US/Consumer/index.html" in r.stdout
    for h in hashes(run_cli, case_id):
        assert h in r.stdout
    # Its postal address was not verified: a blank, said so, with what the TRA requires first.
    assert "[____]" in r.stdout
    assert "the regulator's postal address: not verified by reminder: see its web site" in r.stderr
    assert "the follow-up sent to the organisation: send it with 'reminder letter" in r.stderr
    assert "note: TRA requires first: A complaint to the service provider first." in r.stderr
    assert "note: where these facts about TRA come from: https://consumer.tra.org.bh/" in r.stderr
    ar = ok(run_cli("letter", case_id, "--to", "regulator", "--lang", "ar")).stdout
    assert "السادة/ هيئة تنظيم الاتصالات (TRA) المحترمين" in ar


def test_what_the_regulator_requires_is_noted_in_the_users_language(run_cli: RunCli, case_id: str) -> None:
    # The notes are the user's to read; TRA's texts came through in English in a Chinese session
    # ("注意：TRA 受理前要求：A complaint to the service provider first. …").
    english = ok(run_cli("letter", case_id, "--to", "regulator"))
    zh = ok(run_cli("letter", case_id, "--to", "regulator", env={"LANG": "zh_CN.UTF-8"}))
    notes = [line for line in zh.stderr.splitlines() if line.startswith("注意：")]
    assert notes == [
        "注意：TRA 受理前要求：须先向服务商投诉。服务商的服务守则规定的期限已过仍未解决，"
        "或其答复不能令人满意的，可将同一投诉连同全部证明材料提交 TRA。",
        "注意：TRA 受理时限：自向服务商投诉之日起 12 个月内。",
        "注意：TRA 受理争议的方式：其消费者网页、电话 81188，"
        "或寄往其公布的地址（此处未抄录：请查看其联系页面）。",
        "注意：以上有关 TRA 的资料来源：https://consumer.tra.org.bh/en-US/Consumer/index.html",
    ]
    assert_no_english(zh.stderr, allow={case_id}, what="letter's notes")
    # The letter itself is the regulator's to read: the same, whatever the user reads.
    assert zh.stdout == english.stdout


def test_missing_fields_are_blanks_listed_in_the_users_language_and_strict_refuses(
    run_cli: RunCli, invoke: RunCli, tmp_env: TmpEnv
) -> None:
    case_id = add_case(invoke)  # no [me], no --account, no --org-email
    r = ok(run_cli("letter", case_id, "--to", "organisation"))
    assert r.stdout.count("[____]") >= 5 and "+973" not in r.stdout
    assert "Missing in the letter, left as [____] to fill in:" in r.stderr
    assert "  - your name: set [me] name in the config" in r.stderr
    assert (
        f"  - the account or number the organisation knows you by: reminder edit {case_id} --account …"
        in (r.stderr)
    )
    zh = ok(run_cli("letter", case_id, "--to", "organisation", env={"REMINDER_DEFAULTS__LANGUAGE": "zh_CN"}))
    assert "信函中缺少以下信息，已留空 [____] 待填写：" in zh.stderr and "你的姓名" in zh.stderr
    assert "Dear Sir or Madam" in zh.stdout  # the letter is in the recipient's language, not the user's
    target = tmp_env.root / "strict.txt"
    r = run_cli("letter", case_id, "--to", "organisation", "--strict", "-o", str(target))
    assert "the letter would have blanks ([____]) for: your name" in one_error_line(r)
    assert not target.exists()


def test_output_paths_are_checked_first_and_a_symlink_is_written_through(
    run_cli: RunCli, tmp_env: TmpEnv, case_id: str
) -> None:
    assert "empty output path" in one_error_line(run_cli("letter", case_id, "--to", "organisation", "-o", ""))
    missing = tmp_env.root / "no" / "such" / "letter.txt"
    r = run_cli("letter", case_id, "--to", "organisation", "-o", str(missing))
    assert "no such directory" in one_error_line(r) and not missing.parent.exists()
    real = tmp_env.root / "real.txt"
    real.write_text("old")
    link = tmp_env.root / "link.txt"
    link.symlink_to(real)
    r = ok(run_cli("letter", case_id, "--to", "organisation", "-o", str(link)))
    assert link.is_symlink() and "BT-48213" in real.read_text(encoding="utf-8")
    # Said where export says it, whatever the format (it went to stderr for text, to stdout for a PDF).
    assert r.stdout == f"Wrote the letter to {link}\n" and r.stderr == "", r.stderr


def test_the_letter_is_written_in_the_format_its_file_name_says(
    run_cli: RunCli, tmp_env: TmpEnv, case_id: str
) -> None:
    # '-o letter.html' wrote the plain text under that name; '-o letter.eml' a text no mail client opens.
    ok(run_cli("letter", case_id, "--to", "organisation", "-o", str(tmp_env.root / "letter.html")))
    assert (tmp_env.root / "letter.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    ok(run_cli("letter", case_id, "--to", "organisation", "-o", str(tmp_env.root / "letter.eml")))
    assert b"X-Unsent: 1" in (tmp_env.root / "letter.eml").read_bytes()
    other = tmp_env.root / "l.html"
    r = run_cli("letter", case_id, "--to", "organisation", "--format", "md", "-o", str(other))
    assert "--format md" in one_error_line(r) and not other.exists()


def test_the_eml_parses_back_as_a_draft_with_the_dossier(
    run_cli: RunCli, tmp_env: TmpEnv, case_id: str
) -> None:
    r = ok(run_cli("letter", case_id, "--to", "organisation", "--format", "eml", "--attach-dossier"))
    path = tmp_env.root / f"letter-{case_id}-organisation-en.eml"
    assert f"Wrote the letter to {path.name}" in r.stdout
    raw = path.read_bytes()
    assert raw.isascii()  # every header encoded (RFC 2047), the bodies base64 or quoted-printable
    msg = email.message_from_bytes(raw, policy=default_policy)
    assert isinstance(msg, EmailMessage)
    assert msg["From"].addresses[0].display_name == "Li Lei"
    assert msg["From"].addresses[0].addr_spec == "li.lei@example.com"
    assert str(msg["To"]) == "Batelco <complaints@batelco.example>"
    assert "BT-48213" in msg["Subject"] and msg["Date"] and msg["X-Unsent"] == "1"
    # A long Message-ID may be folded (RFC 5322 allows it): the parser keeps the fold's space.
    assert msg["Message-ID"].strip().startswith("<") and msg["Message-ID"].endswith("@example.com>")
    plain = msg.get_body(("plain",))
    assert plain is not None and plain.get_content_charset() == "utf-8"
    assert "Li Lei" in plain.get_content() and "+973 3900 4242" in plain.get_content()
    html = msg.get_body(("html",))
    assert html is not None and "<bdi>" not in html.get_content() and 'lang="en"' in html.get_content()
    (dossier,) = list(msg.iter_attachments())
    assert dossier.get_filename() == f"dossier-{case_id}.html" and dossier.get_content_type() == "text/html"
    assert case_id in dossier.get_content() and "Li Lei" in dossier.get_content()  # its complainant
    r = run_cli("letter", case_id, "--to", "organisation", "--attach-dossier")
    assert "--attach-dossier attaches the dossier to the e-mail" in one_error_line(r)


def test_a_user_template_overrides_the_shipped_one(run_cli: RunCli, tmp_env: TmpEnv, case_id: str) -> None:
    mine = tmp_env.config_path.parent / "templates" / "letters" / "en" / "organisation.html.j2"
    mine.parent.mkdir(parents=True)
    mine.write_text("<p>Dear {{ case.organisation }}: where is {{ case.reference }}?</p>", encoding="utf-8")
    assert (
        ok(run_cli("letter", case_id, "--to", "organisation")).stdout == "Dear Batelco: where is BT-48213?\n"
    )
    assert "Complaint against Batelco" in ok(run_cli("letter", case_id, "--to", "regulator")).stdout
    info = json.loads(ok(run_cli("letter", case_id, "--to", "organisation", "-o", "x.txt", "--json")).stdout)
    assert info["template"] == str(mine) and info["missing"] == [] and info["path"].endswith("x.txt")


@pytest.mark.parametrize("escape", ["{{ ''.__class__.__mro__ }}", "{{ cycler.__init__.__globals__ }}"])
def test_a_template_reaching_python_internals_is_refused(
    run_cli: RunCli, tmp_env: TmpEnv, case_id: str, escape: str
) -> None:
    mine = tmp_env.config_path.parent / "templates" / "letters" / "en" / "organisation.html.j2"
    mine.parent.mkdir(parents=True)
    mine.write_text(f"<p>{escape}</p>", encoding="utf-8")
    r = run_cli("letter", case_id, "--to", "organisation", "-o", "x.txt")
    assert f"{mine}: refused: the template tried to reach Python internals" in one_error_line(r)
    assert not (tmp_env.root / "x.txt").exists()


def _pdf_tools() -> None:
    # As tests/test_pdf.py: skip where WeasyPrint or poppler is missing, fail under CI.
    from test_pdf import TOOLS, _weasyprint_loads

    missing = [t for t in TOOLS if shutil.which(t) is None] + ([] if _weasyprint_loads() else ["weasyprint"])
    if missing:
        message = "PDF letters need: " + ", ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _arabic_only(text: str) -> bool:
    # A line of Arabic (perhaps with digits or a blank), not the page number or a Latin-led line.
    arabic = any("\u0600" <= c <= "\u06ff" for c in text)
    return arabic and not any(c.isascii() and c.isalpha() for c in text)


def test_pdf_letters_in_arabic_and_chinese(run_cli: RunCli, tmp_env: TmpEnv, case_id: str) -> None:
    from test_pdf import blocks, fonts_in, pdftotext

    _pdf_tools()
    ok(run_cli("letter", case_id, "--to", "organisation", "--lang", "ar", "--format", "pdf", "-o", "ar.pdf"))
    ar = tmp_env.root / "ar.pdf"
    assert ar.read_bytes().startswith(b"%PDF") and stat.S_IMODE(ar.stat().st_mode) == 0o600
    text = pdftotext(ar)
    assert "تحية طيبة وبعد" in text and "BT-48213" in text  # the text layer in logical order
    fonts = fonts_in(ar)  # in the order first drawn: the Arabic in Naskh, the first of the stack
    assert "Noto-Naskh-Arabic" in fonts and fonts.index("Noto-Naskh-Arabic") < fonts.index("Noto-Sans-Arabic")
    arabic = [x1 for _x0, x1, t in blocks(ar) if _arabic_only(t)]
    assert arabic and all(x1 > 595.28 * 0.8 for x1 in arabic)  # laid out from the right
    ok(run_cli("letter", case_id, "--to", "regulator", "--lang", "zh_CN", "--format", "pdf"))
    zh = pdftotext(tmp_env.root / f"letter-{case_id}-regulator-zh_CN.pdf")
    assert "申诉书" in zh and "此致" in zh
    assert any("CJK-SC" in f for f in fonts_in(tmp_env.root / f"letter-{case_id}-regulator-zh_CN.pdf"))


# --- sending ---------------------------------------------------------------------------------------------


@pytest.fixture
def smtp(tmp_env: TmpEnv) -> Iterator[Recorder]:
    """A real SMTP server on loopback, and the config's e-mail notifier pointing at it."""
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    tmp_env.write_config(
        ME + f'[notifiers.email]\nhost = "127.0.0.1"\nport = {controller.port}\nsecurity = "none"\n'
        'sender = "reminder@example.org"\nrecipients = ["li.lei@example.com"]\ntimeout = 10\n'
    )
    try:
        yield recorder
    finally:
        controller.stop()


@pytest.mark.sqlite_only("reads or tampers with the attachment files (in the database on PostgreSQL)")
def test_send_delivers_it_and_records_it_as_evidence(
    run_cli: RunCli, invoke: RunCli, tmp_env: TmpEnv, smtp: Recorder
) -> None:
    case_id = add_case(invoke, "--account", "+973 3900 4242", "--org-email", "complaints@batelco.example")
    r = ok(run_cli("letter", case_id, "--to", "organisation", "--send", "--yes", "--attach-dossier"))
    assert "About to send this e-mail:" in r.stdout and "To: Batelco <complaints@batelco.example>" in r.stdout
    assert "Blind copy to: li.lei@example.com (you; the recipient does not see it)" in r.stdout
    sent, copy = smtp.messages
    message_id = sent["Message-ID"].strip()  # a long one may be folded; the parser keeps the fold's space
    assert (
        f"Sent to complaints@batelco.example (Message-ID {message_id}); recorded as evidence #2" in r.stdout
    )
    # The envelopes: from the notifier's account, to the organisation (not the reminder recipients),
    # then the same message to its sender, in a mail of its own and in no header of the letter.
    assert smtp.envelopes == [
        ("reminder@example.org", ["complaints@batelco.example"]),
        ("reminder@example.org", ["li.lei@example.com"]),
    ]
    assert copy.as_bytes() == sent.as_bytes() and "li.lei@example.com" not in str(sent["To"])
    assert "Bcc" not in sent and "Cc" not in sent
    assert sent["From"].addresses[0].addr_spec == "li.lei@example.com" and "X-Unsent" not in sent
    assert [a.get_filename() for a in sent.iter_attachments()] == [f"dossier-{case_id}.html"]
    # In the evidence log: an e-mail with the Message-ID, the .eml as it went out attached.
    entries = json.loads(ok(run_cli("evidence", "list", case_id, "--json")).stdout)["entries"]
    last = entries[-1]
    assert last["kind"] == "email" and message_id in last["summary"]
    (eml,) = last["attachments"]
    assert eml["name"].endswith(".eml")
    kept = email.message_from_bytes(Path(eml["path"]).read_bytes(), policy=default_policy)
    assert kept["Message-ID"].strip() == message_id and "X-Unsent" not in kept
    verified = ok(run_cli("evidence", "verify", case_id))
    assert verified.stdout.startswith("OK: 2 entries and 1 file are intact.")
    # The complaint to the regulator now cites that e-mail as the follow-up.
    r = ok(run_cli("letter", case_id, "--to", "regulator"))
    assert "(e-mail, entry 2 of my records): Letter to the organisation sent by e-mail" in r.stdout
    assert "the follow-up sent to the organisation" not in r.stderr and last["hash"] in r.stdout
    assert "asked Batelco to answer by" in r.stderr  # written the same day: its answer is not due yet


@pytest.mark.sqlite_only("reads or tampers with the attachment files (in the database on PostgreSQL)")
def test_the_record_of_the_letter_sent_reads_in_chinese_where_a_person_reads_it(
    run_cli: RunCli, invoke: RunCli, smtp: Recorder
) -> None:
    """What --send records stays English (hashed into the chain; the letters read it back), but
    every view a person reads worded it in English among the Chinese (the test failed before)."""
    case_id = add_case(invoke, "--org-email", "complaints@batelco.example")
    ok(run_cli("letter", case_id, "--to", "organisation", "--send", "--yes"))
    zh = {"LANG": "zh_CN.UTF-8"}
    listed = json.loads(ok(run_cli("evidence", "list", case_id, "--json", env=zh)).stdout)
    stored = listed["entries"][-1]["summary"]  # --json keeps what is stored
    found = re.fullmatch(
        r"Letter to the organisation sent by e-mail to (Batelco <complaints@batelco\.example>): "
        r"(.+) \(Message-ID (<[^>]+>)\)",
        stored,
    )
    assert found, stored
    recipient, subject, message_id = found.groups()
    shown = f"给机构的跟进信已通过电子邮件发送给 {recipient}：{subject}（Message-ID {message_id}）"
    views = {
        "evidence list": ok(run_cli("evidence", "list", case_id, env=zh)).stdout,
        "evidence show": ok(run_cli("evidence", "show", case_id, "2", env=zh)).stdout,
        "show": ok(run_cli("show", case_id, env=zh)).stdout,
        "dossier": ok(run_cli("export", case_id, "--format", "md", "--output", "-", env=zh)).stdout,
    }
    views["dossier"] = views["dossier"].replace("\\<", "<").replace("\\>", ">")  # Markdown's escapes
    for view, text in views.items():
        assert shown in text and "sent by e-mail" not in text, (view, text)
    entry = json.loads(ok(run_cli("evidence", "show", case_id, "2", "--json", env=zh)).stdout)["entry"]
    assert entry["summary"] == stored
    # In English every view shows the stored text itself.
    assert ok(run_cli("evidence", "list", case_id)).stdout.splitlines()[-1].endswith(f" {stored}  (1 file)")
    assert f"  summary:   {stored}\n" in ok(run_cli("evidence", "show", case_id, "2")).stdout
    # A letter quotes it in the letter's language where reminder has its words (a letter in
    # Chinese quoted it in English, the test failed before); a letter in English as stored.
    in_chinese = ok(run_cli("letter", case_id, "--to", "organisation", "--lang", "zh_CN")).stdout
    assert shown in in_chinese, in_chinese
    assert "sent by e-mail" not in in_chinese
    assert stored in " ".join(
        ok(run_cli("letter", case_id, "--to", "organisation", "--lang", "en")).stdout.split()
    )


def test_no_terminal_and_no_yes_sends_nothing(
    run_cli: RunCli, invoke: RunCli, tmp_env: TmpEnv, smtp: Recorder
) -> None:
    case_id = add_case(invoke, "--org-email", "complaints@batelco.example")
    r = run_cli("letter", case_id, "--to", "organisation", "--send", input="y\n")
    assert "no terminal to ask on: add --yes to send" in one_error_line(r)
    assert smtp.messages == [] and len(hashes(run_cli, case_id)) == 1


def _on_a_terminal(tmp_env: TmpEnv, args: list[str], answer: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI with its stdin on a pseudo-terminal (a person at the keyboard) and type ``answer``."""
    import pty

    main, secondary = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "reminder", *args],
            stdin=secondary, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=tmp_env.env, cwd=tmp_env.root,
        )  # fmt: skip
        os.write(main, answer.encode())
        out, err = proc.communicate(timeout=60)
    finally:
        os.close(main)
        os.close(secondary)
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def test_on_a_terminal_it_asks_first(
    run_cli: RunCli, invoke: RunCli, tmp_env: TmpEnv, smtp: Recorder
) -> None:
    case_id = add_case(invoke, "--org-email", "complaints@batelco.example")
    args = ["letter", case_id, "--to", "organisation", "--send"]
    r = _on_a_terminal(tmp_env, args, "n\n")
    assert r.returncode == 1 and "Send it to complaints@batelco.example? [y/N]" in r.stderr
    assert r.stderr.endswith("[y/N]: Not sent.\n") and "Error" not in r.stderr
    assert smtp.messages == [] and len(hashes(run_cli, case_id)) == 1
    r = _on_a_terminal(tmp_env, args, "y\n")
    assert r.returncode == 0, r.stderr
    assert len(smtp.messages) == 2 and len(hashes(run_cli, case_id)) == 2  # the letter and its blind copy


def test_a_refused_message_is_not_recorded(run_cli: RunCli, invoke: RunCli, smtp: Recorder) -> None:
    case_id = add_case(invoke, "--account", "+973 3900 4242", "--org-email", "complaints@batelco.example")
    smtp.refuse_data.append("554 5.7.1 rejected as spam")
    r = run_cli("letter", case_id, "--to", "organisation", "--send", "--yes")
    # Said once, as the error: the notifier's own log line of the failure ("email email: 554 …")
    # came first, bare, as notify test leaves out.
    err = one_error_line(r, 1)
    assert err.startswith("Error: the letter was not sent:") and "554" in err
    assert len(hashes(run_cli, case_id)) == 1  # nothing recorded


def test_the_blind_copy_is_optional_and_its_failure_is_a_warning(
    run_cli: RunCli, invoke: RunCli, smtp: Recorder
) -> None:
    case_id = add_case(invoke, "--org-email", "complaints@batelco.example")
    r = ok(run_cli("letter", case_id, "--to", "organisation", "--send", "--yes", "--no-copy", "--json"))
    assert json.loads(r.stdout)["sent"]["copy_to"] is None and "Blind copy" not in r.stdout
    assert smtp.envelopes == [("reminder@example.org", ["complaints@batelco.example"])]
    # The server refuses the copy: the letter went and is recorded, the command says so and exits 0.
    smtp.refuse_rcpt["li.lei@example.com"] = "550 5.1.1 mailbox unavailable"
    r = ok(run_cli("letter", case_id, "--to", "organisation", "--send", "--yes", "--json"))
    report = json.loads(r.stdout)["sent"]
    assert report["copy_to"] == "li.lei@example.com" and "550" in report["copy_error"]
    assert "warning: the blind copy to li.lei@example.com did not go:" in r.stderr
    assert [rcpt for _sender, rcpt in smtp.envelopes] == [["complaints@batelco.example"]] * 2
    assert len(hashes(run_cli, case_id)) == 3


def test_send_needs_an_address_a_sender_and_a_notifier(
    run_cli: RunCli, invoke: RunCli, tmp_env: TmpEnv
) -> None:
    case_id = add_case(invoke)
    r = run_cli("letter", case_id, "--to", "organisation", "--send", "--yes")
    assert f"no e-mail address to send the letter to: set it with: reminder edit {case_id}" in one_error_line(
        r
    )
    ok(run_cli("edit", case_id, "--org-email", "complaints@batelco.example"))
    r = run_cli("letter", case_id, "--to", "organisation", "--send", "--yes")
    assert "no sender address: set [me] email in the config" in one_error_line(r)
    tmp_env.write_config(ME)
    r = run_cli("letter", case_id, "--to", "organisation", "--send", "--yes")
    assert "sending a letter needs an e-mail notifier" in one_error_line(r)
    r = run_cli("letter", case_id, "--to", "regulator", "--send", "--yes")
    assert "file the complaint through its web form: https://consumer.tra.org.bh/" in one_error_line(r)


# --- before the deadline -----------------------------------------------------------------------------


def at(when: str) -> dict[str, str]:
    """The environment of a CLI whose clock reads ``when`` in UTC (libfaketime, wall clock only)."""
    from test_daemon import LIBFAKETIME

    return {"TZ": "UTC", "LD_PRELOAD": LIBFAKETIME[0] if LIBFAKETIME else "", "FAKETIME": f"@{when}"}


WEEK_BEFORE = "2026-04-30 07:00:00"  # UTC: 10:00 on Thu 30 April in Bahrain


def early_case(invoke: RunCli, tmp_env: TmpEnv) -> str:
    """A case submitted on Thu 23 April 2026: its deadline is Thu 14 May (15 business days, Bahrain)."""
    if not tmp_env.config_path.exists():  # the smtp fixture's has [me] too
        tmp_env.write_config(ME)
    r = ok(invoke("add", "--title", "Cancel roaming eSIM", "--org", "Batelco", "--submitted", "2026-04-23",
                  "--reference", "BT-48213", "--channel", "hotline", "--preset", "telecom", "--account",
                  "+973 3900 4242", "--org-email", "complaints@batelco.example", "--json"))  # fmt: skip
    assert json.loads(r.stdout)["window"]["deadline"] == "2026-05-14"
    case_id: str = json.loads(r.stdout)["id"]
    return case_id


@needs_faketime
def test_before_the_deadline_a_letter_is_refused_with_the_way_on(
    run_cli: RunCli, invoke: RunCli, tmp_env: TmpEnv
) -> None:
    case_id = early_case(invoke, tmp_env)
    target = tmp_env.root / "early.txt"
    # A week before, and late on the deadline day itself in Bahrain (23:30 there): not passed yet.
    for when in (WEEK_BEFORE, "2026-05-14 20:30:00"):
        for to in ("organisation", "regulator"):
            r = run_cli("letter", case_id, "--to", to, "-o", str(target), env=at(when))
            line = one_error_line(r)
            assert "the deadline of case" in line and "2026-05-14" in line and "has not passed" in line
            assert "write it after that day" in line, line
        r = run_cli("letter", case_id, "--to", "organisation", "--strict", env=at(when))
        assert "--before-deadline" in one_error_line(r)
    assert not target.exists()
    # In Chinese for a Chinese user.
    zh = run_cli("letter", case_id, "--to", "organisation", env={**at(WEEK_BEFORE), "LANG": "zh_CN.UTF-8"})
    assert "2026-05-14" in one_error_line(zh) and "--before-deadline" in zh.stderr
    assert "passed" not in zh.stderr
    # Half an hour after midnight in Bahrain on the 15th: passed, written.
    r = ok(run_cli("letter", case_id, "--to", "organisation", env=at("2026-05-14 21:30:00")))
    assert "day 15 was Thu 2026-05-14" in r.stdout and r.stderr == ""


@needs_faketime
def test_before_deadline_writes_the_follow_up_asking_for_an_answer_after_the_deadline(
    run_cli: RunCli, invoke: RunCli, tmp_env: TmpEnv
) -> None:
    case_id = early_case(invoke, tmp_env)
    early = ("letter", case_id, "--to", "organisation", "--before-deadline")
    r = ok(run_cli(*early, env=at(WEEK_BEFORE)))
    # Five business days from Thu 30 April is Thu 7 May, before the deadline: the answer is asked
    # for by the first business day after it (Fri and Sat are Bahrain's weekend).
    assert "day 15 is Thu 2026-05-14" in r.stdout and "by Sun 2026-05-17" in r.stdout
    assert "2026-05-07" not in r.stdout
    assert "note: the deadline (2026-05-14) has not passed yet" in r.stderr
    # Late enough, five business days from the letter is already after the deadline: that is the date.
    r = ok(run_cli(*early, env=at("2026-05-12 07:00:00")))
    assert "by Tue 2026-05-19" in r.stdout
    # The complaint to the regulator is about a deadline that has passed: the flag does not write it.
    r = run_cli("letter", case_id, "--to", "regulator", "--before-deadline", env=at(WEEK_BEFORE))
    assert "the regulator" in one_error_line(r) and "2026-05-14" in r.stderr


@needs_faketime
def test_the_complaint_notes_a_follow_up_still_waiting_for_its_answer(
    run_cli: RunCli, invoke: RunCli, tmp_env: TmpEnv, smtp: Recorder
) -> None:
    case_id = early_case(invoke, tmp_env)
    # Sent on Sun 17 May (Bahrain), it asks for an answer by Sun 24 May: five business days.
    send = ("letter", case_id, "--to", "organisation", "--send", "--yes")
    sent = ok(run_cli(*send, env=at("2026-05-17 07:00:00")))
    assert "by Sun 2026-05-24" in sent.stdout and len(smtp.messages) == 2  # and its blind copy
    note = "note: the follow-up sent on 2026-05-17 (evidence #1) asked Batelco to answer by 2026-05-24, which"
    for when in ("2026-05-19 07:00:00", "2026-05-24 20:00:00"):  # the 24th is still a day to answer on
        r = ok(run_cli("letter", case_id, "--to", "regulator", env=at(when)))
        assert note in r.stderr, (when, r.stderr)
    r = ok(run_cli("letter", case_id, "--to", "regulator", env=at("2026-05-24 21:30:00")))
    assert "follow-up sent on" not in r.stderr
    # A letter logged by hand: what it asked for is not in the log, so nothing is said about it.
    ok(invoke("evidence", "add", case_id, "--kind", "letter", "--summary", "Wrote to Batelco by post",
              "--at", "2026-05-18T10:00"))  # fmt: skip
    r = ok(run_cli("letter", case_id, "--to", "regulator", env=at("2026-05-19 07:00:00")))
    assert "follow-up sent on" not in r.stderr and "Wrote to Batelco by post" in r.stdout


# --- text not in the letter's language -----------------------------------------------------------------


def test_text_typed_in_chinese_is_listed_for_an_english_letter_and_strict_refuses(
    run_cli: RunCli, invoke: RunCli, tmp_env: TmpEnv
) -> None:
    tmp_env.write_config(ME)  # [me] name 李雷, with its English and Arabic forms: not listed
    r = ok(invoke("add", "--title", "注销巴林漫游eSIM卡", "--org", "Batelco", "--submitted", "2026-03-01",
                  "--reference", "BT-48213", "--channel", "hotline", "--preset", "telecom", "--account",
                  "+973 3900 4242", "--org-email", "complaints@batelco.example", "--json"))  # fmt: skip
    case_id = json.loads(r.stdout)["id"]
    ok(invoke("evidence", "add", case_id, "--kind", "code", "--summary", "收到短信验证码，未告诉任何人",
              "--at", "2026-03-02T10:00"))  # fmt: skip
    r = ok(run_cli("letter", case_id, "--to", "organisation"))
    assert "Follow-up: 注销巴林漫游eSIM卡" in r.stdout  # quoted as typed, and said so:
    assert r.stderr.splitlines() == [
        "Quoted in the letter as you typed it, but not in its language (en):",
        f'  - the request as filed: reminder edit {case_id} --filed "…"',
        "  - evidence #1's summary: the log keeps every entry as written: add one in the letter's language "
        f"with 'reminder evidence add {case_id} --kind code --summary \"…\" --corrects 1' (the letter then "
        "states it in place of this one), or change the letter by hand",
    ]
    target = tmp_env.root / "strict.txt"
    r = run_cli("letter", case_id, "--to", "organisation", "--strict", "-o", str(target))
    refused = "the letter (en) would quote text not written in its language: the request as filed, evidence"
    assert refused in one_error_line(r)
    assert not target.exists()
    info = json.loads(ok(run_cli("letter", case_id, "--to", "organisation", "--lang", "ar", "--json")).stdout)
    assert info["foreign_script"] == [
        {"field": "case.request", "entry": None, "script": "Han"},
        {"field": "evidence.summary", "entry": 1, "script": "Han"},
    ]
    # In Chinese for a Chinese user; a Chinese letter quotes it as it is.
    zh = {"LANG": "zh_CN.UTF-8"}
    r = ok(run_cli("letter", case_id, "--to", "organisation", env=zh))
    assert "信中原样引用了你输入的以下内容" in r.stderr and "证据第 1 条的说明" in r.stderr
    assert ok(run_cli("letter", case_id, "--to", "organisation", "--lang", "zh_CN")).stderr == ""
    # Given in English, the request and the entry (by an entry correcting it) leave nothing to say.
    ok(invoke("edit", case_id, "--filed", "cancellation of roaming eSIM"))
    ok(invoke("evidence", "add", case_id, "--kind", "code", "--summary", "SMS code received; told nobody",
              "--corrects", "1", "--at", "2026-03-02T10:05"))  # fmt: skip
    r = ok(run_cli("letter", case_id, "--to", "organisation", "--strict"))
    assert r.stderr == "" and "SMS code received; told nobody" in r.stdout


def test_channels_and_corrections_typed_as_a_chinese_user_types_them(
    run_cli: RunCli, invoke: RunCli, tmp_env: TmpEnv
) -> None:
    """The walk of a Chinese user: channels typed as the Chinese output shows them (热线) and an
    entry whose wrong date was corrected in Chinese, then put into English. The letter to Batelco
    said "I asked you, via 热线 and via 网上表格", and asked for yet another correction of the
    wrong-dated entry (which takes its date back); both failed before."""
    tmp_env.write_config(ME)
    r = ok(invoke("add", "--title", "注销巴林远遊卡", "--org", "Batelco", "--submitted", "2026-03-01",
                  "--filed", "cancellation of roaming eSIM", "--reference", "BT-48213",
                  "--channel", "热线196", "--channel", "网上表格", "--account", "+973 3900 4242",
                  "--org-email", "complaints@batelco.example", "--json"))  # fmt: skip
    case_id = json.loads(r.stdout)["id"]
    ok(
        invoke(
            "evidence",
            "add",
            case_id,
            "--kind",
            "call",
            "--summary",
            "打热线提交注销申请",
            "--at",
            "2026-02-27",
        )
    )
    ok(invoke("evidence", "add", case_id, "--corrects", "1", "--at", "2026-03-01T10:00"))
    ok(invoke("evidence", "add", case_id, "--corrects", "2", "--summary", "Called the hotline to file it"))
    zh = {"LANG": "zh_CN.UTF-8"}
    r = ok(run_cli("letter", case_id, "--to", "organisation", "--strict", env=zh))
    assert (
        "I asked you, by telephone (hotline 196) and through the online form, for the following" in r.stdout
    )
    assert r.stderr == ""
    r = ok(run_cli("letter", case_id, "--to", "organisation", "--lang", "ar", "--json"))
    assert json.loads(r.stdout)["foreign_script"] == []
    # The Chinese user reads them by the labels shown everywhere; the English dossier in English.
    assert "  渠道：热线 196、网页表单\n" in ok(run_cli("show", case_id, env=zh)).stdout
    dossier = ok(run_cli("export", case_id, "--format", "md", "--lang", "en", "-o", "-", env=zh)).stdout
    assert "| Channels used | hotline 196, web form |" in dossier, dossier


def test_send_says_first_what_yes_cannot_fix(run_cli: RunCli, invoke: RunCli, tmp_env: TmpEnv) -> None:
    case_id = add_case(invoke)
    send = ("letter", case_id, "--to", "organisation", "--send")  # no --yes, and no terminal (input="")
    r = run_cli(*send, input="")
    assert "no e-mail address to send the letter to: set it with: reminder edit" in one_error_line(r)
    ok(run_cli("edit", case_id, "--org-email", "complaints@batelco.example"))
    tmp_env.write_config(ME)
    r = run_cli(*send, input="", env={"LANG": "zh_CN.UTF-8"})
    assert "发送信函需要电子邮件通知渠道" in one_error_line(r)
    # Once it could be sent, the missing confirmation is what is said.
    tmp_env.write_config(
        ME + '[notifiers.email]\nhost = "127.0.0.1"\nport = 9\nsecurity = "none"\nsender = "r@example.org"\n'
        'recipients = ["li.lei@example.com"]\n'
    )
    assert "no terminal to ask on: add --yes to send" in one_error_line(run_cli(*send, input=""))


# --- what a letter says is true of the case ----------------------------------------------------------


def test_a_case_no_regulator_is_known_for_gets_no_regulator(
    run_cli: RunCli, invoke: RunCli, tmp_env: TmpEnv
) -> None:
    tmp_env.write_config(ME)
    r = ok(invoke("add", "--title", "Work visa renewal", "--org", "LMRA", "--kind", "visa",
                  "--submitted", "2026-03-01", "--json"))  # fmt: skip
    case_id = json.loads(r.stdout)["id"]
    letter = ok(run_cli("letter", case_id, "--to", "organisation")).stdout
    assert "Telecommunications" not in letter and "regulator" not in letter
    assert "I will take the matter further, enclosing this letter" in letter
    r = run_cli("letter", case_id, "--to", "regulator")
    line = one_error_line(r)
    assert "no regulator is known for this kind of case in BH" in line and "--regulator ID" in line
    assert r.stdout == ""


def test_the_follow_up_lists_the_log_in_date_order_from_the_request(
    run_cli: RunCli, invoke: RunCli, case_id: str
) -> None:
    ok(invoke("evidence", "add", case_id, "--kind", "call", "--summary", "Called again",
              "--at", "2026-03-03T10:00"))  # fmt: skip
    ok(invoke("evidence", "add", case_id, "--kind", "call", "--summary", "before submission",
              "--at", "2020-01-01"))  # fmt: skip
    letter = ok(run_cli("letter", case_id, "--to", "organisation")).stdout
    since = letter[letter.index("What has happened since:") :]
    assert since.index("Called 196") < since.index("Called again") and "before submission" not in since
    before = letter[letter.index("Before I made the request:") : letter.index("What has happened since:")]
    assert "- Wed 2020-01-01: phone call: before submission" in before


def test_a_closed_case_has_no_letter(run_cli: RunCli, invoke: RunCli, case_id: str) -> None:
    ok(invoke("close", case_id, "--resolution", "cancelled OK"))
    for to in ("organisation", "regulator"):
        line = one_error_line(run_cli("letter", case_id, "--to", to))
        assert f"case {case_id} is closed" in line and f"reminder reopen {case_id}" in line
    zh = run_cli("letter", case_id, "--to", "organisation", env={"LANG": "zh_CN.UTF-8"})
    assert f"reminder reopen {case_id}" in one_error_line(zh) and "closed" not in zh.stderr
    ok(invoke("reopen", case_id))
    assert (
        "I have not received your decision" in ok(run_cli("letter", case_id, "--to", "organisation")).stdout
    )


def test_the_record_of_a_letter_sent_in_arabic_is_not_the_users_text(
    run_cli: RunCli, invoke: RunCli, tmp_env: TmpEnv, smtp: Recorder
) -> None:
    case_id = add_case(invoke, "--account", "+973 3900 4242", "--org-email", "complaints@batelco.example",
                       "--lang", "ar")  # fmt: skip
    ok(run_cli("letter", case_id, "--to", "organisation", "--send", "--yes"))
    summary = json.loads(ok(run_cli("evidence", "list", case_id, "--json")).stdout)["entries"][-1]["summary"]
    assert "متابعة طلب" in summary  # the subject it sent, in Arabic
    r = ok(run_cli("letter", case_id, "--to", "regulator", "--lang", "en", "--json"))
    assert json.loads(r.stdout)["foreign_script"] == [] and "not in its language" not in r.stderr
    text = (tmp_env.root / f"letter-{case_id}-regulator-en.txt").read_text(encoding="utf-8")
    assert "I took the matter to Batelco first and followed it up" in text


# --- a corrected entry: the letters state its last version, the dossier keeps the chain ---------------


def test_the_letters_state_the_last_version_of_a_corrected_entry_and_the_dossier_keeps_the_chain(
    run_cli: RunCli, invoke: RunCli, tmp_env: TmpEnv
) -> None:
    """A Chinese user corrects entries as the log allows (new entries with --corrects): a call
    put into English and then re-timed, a code corrected twice, a letter re-dated. The letters
    listed every version as a fact of its own — the same call three times, two of them in
    Chinese, and the follow-up on the day it was not sent; they now state each fact once, in its
    last version, citing the entries it corrects, while the dossier still shows every entry."""
    tmp_env.write_config(ME)
    zh = {"LANG": "zh_CN.UTF-8"}
    r = ok(run_cli("add", "--title", "注销巴林漫游卡", "--org", "Batelco", "--country", "BH",
                   "--kind", "注销", "--filed", "cancellation of my roaming SIM", "--reference", "R-1",
                   "--channel", "热线", "--submitted", "2026-03-01", "--account", "+973 3900 4242",
                   "--org-email", "complaints@batelco.example", "--preset", "telecom", "--json",
                   env=zh))  # fmt: skip
    case_id = json.loads(r.stdout)["id"]
    for args in (
        ("--kind", "call", "--summary", "致电热线，客服说 7 到 15 个工作日", "--at", "2026-03-01T10:00"),  # 1
        ("--kind", "code", "--summary", "收到短信验证码", "--at", "2026-03-02T09:00"),  # 2
        ("--corrects", "1", "--summary", "Called hotline 80008000: agent said 7 to 15 business days"),  # 3
        ("--corrects", "3", "--at", "2026-03-01T11:00"),  # 4: 3 as it should have been, an hour later
        (
            "--kind",
            "letter",
            "--summary",
            "Wrote to Batelco asking for the decision",
            "--at",
            "2026-03-26T09:00",
        ),  # 5
        ("--corrects", "5", "--at", "2026-03-29T09:00"),  # 6: it went out on the 29th
        ("--corrects", "2", "--summary", "SMS code received (first attempt)"),  # 7
        ("--corrects", "2", "--summary", "SMS verification code received; told nobody"),  # 8
    ):
        ok(run_cli("evidence", "add", case_id, *args, env=zh))

    org = ok(run_cli("letter", case_id, "--to", "organisation", "--strict", env=zh))
    assert org.stderr == ""  # every fact has its version in English: nothing to put into it
    since = org.stdout[org.stdout.index("What has happened since:") :]
    assert [line for line in since.splitlines() if line.startswith("- ")] == [
        "- Sun 2026-03-01: phone call: Called hotline 80008000: agent said 7 to 15 business days "
        "(entry 4 of my records, correcting entries 1 and 3)",
        "- Mon 2026-03-02: verification code: SMS verification code received; told nobody "
        "(entry 8 of my records, correcting entries 2 and 7)",
        "- Sun 2026-03-29: letter: Wrote to Batelco asking for the decision "
        "(entry 6 of my records, correcting entry 5)",
    ]

    # Not --strict: the TRA's postal address is a blank.
    reg = ok(run_cli("letter", case_id, "--to", "regulator", env=zh)).stdout
    assert "On Sun 2026-03-29 I wrote to Batelco (letter, entry 6 of my records)" in reg
    timeline = reg[reg.index("Timeline of my records") : reg.index("Head of the log")]
    assert re.findall(r"^- (\d+)$", timeline, re.M) == ["4", "8", "6"]
    assert "(corrects entries 1 and 3)" in timeline and "(corrects entries 2 and 7)" in timeline
    assert "only the correction is listed" in timeline
    for superseded in ("致电热线", "收到短信验证码", "first attempt", "2026-03-26"):
        assert superseded not in org.stdout and superseded not in reg, superseded

    ar = ok(run_cli("letter", case_id, "--to", "organisation", "--lang", "ar", "--strict")).stdout
    assert "(القيد رقم 4 في سجل المستندات، وهو تصحيح للقيد رقم 1 والقيد رقم 3)" in ar
    assert "first attempt" not in ar and "致电热线" not in ar
    cn = ok(run_cli("letter", case_id, "--to", "organisation", "--lang", "zh_CN")).stdout
    assert "（证据记录第 4 条，更正第 1、3 条）" in cn and "致电热线，" not in cn

    # The dossier is the record: every entry, each correction with its chain and its last version.
    md = ok(run_cli("export", case_id, "--lang", "en", "--format", "md", "-o", "-", env=zh)).stdout
    rows = {m[0]: m[1] for m in re.findall(r"\| Evidence #(\d): \w+ \| (.*) \|$", md, re.M)}
    assert sorted(rows) == [str(n) for n in range(1, 9)]
    assert rows["1"].endswith("(corrected by #3; last version: #4)")
    assert rows["3"].endswith("(corrects #1; corrected by #4)")
    assert rows["4"].endswith("(corrects #3)")
    assert rows["2"].endswith("(corrected by #7, #8; last version: #8)")
    assert rows["7"].endswith("(corrects #2; last version: #8)")


# --- the user's title is theirs: the letters name the request in the recipient's language ------------


def han(text: str) -> list[str]:
    """The Chinese in ``text`` but the writer's own name ([me] name 李雷: theirs to write as they do)."""
    return re.findall(r"[\u3400-\u9fff\uf900-\ufaff]+", text.replace("李雷", ""))


def test_a_title_in_chinese_is_not_the_request_an_english_or_arabic_letter_names(
    run_cli: RunCli, tmp_env: TmpEnv, invoke: RunCli
) -> None:
    """A Chinese user adds the case in Chinese (the title is their own name for it, and --filed is
    optional). The letters to Batelco and to the TRA, in English and Arabic, named the request by
    that title — "Follow-up: 注销巴林漫游卡" — though neither reader reads it; they now name it by
    the case's kind in their language, and say so to the user in theirs."""
    tmp_env.write_config(ME)
    zh = {"LANG": "zh_CN.UTF-8"}

    def add(*extra: str) -> str:
        r = ok(run_cli("add", "--title", "注销巴林漫游卡", "--org", "Batelco", "--country", "BH",
                       "--reference", "R-1", "--channel", "热线", "--submitted", "2026-03-01",
                       "--account", "+973 3900 4242", "--org-email", "complaints@batelco.example",
                       *extra, "--json", env=zh))  # fmt: skip
        return str(json.loads(r.stdout)["id"])

    case_id = add("--kind", "sim-cancellation")
    ok(run_cli("evidence", "add", case_id, "--kind", "call", "--summary", "Called the hotline to cancel",
               "--at", "2026-03-01T10:00", env=zh))  # fmt: skip
    r = ok(run_cli("letter", case_id, "--to", "organisation", "--strict", env=zh))
    assert not han(r.stdout), r.stdout
    assert "Subject: Follow-up: cancellation of a SIM/eSIM service (your reference R-1)" in r.stdout
    assert "for the following: cancellation of a SIM/eSIM service." in r.stdout
    assert r.stderr.startswith("注意：") and "cancellation of a SIM/eSIM service" in r.stderr, r.stderr
    assert f'reminder edit {case_id} --filed "…"' in r.stderr
    for fmt in ("html", "eml", "pdf"):
        target = tmp_env.root / f"org.{fmt}"
        ok(run_cli("letter", case_id, "--to", "organisation", "-o", str(target), env=zh))
        if fmt == "pdf":
            from test_pdf import pdftotext

            _pdf_tools()
            text = pdftotext(target)
        elif fmt == "eml":
            msg = email.message_from_bytes(target.read_bytes(), policy=default_policy)
            assert isinstance(msg, EmailMessage) and msg["Subject"] == (
                "Follow-up: cancellation of a SIM/eSIM service (your reference R-1)"
            )
            text = "".join(
                str(part.get_content()) for part in msg.walk() if part.get_content_maintype() == "text"
            )
        else:
            text = target.read_text(encoding="utf-8")
        assert "cancellation of a SIM/eSIM service" in text and not han(text), fmt
    reg = ok(run_cli("letter", case_id, "--to", "regulator", env=zh)).stdout
    assert not han(reg) and "Request:                    cancellation of a SIM/eSIM service" in reg
    assert "completes my request (cancellation of a SIM/eSIM service)" in reg
    for to in ("organisation", "regulator"):
        ar = ok(run_cli("letter", case_id, "--to", to, "--lang", "ar", "--json", env=zh))
        ar_text = (tmp_env.root / f"letter-{case_id}-{to}-ar.txt").read_text(encoding="utf-8")
        assert "إلغاء خدمة شريحة SIM/eSIM" in ar_text and not han(ar_text), to
        assert json.loads(ar.stdout)["foreign_script"] == []
    # A Chinese letter (to China's MIIT, say) reads the user's words.
    assert (
        "注销巴林漫游卡" in ok(run_cli("letter", case_id, "--to", "organisation", "--lang", "zh_CN")).stdout
    )

    # What was filed, typed in Chinese, is no better for Batelco; --kind 注销 is a cancellation.
    other = add("--kind", "注销", "--filed", "注销漫游 eSIM")
    r = ok(run_cli("letter", other, "--to", "organisation", "--strict", env=zh))
    assert "Follow-up: cancellation of a service (your reference R-1)" in r.stdout and not han(r.stdout)
    # Words the user gives in the letter's language are theirs to give, and are used.
    ok(invoke("edit", other, "--filed", "cancellation of my roaming eSIM"))
    r = ok(run_cli("letter", other, "--to", "organisation", "--strict", env=zh))
    assert "Follow-up: cancellation of my roaming eSIM (your reference R-1)" in r.stdout and r.stderr == ""
    # A kind with no words of its own: the title is quoted as typed, and listed, as before.
    unknown = add("--kind", "other")
    r = ok(run_cli("letter", unknown, "--to", "organisation", "--json"))
    assert json.loads(r.stdout)["foreign_script"] == [
        {"field": "case.request", "entry": None, "script": "Han"}
    ]
