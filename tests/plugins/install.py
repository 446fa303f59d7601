"""Install the test plugin package onto a directory: the package plus a ``.dist-info`` with entry points.

Faster than ``pip install -e``: importlib.metadata finds any ``*.dist-info`` on
``sys.path``, so adding the directory to ``sys.path`` (or ``PYTHONPATH`` for a
subprocess) registers the plugin.
"""

from __future__ import annotations

import shutil
from pathlib import Path

__all__ = ["install_plugin"]

HERE = Path(__file__).parent


def install_plugin(target: Path, *, name: str = "echo", value: str = "reminder_echo:EchoNotifier") -> Path:
    shutil.copytree(HERE / "reminder_echo", target / "reminder_echo", dirs_exist_ok=True)
    info = target / "reminder_echo-0.1.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: reminder-echo\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[reminder.notifiers]\n{name} = {value}\n")
    return target
