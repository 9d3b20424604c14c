"""Build hook: compile the translation catalogs into the wheel.

The ``.mo`` files are build output (not in git): ``make translations`` compiles them in a checkout,
and this hook compiles them into every built wheel or sdist install, so an installed Lantern
speaks Spanish without a checkout. Everything else about the package is in ``pyproject.toml``.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

#: Packages whose ``translations/<lang>/LC_MESSAGES/*.po`` catalogs are compiled.
CATALOG_PACKAGES = ("portal", "publisher")


class BuildPyWithCatalogs(build_py):
    """``build_py`` that also writes a ``.mo`` beside every ``.po`` in the build tree."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # a checkout compiles in place (make translations)
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for package in CATALOG_PACKAGES:
            for po in sorted(Path(package).glob("**/translations/*/LC_MESSAGES/*.po")):
                target = Path(self.build_lib) / po.with_suffix(".mo")
                target.parent.mkdir(parents=True, exist_ok=True)
                with po.open("rb") as source:
                    catalog = read_po(source)
                with target.open("wb") as out:
                    write_mo(out, catalog, use_fuzzy=False)


setup(cmdclass={"build_py": BuildPyWithCatalogs})
