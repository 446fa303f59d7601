"""Translation catalogues: the package's ``.mo`` for a language, read as cheaply as it can be.

``i18n.translation`` asks here for a language's catalogue:

- the package's ``locale/<lang>/LC_MESSAGES/reminder.mo`` (a user install: the build
  compiles it from the ``.po``);
- in a source checkout whose ``.mo`` is missing or older than its ``.po``, the ``.po``
  compiled by Babel (~60 ms) into a ``.mo`` kept under ``$XDG_CACHE_HOME/reminder``;
- either way, the catalogue as gettext parses it, kept beside them in ``marshal``'s format.
  gettext parses a ``.mo`` in Python, message by message: 3 to 5 ms for reminder's Chinese,
  in every command a person runs in Chinese, against ~0.3 ms to load the parsed catalogue.

Every cache file's name holds the size, time and inode of the file it was made from, so a
changed catalogue (an upgrade, a ``git pull``) is read afresh; a cache that cannot be read
or written is skipped, never an error.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # not typing's: a command in Chinese imports this module
if TYPE_CHECKING:
    import gettext
    from collections.abc import Callable
    from typing import Any, TypeAlias

    Catalogue: TypeAlias = "gettext.NullTranslations | KeptCatalogue"

__all__ = ["KeptCatalogue", "load_catalogue", "short_hash"]

DOMAIN = "reminder"  # the catalogues' name: locale/<lang>/LC_MESSAGES/reminder.mo
# What a parsed catalogue's cache file holds first; another value: made by another version.
_PARSED_FORMAT = 1


def short_hash(text: str) -> str:
    """Eight hex digits naming a cache file. The builtin blake2b, not zlib's crc32: settings_cache.py
    has loaded it already, and zlib costs a command in Chinese its import."""
    from _blake2 import blake2b

    return blake2b(text.encode("utf-8", "surrogateescape"), digest_size=4).hexdigest()


def load_catalogue(lang: str, locale_dir: str, cache_dir: str | None) -> Catalogue:
    """The catalogue for ``lang`` in ``locale_dir`` (an empty one where there is none);
    ``cache_dir`` keeps what was compiled or parsed between processes (None: nothing kept)."""
    mo = os.path.join(locale_dir, lang, "LC_MESSAGES", f"{DOMAIN}.mo")
    po = mo[:-3] + ".po"
    if os.path.exists(po) and (not os.path.exists(mo) or os.path.getmtime(po) > os.path.getmtime(mo)):
        # A source checkout: the build compiles the .po (setup.py), but tests and a
        # `git pull` run from the tree, where the .mo is missing or older than the .po.
        # Compile it in memory rather than write into the package directory.
        return _compile_in_memory(po, lang, cache_dir)
    found = _read_mo(mo, lang, cache_dir) if os.path.exists(mo) else None
    if found is None:
        import gettext

        return gettext.NullTranslations()
    return found


def _read_mo(path: str, lang: str, cache_dir: str | None) -> gettext.GNUTranslations | KeptCatalogue | None:
    """The ``.mo`` at ``path``, from its parsed copy in ``cache_dir`` when there is a current
    one (else parsed, and the copy made); None when it cannot be read."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    kept = None
    if cache_dir is not None:
        stamp = f"{os.path.abspath(path)}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}"
        kept = os.path.join(cache_dir, f"parsed-{lang}-{short_hash(stamp)}-{st.st_size:x}-{st.st_mtime_ns:x}")
        restored = _read_parsed(kept)
        if restored is not None:
            return restored
    import gettext

    try:
        with open(path, "rb") as f:
            found = gettext.GNUTranslations(f)
    except Exception:
        # A damaged file: gettext raises OSError or ValueError for most, but struct.error for one
        # shorter than the 20 bytes of header it reads (an emptied cache file), IndexError or
        # LookupError for a few others. A compiled copy in the cache is then compiled again.
        return None
    if kept is not None:
        _write_parsed(kept, found)
    return found


def _read_parsed(path: str) -> gettext.GNUTranslations | KeptCatalogue | None:
    """A catalogue :func:`_write_parsed` kept, or None (none yet, damaged, another format)."""
    from .files import read_marshal_file

    kept = read_marshal_file(path)
    if not (isinstance(kept, tuple) and len(kept) == 4 and kept[0] == _PARSED_FORMAT):
        return None
    _, catalog, info, charset = kept
    if not (isinstance(catalog, dict) and isinstance(info, dict) and isinstance(charset, str | None)):
        return None
    plural = info.get("plural-forms")
    # As GNUTranslations._parse reads the header: "nplurals=1; plural=0;".
    expression = (
        plural.split(";")[1].split("plural=")[1] if isinstance(plural, str) and "plural=" in plural else None
    )
    if expression is None or expression.strip().isdigit():
        # No plural expression to parse (Chinese has one form: "plural=0"): no gettext either.
        return KeptCatalogue(catalog, info, charset, None if expression is None else int(expression))
    import gettext

    found = gettext.GNUTranslations()  # no file: nothing parsed; what the parse sets is set here
    vars(found).update(_catalog=catalog, _info=info, _charset=charset, plural=gettext.c2py(expression))
    return found


