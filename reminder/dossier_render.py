"""The dossier written out: :func:`render_markdown` and :func:`render_html`.

Both lay out the one section list :func:`reminder.dossier.build_sections` makes, in
``Dossier.lang``; what the dossier says is ``dossier.py``'s. The HTML is one
self-contained file (inline CSS, images as data: URIs, nothing fetched, no script) with
every value escaped; the Markdown escapes what it would otherwise interpret. Control
characters in what the user typed or received are shown as ``\\xNN`` in both
(``terminal.py``), never obeyed. The PDF is this HTML through
:func:`reminder.pdf.html_to_pdf`, and the zip of both is ``dossier_zip.py``'s.
"""

from __future__ import annotations

import base64
import html
import re

from .dossier import Bullets, Code, Dossier, Figure, Para, Pre, build_sections, dossier_title, generated_on
from .i18n import RTL_LANGUAGES, _, current_language, using_language
from .pdf import font_stack
from .terminal import escape_controls

__all__ = ["render_html", "render_markdown"]


# --- Markdown --------------------------------------------------------------------------------------


def _md(text: str) -> str:
    """Escape what Markdown would otherwise interpret in user-supplied text."""
    out = text.replace("\\", "\\\\")
    # "#" only matters at the start of a line, where user text never is.
    for ch in "`*_[]<>|":
        out = out.replace(ch, "\\" + ch)
    # Control characters are shown as \xNN (terminal.py): `cat dossier.md` must not obey them.
    out = escape_controls(out.replace("\r\n", "\n"), multiline=True)
    return out.replace("\n", "<br>")


def _md_code(text: str) -> str:
    """A Markdown code span, fenced by more backticks than any run of them inside it."""
    text = escape_controls(text)  # as in _md: shown, never obeyed
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _md_para(text: str | tuple[str | Code, ...]) -> str:
    parts = (text,) if isinstance(text, str) else text
    return "".join(_md_code(p.text) if isinstance(p, Code) else _md(p) for p in parts)


def _md_cell(text: str, mono: bool) -> str:
    return _md_code(text) if mono and text else _md(text)


