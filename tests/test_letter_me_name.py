"""The writer's name in the script the letter's reader reads: ``[me] name_in.<lang>``.

A user who reads Chinese sets ``[me] name = "李华"``; the carrier reads English or Arabic. Every
letter is written by ``python -m reminder`` in a subprocess, from a real config file.
"""

from __future__ import annotations

import json

from conftest import RunCli, TmpEnv
from test_cli_letters import add_case, ok, one_error_line

ME = '[me]\nname = "李华"\nemail = "li.hua@example.com"\nphone = "+973 3600 0000"\n'


def _case(tmp_env: TmpEnv, invoke: RunCli, config: str) -> str:
    tmp_env.write_config(config)
    return add_case(invoke, "--account", "+973 3900 4242", "--org-email", "complaints@batelco.example")


def test_a_name_the_letters_reader_cannot_read_is_listed_with_the_line_to_add(
    run_cli: RunCli, invoke: RunCli, tmp_env: TmpEnv
) -> None:
    case_id = _case(tmp_env, invoke, ME)
    r = ok(run_cli("letter", case_id, "--to", "organisation"))
    assert "李华" in r.stdout  # still signed: the letter has a name, the reader is told
    assert "Quoted in the letter as you typed it, but not in its language (en):" in r.stderr
    line = f'  - your name: add this line under [me] in {tmp_env.config_path}: name_in.en = "…"'
    assert line in r.stderr.splitlines(), r.stderr
    # Arabic: its own key.
    ar = ok(run_cli("letter", case_id, "--to", "organisation", "--lang", "ar"))
    assert 'name_in.ar = "…"' in ar.stderr
    # In the user's language, the line itself as the config takes it.
    zh = ok(run_cli("letter", case_id, "--to", "organisation", env={"REMINDER_DEFAULTS__LANGUAGE": "zh_CN"}))
    assert 'name_in.en = "…"' in zh.stderr and "你的姓名" in zh.stderr
    as_json = json.loads(ok(run_cli("letter", case_id, "--to", "organisation", "--json")).stdout)
    assert {"field": "me.name", "entry": None, "script": "Han"} in as_json["foreign_script"]
    target = tmp_env.root / "strict.txt"
    r = run_cli("letter", case_id, "--to", "organisation", "--strict", "-o", str(target))
    assert "would quote text not written in its language: your name" in one_error_line(r)
    assert not target.exists()


def test_the_name_in_the_letters_language_signs_it(run_cli: RunCli, invoke: RunCli, tmp_env: TmpEnv) -> None:
    case_id = _case(tmp_env, invoke, ME + 'name_in.en = "LI Hua"\n')
    r = ok(run_cli("letter", case_id, "--to", "organisation"))
    assert "LI Hua" in r.stdout and "李华" not in r.stdout
    assert r.stderr == ""  # nothing listed
    eml = tmp_env.root / "letter.eml"
    ok(run_cli("letter", case_id, "--to", "organisation", "--format", "eml", "-o", str(eml)))
    assert b"From: LI Hua <li.hua@example.com>" in eml.read_bytes()
    zh = ok(run_cli("letter", case_id, "--to", "organisation", "--lang", "zh_CN"))
    assert "李华" in zh.stdout and "LI Hua" not in zh.stdout and zh.stderr == ""
    # The dossier's complainant, in the dossier's language.
    md = tmp_env.root / "dossier.md"
    ok(run_cli("export", case_id, "--format", "md", "--lang", "en", "-o", str(md)))
    complainant = [line for line in md.read_text(encoding="utf-8").splitlines() if "li.hua@" in line]
    assert complainant and "LI Hua" in complainant[0] and "李华" not in complainant[0], complainant
    md_zh = tmp_env.root / "dossier.zh.md"
    ok(run_cli("export", case_id, "--format", "md", "--lang", "zh_CN", "-o", str(md_zh)))
    assert "李华" in md_zh.read_text(encoding="utf-8")
    # The environment gives a form too, over the file's.
    env = {"REMINDER_ME__NAME_IN__EN": "Li HUA"}
    assert "Li HUA" in ok(run_cli("letter", case_id, "--to", "organisation", env=env)).stdout
    shown = json.loads(ok(run_cli("config", "check", "--json")).stdout)
    assert shown["settings"]["me"]["name_in"] == {"en": "LI Hua"}


def test_a_name_in_a_language_letters_are_not_written_in_is_one_config_error(
    run_cli: RunCli, invoke: RunCli, tmp_env: TmpEnv
) -> None:
    tmp_env.write_config(ME + 'name_in.fr = "LI Hua"\n')
    err = one_error_line(run_cli("config", "check"))
    assert str(tmp_env.config_path) in err and "me.name_in.fr:" in err and "'fr'" in err, err
    assert "[key]" not in err
    tmp_env.write_config(ME + 'name_in.eng = "LI Hua"\n')
    err = one_error_line(run_cli("letter", "x", "--to", "organisation"))
    assert "me.name_in.eng:" in err and "did you mean 'en'?" in err, err