class KeptCatalogue:
    """A parsed catalogue loaded from its kept copy, answering as ``gettext.GNUTranslations``
    answers with the same catalogue (the same lookups, in the same order; no fallback).

    For a language whose plural form is a constant, as Chinese's is: gettext's import, with the
    regular expression it compiles to read plural expressions and the function it compiles from
    one, was ~1 ms of every command in Chinese. Another expression gets GNUTranslations itself.
    """

    CONTEXT = "%s\x04%s"

    def __init__(
        self, catalog: dict[Any, str], info: dict[str, str], charset: str | None, form: int | None
    ) -> None:
        self._catalog = catalog
        self._info = info
        self._charset = charset
        self._form = form  # the plural form of every n; None: GNUTranslations' default (n != 1)

    def plural(self, n: int) -> int:
        return int(n != 1) if self._form is None else self._form

    def info(self) -> dict[str, str]:
        return self._info

    def charset(self) -> str | None:
        return self._charset

    def gettext(self, message: str) -> str:
        return self._singular(message, message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return self._plural(msgid1, msgid1, msgid2, n)

    def pgettext(self, context: str, message: str) -> str:
        return self._singular(self.CONTEXT % (context, message), message)

    def npgettext(self, context: str, msgid1: str, msgid2: str, n: int) -> str:
        return self._plural(self.CONTEXT % (context, msgid1), msgid1, msgid2, n)

    def _singular(self, key: str, message: str) -> str:
        # A message, else the singular of a plural one with that id; else the message as asked.
        found = self._catalog.get(key)
        if found is None:
            found = self._catalog.get((key, self.plural(1)))
        return message if found is None else found

    def _plural(self, key: str, msgid1: str, msgid2: str, n: int) -> str:
        found = self._catalog.get((key, self.plural(n)))
        if found is None:
            return msgid1 if n == 1 else msgid2
        return found


def _write_parsed(path: str, found: gettext.GNUTranslations) -> None:
    """Keep ``found``'s parsed catalogue at ``path`` (and remove this language's older ones)."""
    import marshal

    from .files import write_cache_file

    parsed = vars(found)  # what GNUTranslations._parse set
    kept = (_PARSED_FORMAT, parsed["_catalog"], parsed["_info"], parsed["_charset"])
    try:
        data = marshal.dumps(kept)
    except ValueError:  # a value marshal cannot hold: parse each time rather than guess
        return
    write_cache_file(path, data, _older_than(path))


def _older_than(path: str) -> Callable[[str], bool]:
    """Which names beside ``path`` are the same cache, kind and language, of another version."""
    prefix = "-".join(os.path.basename(path).split("-", 2)[:2]) + "-"  # "parsed-zh_CN-", "catalogue-zh_CN-"
    return lambda name: name.startswith(prefix)


def _compile_in_memory(po: str, lang: str, cache_dir: str | None) -> Catalogue:
    """The catalogue compiled from ``po``: once per version of the file, kept in ``cache_dir``
    (compiling takes babel ~60 ms, more than a command's own work)."""
    cache = _compiled_cache_file(po, lang, cache_dir)
    if cache is not None and os.path.exists(cache):
        found = _read_mo(cache, lang, cache_dir)
        if found is not None:
            return found
    import gettext
    import io

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with open(po, "rb") as f:
        catalog = read_po(f)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)  # fuzzy entries left out, as the build leaves them out
    if cache is not None:
        from .files import write_cache_file

        write_cache_file(cache, buffer.getvalue(), _older_than(cache))
        # Read back as any .mo is (parsed now, the parsed copy kept), so the next command in
        # this language starts from the kept copy, as from an installed .mo.
        found = _read_mo(cache, lang, cache_dir) if os.path.exists(cache) else None
        if found is not None:
            return found
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def _compiled_cache_file(po: str, lang: str, folder: str | None) -> str | None:
    """Where the .mo compiled from this version of ``po`` is kept (None: no cache directory)."""
    try:
        st = os.stat(po)
    except OSError:
        return None
    if folder is None:
        return None
    stamp = f"{os.path.abspath(po)}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}"
    return os.path.join(folder, f"catalogue-{lang}-{short_hash(stamp)}-{st.st_size:x}-{st.st_mtime_ns:x}.mo")
