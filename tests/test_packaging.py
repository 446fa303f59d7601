"""The wheel `pip install .` builds: it carries the compiled translations, and the installed
package uses them.

Built for real (``pip wheel``, which fetches the build requirements — setuptools and Babel
— from the package index, as any install does), installed into a throw-away virtual
environment, and run from outside the source tree, so nothing can come from the checkout.
The dependencies come from this test run's own environment, appended to the new one's
path after its own site-packages, so the installed wheel is the ``reminder`` it imports.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from conftest import REPO

MSGID = "unknown language %(value)s; use one of: %(choices)s"

pytestmark = pytest.mark.timeout(600)


def _source_copy(dest: Path) -> Path:
    """The project's files, without build products (a .mo from an editable install included)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo", "*.egg-info", "build", "dist", ".*")
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "babel.cfg", "README.md"):
        shutil.copy2(REPO / name, dest / name)
    shutil.copytree(REPO / "reminder", dest / "reminder", ignore=ignore)
    return dest


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = _source_copy(tmp_path_factory.mktemp("src"))
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(src), "-w", str(out), "--no-deps", "-q"],
        check=True,
        capture_output=True,
        text=True,
        timeout=540,
    )
    (whl,) = out.glob("reminder-*.whl")
    return whl


def test_the_wheel_carries_the_compiled_catalogue_and_not_its_sources(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "reminder/locale/zh_CN/LC_MESSAGES/reminder.mo" in names
    assert not [n for n in names if n.endswith((".po", ".pot"))]
    assert "reminder/data/holiday_names/zh_CN.toml" in names
    assert "reminder/data/overrides/BH.toml" in names
    assert {"reminder/data/regulators.toml", "reminder/data/letters.toml"} <= names
    # `reminder config init`'s example in each language (symlinks in the source tree: the files).
    assert {"reminder/data/reminder.example.toml", "reminder/data/reminder.example.zh_CN.toml"} <= names
    templates = {n for n in names if n.startswith("reminder/templates/letters/")}
    assert templates == {
        f"reminder/templates/letters/{lang}/{to}.html.j2"
        for lang in ("en", "ar", "zh_CN")
        for to in ("organisation", "regulator")
    }


def test_the_installed_package_translates(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    # The dependencies (holidays, Babel, …) from this environment, after the venv's own packages.
    # (A .pth line adds a directory without running its .pth files, so this environment's
    # editable install of reminder is not picked up.)
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")

    code = f"""
import os, sys
import reminder, reminder.i18n as i18n
from datetime import date
from reminder.holiday_names import holiday_name
folder = os.path.dirname(reminder.__file__)
print(folder.startswith(sys.prefix))
print(os.path.isfile(os.path.join(folder, "locale", "zh_CN", "LC_MESSAGES", "reminder.mo")))
print(os.path.exists(os.path.join(folder, "locale", "zh_CN", "LC_MESSAGES", "reminder.po")))
print(type(i18n.translation("zh_CN")).__name__)
print(i18n.gettext_for("zh_CN").gettext({MSGID!r}, value="'fr'", choices="en, zh_CN"))
print(i18n._({MSGID!r}, value="'fr'", choices="en, zh_CN"))
print(i18n.format_date(date(2026, 12, 20), "zh_CN"))
print(holiday_name("Eid al-Adha (estimated)", "BH", "zh_CN"))
"""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["LANG"] = "zh_CN.UTF-8"
    out = subprocess.run(
        [str(python), "-c", code],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.stdout.splitlines() == [
        "True",  # the installed copy, not the source tree
        "True",
        "False",
        "GNUTranslations",  # read from the .mo (no .po to compile from)
        "不支持的语言 'fr'；可选：en, zh_CN",
        "不支持的语言 'fr'；可选：en, zh_CN",  # LANG=zh_CN.UTF-8
        "2026年12月20日 星期日",
        "宰牲节（预计）",
    ], out.stderr
