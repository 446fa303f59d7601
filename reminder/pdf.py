"""HTML to PDF through WeasyPrint, confined to the files it is given.

WeasyPrint is an optional extra (``pip install 'reminder[pdf]'``) that needs Pango from
the system; it is imported only when a PDF is asked for, and its absence — of the
package or of the libraries — is a :class:`~reminder.errors.ConfigError` that says in
one line what to install.

The HTML comes from reminder's templates, which a user may override, and carries
text from evidence; neither may make the renderer reach out. The URL fetcher
therefore serves ``data:`` URIs and, when ``base_url`` names a directory, regular
files inside it, and refuses everything else: no ``http:``, no ``file:///etc/passwd``,
no symbolic link out of the directory. WeasyPrint would otherwise fetch network URLs
and embed any readable file a ``<link rel="attachment">`` names into the PDF.

Fonts come from fontconfig, named in a stack that covers the languages reminder
writes: Noto Sans for Latin, Noto Sans CJK for Chinese, Noto Naskh Arabic for Arabic
(Debian: fonts-noto-core, fonts-noto-cjk), DejaVu Sans as the last resort. Pango picks,
for each character, the first font in the stack that has it, so mixed text needs no
markup; the stack's order only decides which font's shared glyphs (digits, Latin) a
document in that language uses.
"""

from __future__ import annotations

import contextlib
import io
import mimetypes
import os
import stat
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from .errors import ConfigError
from .i18n import N_, _
from .lazylog import get_logger

__all__ = ["DEBIAN_PACKAGES", "INSTALL_HINT", "font_stack", "html_to_pdf", "layout"]

log = get_logger(__name__)

# What `.ci/run` installs and README names; weasyprint loads the libraries with dlopen.
DEBIAN_PACKAGES = (
    "libpango-1.0-0",
    "libpangoft2-1.0-0",
    "libharfbuzz-subset0",
    "fonts-noto-core",
    "fonts-noto-cjk",
    "fonts-dejavu-core",
)
_INSTALL_HINT = N_(
    "PDF output needs WeasyPrint and Pango: pip install 'reminder[pdf]', and on Debian/Ubuntu "
    "apt-get install %(packages)s"
)
INSTALL_HINT = _INSTALL_HINT % {"packages": " ".join(DEBIAN_PACKAGES)}

_LATIN = ('"Noto Sans"',)
_ARABIC = ('"Noto Naskh Arabic"', '"Noto Sans Arabic"')
_LAST = ('"DejaVu Sans"', "sans-serif")
_RTL = frozenset({"ar", "fa", "he", "ur"})


def _cjk(lang: str) -> tuple[str, ...]:
    # Han characters differ in shape between the mainland and Taiwan/Hong Kong: the font decides.
    traditional = lang.lower().replace("-", "_") in ("zh_tw", "zh_hk", "zh_mo", "zh_hant")
    return ('"Noto Sans CJK TC"',) if traditional else ('"Noto Sans CJK SC"',)


def font_stack(lang: str) -> str:
    """The CSS ``font-family`` value for a document in ``lang`` (``en``, ``ar``, ``zh_CN`` …)."""
    primary = lang.split("_")[0].split("-")[0].lower()
    if primary == "zh":
        order = _cjk(lang) + _LATIN + _ARABIC
    elif primary in _RTL:
        order = _ARABIC + _LATIN + _cjk(lang)
    else:
        order = _LATIN + _cjk(lang) + _ARABIC
    return ", ".join(order + _LAST)


def _page_css(lang: str) -> str:
    """A user stylesheet: the document's own CSS wins over it wherever it says something."""
    primary = lang.split("_")[0].split("-")[0].lower()
    tag = lang.replace("_", "-").replace('"', "")
    rtl = "html:not([dir]){direction:rtl}" if primary in _RTL else ""
    return (
        # "2 / 3" is a left-to-right run even on a right-to-left page, where it would read "3 / 2":
        # WeasyPrint lays out the margin box in its own direction (it has no unicode-bidi).
        "@page{size:A4;margin:18mm 16mm 20mm;"
        "@bottom-center{content:counter(page) ' / ' counter(pages);direction:ltr;"
        "font-size:8pt;color:#666}}"
        f"html{{font-family:{font_stack(lang)}}}"
        # Pango shapes by language (Han variants, Arabic forms) when the document does not say.
        f'html:not([lang]){{-weasy-lang:"{tag}"}}'
        f"{rtl}"
        "img{max-width:100%}"
    )