def _fence(text: str) -> str:
    # A fence longer than any run of backticks in the text, so the text cannot close it.
    longest = max((len(r) for r in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def render_markdown(d: Dossier) -> str:
    """The dossier as Markdown, in ``d.lang``."""
    with using_language(d.lang):
        return _render_markdown(d)


def _render_markdown(d: Dossier) -> str:
    lines = [f"# {_md(dossier_title(d))}", ""]
    for s in build_sections(d):
        lines += [f"## {s.title}", ""]
        for b in s.blocks:
            if isinstance(b, Para):
                lines += [f"**{_md_para(b.text)}**" if b.strong else _md_para(b.text), ""]
            elif isinstance(b, Bullets):
                lines += [f"- {_md(i)}" for i in b.items] + [""]
            elif isinstance(b, Figure):
                shown = _("Image (shown in the HTML and PDF dossier): %(caption)s", caption=b.caption)
                lines += [f"*{_md(shown)}*", ""]
            elif isinstance(b, Pre):
                # An e-mail's body: its control characters are shown, not obeyed (terminal.py).
                text = escape_controls(b.text.replace("\r\n", "\n"), multiline=True)
                fence = _fence(text)
                lines += [fence + "text", text, fence, ""]
            else:
                lines.append("| " + " | ".join(_md(h) or " " for h in b.headers) + " |")
                lines.append("|" + "---|" * len(b.headers))
                for row in b.rows:
                    lines.append(
                        "| " + " | ".join(_md_cell(c, i in b.mono) for i, c in enumerate(row)) + " |"
                    )
                lines.append("")
    return "\n".join(lines).rstrip() + "\n"


# --- HTML ------------------------------------------------------------------------------------------

_CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1b1b1b;max-width:60rem;
margin:2rem auto;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;border-bottom:1px solid #ccc;padding-bottom:.2rem;
margin-top:2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #ddd;padding:.25rem .5rem;
text-align:left;vertical-align:top}td.text{overflow-wrap:anywhere}th{background:#f3f3f3}
tr:nth-child(even) td{background:#fafafa}.mono{font-family:ui-monospace,monospace;font-size:.85em;
word-break:break-all}
.strong{font-weight:600}.meta{color:#555}
p,li{overflow-wrap:anywhere}figure{margin:.5rem 0 1rem;break-inside:avoid}
figure img{max-width:100%;max-height:80vh;border:1px solid #ccc}
figcaption{font-size:.85em;color:#555;word-break:break-all}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f6f6;border:1px solid #ddd;padding:.5rem;
font:.9em/1.4 ui-monospace,monospace}
@media print{body{margin:0;max-width:none;font-family:@FONTS@}h2,.strong{break-after:avoid}
tr{break-inside:avoid}pre{font-family:"DejaVu Sans Mono",@FONTS@}}
""".strip()


def _css(lang: str) -> str:
    # The printed fonts in the reader's language's order: Chinese text takes the mainland's Han forms.
    return _CSS.replace("@FONTS@", font_stack(lang))


def _h(text: str) -> str:
    shown = escape_controls(text.replace("\r\n", "\n"), multiline=True)  # as in Markdown
    return html.escape(shown, quote=True).replace("\n", "<br>")


def _h_para(text: str | tuple[str | Code, ...]) -> str:
    parts = (text,) if isinstance(text, str) else text
    return "".join(f"<code>{_h(p.text)}</code>" if isinstance(p, Code) else _h(p) for p in parts)


def render_html(d: Dossier) -> str:
    """The dossier as one self-contained HTML file, in ``d.lang`` (its ``lang`` and ``dir`` say so)."""
    with using_language(d.lang):
        return _render_html(d)


def _render_html(d: Dossier) -> str:
    lang = current_language()
    direction = "rtl" if lang in RTL_LANGUAGES else "ltr"
    meta = _("Case %(id)s · generated %(when)s", id=d.case.id, when=generated_on(d))
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{lang.replace("_", "-")}" dir="{direction}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_h(dossier_title(d))}</title>",
        f"<style>{_css(lang)}</style>",
        "</head>",
        "<body>",
        f"<h1>{_h(dossier_title(d))}</h1>",
        f'<p class="meta">{_h(meta)}</p>',
    ]
    for s in build_sections(d):
        out.append(f'<section id="{s.id}">')
        out.append(f"<h2>{_h(s.title)}</h2>")
        for b in s.blocks:
            if isinstance(b, Para):
                out.append(
                    f'<p class="strong">{_h_para(b.text)}</p>' if b.strong else f"<p>{_h_para(b.text)}</p>"
                )
            elif isinstance(b, Bullets):
                out.append("<ul>" + "".join(f"<li>{_h(i)}</li>" for i in b.items) + "</ul>")
            elif isinstance(b, Figure):
                # Only the four raster types exhibits.image_type admits get here: nothing that can run.
                uri = f"data:{b.media_type};base64,{base64.b64encode(b.data).decode('ascii')}"
                out.append(
                    f'<figure><img src="{uri}" alt="{_h(b.caption)}">'
                    f"<figcaption>{_h(b.caption)}</figcaption></figure>"
                )
            elif isinstance(b, Pre):
                text = escape_controls(b.text.replace("\r\n", "\n"), multiline=True)
                out.append(f'<pre dir="auto">{html.escape(text, quote=True)}</pre>')
            else:
                out.append("<table>")
                out.append("<thead><tr>" + "".join(f"<th>{_h(h)}</th>" for h in b.headers) + "</tr></thead>")
                out.append("<tbody>")
                for row in b.rows:
                    cells = "".join(
                        f'<td class="mono">{_h(c)}</td>'
                        if i in b.mono
                        else f'<td class="text">{_h(c)}</td>'
                        if b.wraps(i)
                        else f"<td>{_h(c)}</td>"
                        for i, c in enumerate(row)
                    )
                    out.append(f"<tr>{cells}</tr>")
                out.append("</tbody></table>")
        out.append("</section>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"
