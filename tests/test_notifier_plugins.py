"""Finding plugin notifiers (plugins.py): the direct reading of ``entry_points.txt`` that spares
importlib.metadata when no plugin is installed, and a real plugin installed and removed."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from conftest import TmpEnv

from reminder.notifiers import BUILTIN_NOTIFIERS
from reminder.notifiers.plugins import ENTRY_POINT_GROUP, may_have_plugins, plugin_classes

sys.path.insert(0, str(Path(__file__).parent))
from plugins.install import install_plugin

OWN = (
    "[reminder.notifiers]\n"
    "log = reminder.notifiers.log:LogNotifier\n"
    "email = reminder.notifiers.email:EmailNotifier\n"
)


def dist_info(site: Path, entry_points_txt: str | bytes, name: str = "demo-1.0.dist-info") -> Path:
    info = site / name
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n")
    data = entry_points_txt.encode() if isinstance(entry_points_txt, str) else entry_points_txt
    (info / "entry_points.txt").write_bytes(data)
    return site


@pytest.mark.parametrize(
    ("text", "may"),
    [
        (OWN, False),  # our own package registers the built-ins in the group too
        ("[console_scripts]\npager = pager:main\n", False),
        ("# [reminder.notifiers]\n\n[reminder.notifiers]\n# pager = pager:Pager\n; a note\n", True),
        ("# pager = pager:Pager\n[reminder.notifiers]\n\n", False),
        ("[reminder.notifiers]\npager = pager:Pager\n", True),
        (OWN + "pager = pager:Pager\n", True),
        ("[reminder.notifiers]\nlog = my_log:LogNotifier\n", True),  # a built-in's name: warned about
        ("  [reminder.notifiers]  \n  pager=pager:Pager  \n", True),
        ("[reminder.notifiers]\npager\n", True),  # what importlib.metadata refuses: it says so itself
        ("[reminder.notifiers.extra]\npager = pager:Pager\n", False),
    ],
)
def test_entry_points_read_as_importlib_metadata_reads_them(
    text: str, may: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "path", [str(dist_info(tmp_path / "site", text))])
    assert may_have_plugins() is may
    if not may:
        # Nothing to find, by importlib.metadata's own reading either.
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            assert ep.name in BUILTIN_NOTIFIERS and ep.value.startswith("reminder.notifiers."), ep
        assert plugin_classes() == {}


def test_what_cannot_be_read_directly_is_left_to_importlib_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def path(*entries: object) -> bool:
        monkeypatch.setattr(sys, "path", [str(e) if isinstance(e, Path) else e for e in entries])
        return may_have_plugins()

    assert path(tmp_path / "missing", "", tmp_path) is False
    with zipfile.ZipFile(tmp_path / "bundle.zip", "w") as z:
        z.writestr("demo-1.0.dist-info/entry_points.txt", "[console_scripts]\nx = y:z\n")
    assert path(tmp_path / "bundle.zip") is True
    (tmp_path / "old.egg" / "EGG-INFO").mkdir(parents=True)
    assert path(tmp_path / "old.egg") is True
    assert path(dist_info(tmp_path / "latin", b"[reminder.notifiers]\n# caf\xe9\n")) is True
    # Matched as importlib.metadata matches them: any case, .egg-info too.
    assert path(dist_info(tmp_path / "egg", "[reminder.notifiers]\np = p:P\n", "Demo.EGG-INFO")) is True

    class Finder:
        @staticmethod
        def find_distributions(*args: object, **kwargs: object) -> list[object]:
            return []

    assert path(tmp_path) is False
    monkeypatch.setattr(sys, "meta_path", [*sys.meta_path, Finder()])
    assert path(tmp_path) is True


def run(tmp_env: TmpEnv, site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**tmp_env.env, "PYTHONPATH": f"{site}:{tmp_env.env['PYTHONPATH']}"}
    result = subprocess.run(
        [sys.executable, "-m", "reminder", *args], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result


def test_a_plugin_is_listed_until_it_is_removed(tmp_env: TmpEnv) -> None:
    """A real distribution (a .dist-info with entry points) on the path: listed, then removed and
    no longer listed on the very next run (nothing about plugins is kept between runs), then back."""
    site = install_plugin(tmp_env.root / "site")
    listed = json.loads(run(tmp_env, site, "notifiers", "--json").stdout)
    assert [r["name"] for r in listed] == [*BUILTIN_NOTIFIERS, "echo"]
    assert listed[-1] | {"summary": ""} == {
        "name": "echo", "type": "echo", "source": "reminder_echo", "configured": False, "enabled": False,
        "available": True, "reason": "", "summary": "", "settings": None,
    }  # fmt: skip
    last = run(tmp_env, site, "notifiers").stdout.splitlines()[-1]
    assert last.endswith("test plugin [plugin: reminder_echo]")

    shutil.rmtree(site / "reminder_echo-0.1.dist-info")  # uninstalled: the package's code may linger
    assert [r["name"] for r in json.loads(run(tmp_env, site, "notifiers", "--json").stdout)] == list(
        BUILTIN_NOTIFIERS
    )
    assert "echo" not in run(tmp_env, site, "notifiers").stdout

    install_plugin(site)
    assert "[plugin: reminder_echo]" in run(tmp_env, site, "notifiers").stdout


def test_a_broken_plugin_is_listed_without_it_and_said_once(tmp_env: TmpEnv) -> None:
    site = install_plugin(tmp_env.root / "site", name="broken", value="no_such_module:Nope")
    result = run(tmp_env, site, "notifiers")
    assert [line.split()[0] for line in result.stdout.splitlines()] == list(BUILTIN_NOTIFIERS)
    warning = "warning: notifier plugin 'broken' (no_such_module:Nope) could not be loaded"
    assert result.stderr.startswith(warning)
    assert len(result.stderr.splitlines()) == 1
