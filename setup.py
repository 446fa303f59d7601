"""Build step: compile the translations (``reminder/locale/*/LC_MESSAGES/*.po``) to ``.mo``.

Everything else about the package is in pyproject.toml. The ``.mo`` files are build
products, not kept in git: a wheel gets them in its build directory, and an editable
install (``pip install -e .``, where the package is imported from the source tree) gets
them next to their ``.po``, as setuptools builds extension modules in place for it.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

LOCALE = Path("reminder") / "locale"


def compile_catalogues(target_root: Path) -> list[str]:
    """Compile every ``.po`` under reminder/locale into ``target_root``/reminder/locale; the paths written."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written: list[str] = []
    for po in sorted(LOCALE.glob("*/LC_MESSAGES/*.po")):
        mo = target_root / po.with_suffix(".mo")
        with po.open("rb") as f:
            catalog = read_po(f, locale=po.parts[-3])
        mo.parent.mkdir(parents=True, exist_ok=True)
        with mo.open("wb") as f:
            write_mo(f, catalog)  # fuzzy translations are left out: English shows instead
        written.append(str(mo))
    return written


class BuildPyWithCatalogues(build_py):
    """``build_py`` that also compiles the translations."""

    def run(self) -> None:
        super().run()
        target = Path(".") if self.editable_mode else Path(self.build_lib)
        self._catalogues = compile_catalogues(target)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = list(super().get_outputs(include_bytecode))
        if not self.editable_mode:
            outputs += [
                str(Path(self.build_lib) / po.with_suffix(".mo")) for po in LOCALE.glob("*/LC_MESSAGES/*.po")
            ]
        return outputs


setup(cmdclass={"build_py": BuildPyWithCatalogues})
