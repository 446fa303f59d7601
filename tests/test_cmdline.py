"""reminder's command-line toolkit (``reminder/cmdline``) on a small command of its own: how
``argv`` is parsed, in what order values are checked, and the one-line errors.

The real commands' help and errors are checked end to end by the other CLI tests; these
pin the parsing rules every command relies on, each with a case that would break it.
"""

from __future__ import annotations

from typing import Any

import pytest

from reminder import cmdline


def make() -> tuple[cmdline.Group, list[dict[str, Any]]]:
    calls: list[dict[str, Any]] = []

    @cmdline.group()
    @cmdline.option("--config", type=cmdline.Path(dir_okay=False))
    @cmdline.pass_context
    def root(ctx: cmdline.Context, config: Any) -> None:
        ctx.ensure_object(dict)["config"] = config

    @root.command("add")
    @cmdline.argument("case_id", metavar="ID")
    @cmdline.argument("rest", nargs=-1)
    @cmdline.option("--title", required=True, help="A title.")
    @cmdline.option("--tag", "tags", multiple=True)
    @cmdline.option("--days", type=cmdline.IntRange(min=0))
    @cmdline.option("--status", type=cmdline.Choice(["open", "closed"]), default="open", show_default=True)
    @cmdline.option("-v", "--verbose", count=True)
    @cmdline.option("--json", "as_json", is_flag=True)
    @cmdline.pass_context
    def add(ctx: cmdline.Context, **values: Any) -> None:
        calls.append({**values, "config": ctx.find_root().obj["config"], "path": ctx.command_path})

    return root, calls


def run(*argv: str) -> dict[str, Any]:
    root, calls = make()
    root.main(list(argv), prog_name="prog")
    return calls[-1]


def error(*argv: str) -> str:
    root, _calls = make()
    with pytest.raises(cmdline.CommandError) as info:
        root.main(list(argv), prog_name="prog")
    return info.value.format_message()


def test_values_options_anywhere_and_the_last_one_wins() -> None:
    got = run(
        "add", "--title=A", "X1", "more", "--tag", "a", "--tag=b", "--title", "B", "-vv", "--json", "r2"
    )
    assert got["case_id"] == "X1" and got["rest"] == ("more", "r2") and got["title"] == "B"
    assert got["tags"] == ("a", "b") and got["verbose"] == 2 and got["as_json"] is True
    assert got["status"] == "open" and got["days"] is None and got["path"] == "prog add"


def test_a_double_dash_ends_the_options_and_a_value_may_look_like_one() -> None:
    got = run("add", "--title", "--json", "X1", "--", "--status")
    assert got["title"] == "--json" and got["as_json"] is False and got["rest"] == ("--status",)


def test_the_groups_options_come_before_the_command() -> None:
    assert str(run("--config", "c.toml", "add", "X", "--title", "t")["config"]) == "c.toml"
    assert error("add", "X", "--title", "t", "--config", "c.toml") == "No such option '--config'."


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["add", "X"], "Missing option '--title'."),
        (["add", "--title", "t"], "Missing argument 'ID'."),
        (["add", "X", "--title"], "Option '--title' requires an argument."),
        (
            ["add", "X", "--title", "t", "--titel", "u"],
            "No such option '--titel'. Did you mean '--title'?",
        ),
        (["add", "X", "--title", "t", "-x"], "No such option '-x'."),
        (["add", "X", "--title", "t", "--verbos"], "No such option '--verbos'. Did you mean '--verbose'?"),
        (["add", "X", "--title", "t", "--json=1"], "Option '--json' does not take a value."),
        (
            ["add", "X", "--title", "t", "--days", "-1"],
            "Invalid value for '--days': -1 is not in the range x>=0.",
        ),
        (
            ["add", "X", "--title", "t", "--days", "x"],
            "Invalid value for '--days': 'x' is not a valid integer range.",
        ),
        (
            ["add", "X", "--title", "t", "--status", "zzz"],
            "Invalid value for '--status': 'zzz' is not one of 'open', 'closed'.",
        ),
        (["--config", "/", "add"], "Invalid value for '--config': File '/' is a directory."),
        (["ad"], "No such command 'ad'. Did you mean 'add'?"),
        (["--config", "c.toml"], "Missing command."),
    ],
)
def test_errors_are_one_line_naming_what_is_wrong(argv: list[str], message: str) -> None:
    assert error(*argv) == message


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("--submited", "--submitted"),  # was '--submitted', '--unit': the dashes made '--unit' look alike
        ("--sumbitted", "--submitted"),
        ("--titel", "--title"),  # was '--help', '--title'
        ("--orgg", "--org"),
        ("--refrence", "--reference"),
        ("--chanel", "--channel"),
        ("--kidn", "--kind"),
        ("--jsn", "--json"),
        ("--Title", "--title"),
        ("--min-day", "--min-days"),
        # Dashes a Chinese input mode or a document's autocorrect types: refused as an extra
        # argument before ("Got unexpected extra arguments (—channel x)"), the dash unnamed.
        ("—channel", "--channel"),
        ("——channel", "--channel"),
        ("－－title", "--title"),
        ("–org", "--org"),
        ("--kind＝other", "--kind"),
    ],
)
def test_a_mistyped_option_of_a_real_command_gets_the_closest_one(
    invoke: Any, typed: str, meant: str
) -> None:
    got = invoke("add", typed, "x")
    assert got.returncode == 2
    assert f"No such option '{typed}'. Did you mean '{meant}'? (see 'reminder add --help')" in got.stderr