def _install_hint() -> str:
    return _(_INSTALL_HINT, packages=" ".join(DEBIAN_PACKAGES))


def _import_weasyprint() -> Any:
    """The weasyprint module, or ConfigError when it or the libraries it loads are missing."""
    try:
        # weasyprint prints a banner on stdout when a library fails to load, and warns when an
        # optional one is missing: neither may reach a command's output; the hint says it all.
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import weasyprint
    except ImportError as exc:
        log.debug("cannot import weasyprint: %s", exc)
        raise ConfigError(_install_hint()) from None
    except OSError as exc:  # cffi could not dlopen pango, harfbuzz or fontconfig
        log.debug("weasyprint cannot load its libraries: %s", exc)
        raise ConfigError(_install_hint()) from None
    return weasyprint


def _root(base_url: str | None) -> Path | None:
    """The directory ``base_url`` names (a path or a file: URL), resolved; None without one."""
    if base_url is None:
        return None
    parts = urlsplit(base_url)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ConfigError(f"base_url {base_url!r}: only a local directory can be a base")
        base = Path(unquote(parts.path))
    elif parts.scheme == "" or (len(parts.scheme) == 1 and os.name == "nt"):
        base = Path(base_url)
    else:
        raise ConfigError(f"base_url {base_url!r}: only a local directory can be a base")
    return base.resolve()


def _read_inside(root: Path, url: str) -> bytes:
    """The bytes of the regular file ``url`` names inside ``root``; ValueError otherwise."""
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise ValueError("a file on another host")
    # resolve() follows every link, so a link inside the root that points out of it is caught here.
    path = Path(unquote(parts.path)).resolve()
    if not path.is_relative_to(root):
        raise ValueError(f"outside {root}")
    # O_NOFOLLOW: a link swapped in after the check is not followed; O_NONBLOCK: a FIFO cannot hang us.
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise ValueError("not a regular file")
        return fh.read()


def _confined_fetcher(weasyprint: Any, root: Path | None) -> Any:
    """A weasyprint URL fetcher that serves data: URIs and regular files under ``root``, nothing else."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class ConfinedFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            scheme = url.split(":", 1)[0].lower()
            if scheme == "data":
                # urllib's DataHandler decodes it in memory; no other handler is reached.
                return super().fetch(url, headers)
            if scheme == "file" and root is not None:
                try:
                    body = _read_inside(root, url)
                except (OSError, ValueError) as exc:
                    log.warning("not fetched for the PDF: %s (%s)", url, exc)
                    raise ValueError(f"refused: {url}") from None
                kind = mimetypes.guess_type(urlsplit(url).path)[0] or "application/octet-stream"
                return URLFetcherResponse(url, body, {"Content-Type": kind})
            allowed = f"data: URIs and files under {root}" if root is not None else "data: URIs"
            log.warning("not fetched for the PDF: %s (only %s)", url, allowed)
            raise ValueError(f"refused: {url}")

    # No redirects, no protocols but these two: defence in depth behind fetch() above.
    return ConfinedFetcher(allowed_protocols=("data", "file"), allow_redirects=False)


def layout(html: str, *, lang: str, base_url: str | None = None) -> Any:
    """``html`` laid out in pages: the WeasyPrint document :func:`html_to_pdf` writes.

    The arguments are :func:`html_to_pdf`'s. Its pages' boxes hold each line's text where it
    is drawn, which is how a test can see the order a reader sees.
    """
    weasyprint = _import_weasyprint()
    from weasyprint.text.fonts import FontConfiguration

    root = _root(base_url)
    fetcher = _confined_fetcher(weasyprint, root)
    fonts = FontConfiguration()
    css = weasyprint.CSS(string=_page_css(lang), font_config=fonts, url_fetcher=fetcher)
    base = root.as_uri().rstrip("/") + "/" if root is not None else None
    document = weasyprint.HTML(string=html, base_url=base, url_fetcher=fetcher)
    return document.render(stylesheets=[css], font_config=fonts)


def html_to_pdf(html: str, *, lang: str, base_url: str | None = None) -> bytes:
    """Render ``html`` to PDF bytes.

    ``lang`` (``en``, ``ar``, ``zh_CN`` …) orders the font stack and is the document's
    language and direction where its ``<html>`` does not say. ``base_url`` — a directory,
    as a path or a ``file:`` URL — resolves relative URLs and is the only place files may
    be read from; without it only ``data:`` URIs are.
    """
    pdf: bytes = layout(html, lang=lang, base_url=base_url).write_pdf()
    return pdf
