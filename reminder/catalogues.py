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

__all__ = ["load_catalogue", "short_hash"]

DOMAIN = "reminder"  # the catalogues' name: locale/<lang>/LC_MESSAGES/reminder.mo
# What a parsed catalogue's cache file holds first; another value: made by another version.
_PARSED_FORMAT = 1


def short_hash(text: str) -> str:
    """Eight hex digits naming a cache file. The builtin blake2b, not zlib's crc32: settings_cache.py
    has loaded it already, and zlib costs a command in Chinese its import."""
    from _blake2 import blake2b

    return blake2b(text.encode("utf-8", "surrogateescape"), digest_size=4).hexdigest()


def load_catalogue(lang: str, locale_dir: str, cache_dir: str | None) -> gettext.NullTranslations:
    """The catalogue for ``lang`` in ``locale_dir`` (an empty one where there is none);
    ``cache_dir`` keeps what was compiled or parsed between processes (None: nothing kept)."""
    import gettext

    mo = os.path.join(locale_dir, lang, "LC_MESSAGES", f"{DOMAIN}.mo")
    po = mo[:-3] + ".po"
    if os.path.exists(po) and (not os.path.exists(mo) or os.path.getmtime(po) > os.path.getmtime(mo)):
        # A source checkout: the build compiles the .po (setup.py), but tests and a
        # `git pull` run from the tree, where the .mo is missing or older than the .po.
        # Compile it in memory rather than write into the package directory.
        return _compile_in_memory(po, lang, cache_dir)
    if not os.path.exists(mo):
        return gettext.NullTranslations()
    found = _read_mo(mo, lang, cache_dir)
    return found if found is not None else gettext.NullTranslations()


def _read_mo(path: str, lang: str, cache_dir: str | None) -> gettext.GNUTranslations | None:
    """The ``.mo`` at ``path``, from its parsed copy in ``cache_dir`` when there is a current
    one (else parsed, and the copy made); None when it cannot be read."""
    import gettext

    try:
        st = os.stat(path)
    except OSError:
        return None
    kept = None
    if cache_dir is not None:
        stamp = f"{os.path.abspath(path)}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}"
        kept = os.path.join(cache_dir, f"parsed-{lang}-{short_hash(stamp)}-{st.st_size:x}-{st.st_mtime_ns:x}")
        found = _read_parsed(kept)
        if found is not None:
            return found
    try:
        with open(path, "rb") as f:
            found = gettext.GNUTranslations(f)
    except (OSError, ValueError):  # gettext raises OSError or ValueError for a damaged file
        return None
    if kept is not None:
        _write_parsed(kept, found)
    return found


def _read_parsed(path: str) -> gettext.GNUTranslations | None:
    """A catalogue :func:`_write_parsed` kept, or None (none yet, damaged, another format)."""
    import gettext

    from .files import read_marshal_file

    kept = read_marshal_file(path)
    if not (isinstance(kept, tuple) and len(kept) == 4 and kept[0] == _PARSED_FORMAT):
        return None
    _, catalog, info, charset = kept
    if not (isinstance(catalog, dict) and isinstance(info, dict) and isinstance(charset, str | None)):
        return None
    found = gettext.GNUTranslations()  # no file: nothing parsed; what the parse sets is set here
    vars(found).update(_catalog=catalog, _info=info, _charset=charset)
    plural = info.get("plural-forms")
    if isinstance(plural, str) and "plural=" in plural:
        # As GNUTranslations._parse reads the header: "nplurals=1; plural=0;".
        vars(found)["plural"] = gettext.c2py(plural.split(";")[1].split("plural=")[1])
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


def _compile_in_memory(po: str, lang: str, cache_dir: str | None) -> gettext.NullTranslations:
    """The catalogue compiled from ``po``: once per version of the file, kept in ``cache_dir``
    (compiling takes babel ~60 ms, more than a command's own work)."""
    import gettext
    import io

    cache = _compiled_cache_file(po, lang, cache_dir)
    if cache is not None and os.path.exists(cache):
        found = _read_mo(cache, lang, cache_dir)
        if found is not None:
            return found
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with open(po, "rb") as f:
        catalog = read_po(f)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)  # fuzzy entries left out, as the build leaves them out
    if cache is not None:
        from .files import write_cache_file

        write_cache_file(cache, buffer.getvalue(), _older_than(cache))
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
