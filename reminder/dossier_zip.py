"""The dossier as a zip: dossier.md, dossier.html, attachments/, manifest.json and SHA256SUMS.

:func:`write_zip` writes it to a file atomically, the attachments streamed a chunk at a
time; :func:`zip_bytes` makes the same bytes in memory. The two renderings are
``dossier_render.py``'s; this module adds the files the evidence log recorded (from the
data directory, or the database on PostgreSQL; one it cannot read is listed under
``missing`` in the manifest) and their hashes. Every member carries the dossier's
generation time, so the same dossier makes the same zip.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Any, BinaryIO

from .dossier import Dossier, case_zone
from .dossier_render import render_html, render_markdown
from .errors import StoreError
from .evidence import attachments_of
from .evidence_files import TamperedFile, open_blob
from .i18n import _
from .leftovers import atomic_file, journal_dir

if TYPE_CHECKING:
    from .evidence_files import Attachments

__all__ = ["MANIFEST_VERSION", "write_zip", "zip_bytes"]

MANIFEST_VERSION = 1
_CHUNK = 1 << 20


def _safe_name(name: str) -> str:
    # The stored name came from Path.name, but the database is not trusted here.
    base = PurePosixPath(name.replace("\\", "/")).name.strip() or "file"
    return "".join(ch if ch.isprintable() and ch not in '<>:"|?*' else "_" for ch in base)


def zip_bytes(d: Dossier, data_dir: Attachments) -> bytes:
    """The dossier as a zip in memory (:func:`write_zip` writes the same bytes to a file)."""
    buf = io.BytesIO()
    _write_zip(d, data_dir, buf)
    return buf.getvalue()


def write_zip(d: Dossier, data_dir: Path, path: Path, attachments: Attachments | None = None) -> None:
    """Write the dossier's zip to ``path`` atomically, the attachments streamed a chunk at a time.

    dossier.md, dossier.html, attachments/, manifest.json and SHA256SUMS. Memory stays flat
    whatever the attachments weigh. The temporary file is journalled under ``data_dir``, so
    a crash mid-write leaves nothing the daemon's sweep cannot find (leftovers.py). A
    symlink is written through, as by ``ics.write_bytes_atomic``. The attachments come from
    ``attachments`` when given (the database's, on PostgreSQL), else from ``data_dir``.
    """
    from .outfile import follow_links

    path = follow_links(path)
    try:
        with atomic_file(path, journal=journal_dir(data_dir)) as fh:
            _write_zip(d, data_dir if attachments is None else attachments, fh)
    except OSError as exc:
        raise StoreError(_("cannot write %(path)s: %(why)s", path=path, why=exc.strerror or exc)) from exc


def _write_zip(d: Dossier, data_dir: Attachments, out: IO[bytes]) -> None:
    stamp = d.generated_at.astimezone(case_zone(d.case)).timetuple()[:6]
    files: list[dict[str, Any]] = []

    def info_for(arcname: str) -> zipfile.ZipInfo:
        # A fixed timestamp (generation time) instead of the clock: the same dossier, the same zip.
        info = zipfile.ZipInfo(arcname, date_time=stamp)
        # Screenshots and PDFs are compressed already; deflating them only costs time.
        attached = arcname.startswith("attachments/")
        info.compress_type = zipfile.ZIP_STORED if attached else zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        return info

    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:

        def write(arcname: str, data: bytes) -> None:
            zf.writestr(info_for(arcname), data)

        def put(arcname: str, data: bytes) -> None:
            write(arcname, data)
            files.append({"path": arcname, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)})

        put("dossier.md", render_markdown(d).encode("utf-8"))
        put("dossier.html", render_html(d).encode("utf-8"))
        missing: list[dict[str, Any]] = []
        for e in d.entries:
            files_of_entry = attachments_of(e)
            for pos, a in enumerate(files_of_entry, start=1):
                # Entry number first, so the files sort in log order; the position only when needed.
                prefix = f"{e.seq:03d}-{pos}-" if len(files_of_entry) > 1 else f"{e.seq:03d}-"
                arc = f"attachments/{prefix}{_safe_name(a.name)}"
                try:
                    src = open_blob(data_dir, a.sha256)  # never follows a link or blocks on a FIFO
                except OSError as exc:
                    problem = str(exc) if isinstance(exc, TamperedFile) else "missing"
                    if not isinstance(exc, TamperedFile | FileNotFoundError):
                        problem = f"unreadable ({exc.strerror or exc})"
                    missing.append({"entry": e.seq, "name": a.name, "sha256": a.sha256, "problem": problem})
                    continue
                with src:
                    digest, size = _copy_into(zf, info_for(arc), src)
                # The file's current hash goes in the manifest; "recorded" is what the log says.
                files.append(
                    {
                        "path": arc,
                        "sha256": digest,
                        "size": size,
                        "entry": e.seq,
                        "name": a.name,
                        "recorded_sha256": a.sha256,
                    }
                )
        manifest = {
            "version": MANIFEST_VERSION,
            "case_id": d.case.id,
            "generated_at": d.generated_at.isoformat(),
            "head_hash": d.verification.head_hash if d.verification else None,
            "verified": d.verification.ok if d.verification else None,
            "files": files,
            "missing": missing,
        }
        sums = "".join(f"{f['sha256']}  {f['path']}\n" for f in files)
        write("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8"))
        write("SHA256SUMS", sums.encode("utf-8"))


def _copy_into(zf: zipfile.ZipFile, info: zipfile.ZipInfo, src: BinaryIO) -> tuple[str, int]:
    """Stream ``src`` into the zip as ``info``, a chunk at a time; its sha256 and size."""
    h = hashlib.sha256()
    size = 0
    # Zip64 headers only where a member needs them, so small dossiers keep their bytes.
    try:
        length = os.fstat(src.fileno()).st_size
    except OSError:  # a blob read from the database (backends/postgres.py) knows its size
        length = int(getattr(getattr(src, "raw", None), "size", zipfile.ZIP64_LIMIT))
    big = length >= zipfile.ZIP64_LIMIT
    with zf.open(info, "w", force_zip64=big) as dst:
        while chunk := src.read(_CHUNK):
            h.update(chunk)
            dst.write(chunk)
            size += len(chunk)
    return h.hexdigest(), size