def test_a_value_that_begins_with_a_dash_like_character_is_still_a_value(invoke: Any) -> None:
    # Only a look-alike of one of the command's own options is taken for a mistyped option.
    got = invoke("check", "nosuch", "—备份")
    assert got.returncode == 2 and "no case with id 'nosuch'" in got.stderr, got.stderr


@pytest.mark.parametrize(
    ("argv", "meant"),
    [(["shwo"], "show"), (["stauts"], "status"), (["evidense"], "evidence"), (["evidence", "ad"], "add")],
)
def test_a_mistyped_command_gets_the_closest_one(invoke: Any, argv: list[str], meant: str) -> None:
    # The commands are imported on demand: those not yet imported are suggested too.
    assert f"Did you mean '{meant}'?" in invoke(*argv).stderr


def test_near_ties_are_all_suggested_closest_first() -> None:
    from reminder.cmdline.errors import closest

    # 'stat' is as close to 'start' as to 'state' (0.89), further from 'status' (0.8).
    assert closest("--stat", ["--status", "--state", "--start", "--help"]) == ["--start", "--state"]
    assert closest("--statu", ["--state", "--status"]) == ["--status"]
    assert closest("--xyz", ["--title", "--unit"]) == []


def test_values_are_checked_in_the_order_they_were_typed() -> None:
    # --days is typed before --status: its error is the one reported (then the missing --title).
    assert "'--days'" in error("add", "X", "--days", "-1", "--status", "zzz")
    assert "'--status'" in error("add", "X", "--status", "zzz", "--days", "-1")
    assert error("add", "X", "--status", "zzz").startswith("Invalid value for '--status'")


def test_help_is_eager_and_laid_out(capsys: pytest.CaptureFixture[str]) -> None:
    root, calls = make()
    with pytest.raises(cmdline.Exit):
        root.main(["add", "--days", "-1", "--help"], prog_name="prog")  # not the --days error, nor --title's
    out = capsys.readouterr().out
    assert calls == [] and out.startswith("Usage: prog add [OPTIONS] ID [REST]...\n")
    assert "  --title TEXT            A title.  [required]\n" in out
    assert "  --status [open|closed]  [default: open]\n" in out
    assert "  -v, --verbose\n" in out and "  --days INTEGER RANGE    [x>=0]\n" in out
    with pytest.raises(cmdline.NoArgsIsHelp):
        root.main([], prog_name="prog")


def test_cleandoc_is_inspects() -> None:
    # cmdline/help.py's own copy of inspect.cleandoc (inspect costs a help page 4-5 ms): the same
    # text for every real command's help and for the shapes a docstring can take.
    import inspect

    from reminder.cli import cli
    from reminder.cmdline.help import cleandoc

    texts = [
        "",
        "\n",
        "One line.",
        "  First line indented.\n    second\n      third\n",
        "\n\n  Leading blank lines.\n\n  Body.\n\n",
        "Tabs\n\tone\n\t\ttwo",
        "First\n    \n    after a line of spaces\n  less\n",
        "Only first line   \n\n\n",
    ]
    ctx = cmdline.Context(cli, info_name="reminder")
    stack: list[Any] = [cli]
    while stack:
        command = stack.pop()
        texts += [t for t in (command.help, command.short_help) if t]
        if command.is_group:
            stack += [command.get_command(ctx, name) for name in command.list_commands(ctx)]
    assert len(texts) > 40  # every command was reached
    for text in texts:
        assert cleandoc(text) == inspect.cleandoc(text), repr(text)


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("en", "Missing option '--to'. Choose from: 'organisation', 'regulator'"),
        ("zh_CN", "缺少选项 '--to'。可选：'organisation'、'regulator'"),
    ],
)
def test_a_missing_choice_names_its_choices_on_the_same_line(lang: str, message: str) -> None:
    # It said "Choose from:\n\torganisation,\n\tregulator", which the one-line error shows escaped:
    # "Missing option '--to'. Choose from:\x0a\x09organisation,\x0a\x09regulator".
    from reminder.i18n import using_language

    @cmdline.command()
    @cmdline.option("--to", required=True, type=cmdline.Choice(["organisation", "regulator"]))
    def letter(to: str) -> None:
        raise AssertionError("not reached")

    with using_language(lang):
        with pytest.raises(cmdline.CommandError) as info:
            letter.main([], prog_name="prog")
        assert info.value.format_message() == message
