"""The evidence use cases: log an entry (with attachments), list, show and verify a case's log.

The log itself — its hash chain, MACs and heads — is ``evidence.py``'s (and
``evidence_verify.py``'s); this module finds the case, places a wall-clock time in the
case's zone and the key directory, as the CLI's ``evidence`` commands need.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from .dates import Moment
from .errors import InputError, NotFound
from .i18n import _
from .models import EvidenceEntry
from .store import Store
from .tz import zone as _zone

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

    from .evidence_verify import VerifyReport

__all__ = ["correction_source", "get_evidence", "list_evidence", "log_evidence", "verify_evidence"]


def log_evidence(
    store: Store,
    case_id: str,
    *,
    kind: str | None,
    summary: str | None,
    now: datetime,
    at: datetime | Moment | None = None,
    files: Sequence[Path] = (),
    corrects: int | None = None,
    own_key: bool = False,
    source: EvidenceEntry | None = None,
) -> EvidenceEntry:
    """Append an entry to the case's evidence log; attachments go under the store's directory,
    the key and the heads file under the user's state directory (see evidence.py; ``own_key``:
    :func:`evidence.key_for`).

    ``at`` without an offset (a Moment or a naive datetime) is the case's wall clock.

    A correction (``corrects``) is the entry it corrects as it should have been: the ``kind``,
    ``summary`` and ``at`` not given are those of that entry's fact as it stands, its last version
    (:func:`correction_source`, or ``source`` when the caller has looked it up to say which it
    is). Its time above all: the letters and the dossier list entries by it, and a summary put in
    the letter's language (the letter's own hint) placed at the day it was typed would date the
    event weeks late; taken from entry N itself after N was re-dated, it brought the wrong date
    back, in the version the letters state.
    """
    from .evidence import add_entry
    from .evidence_key import KeyDir

    if corrects is not None and (kind is None or summary is None or at is None):
        fixed = source or correction_source(store, case_id, corrects)
        kind, summary = kind or fixed.kind, summary if summary is not None else fixed.summary
        at = at if at is not None else fixed.at
    if kind is None or summary is None:
        raise InputError(_("an entry needs a kind and a summary, unless it corrects another (--corrects)"))

    if isinstance(at, Moment) or (at is not None and at.tzinfo is None):
        case = store.get_case(case_id)
        zone = _zone(case.timezone)
        at = at.instant(now=now, zone=zone) if isinstance(at, Moment) else at.replace(tzinfo=zone)
        case_id = case.id
    return add_entry(
        store,
        store.data_dir,
        case_id,
        keys=KeyDir.default(),
        kind=kind,
        summary=summary,
        now=now,
        at=at,
        files=files,
        corrects=corrects,
        own_key=own_key,
    )


def correction_source(store: Store, case_id: str, seq: int) -> EvidenceEntry:
    """The entry a new correction of entry ``seq`` takes what it is not given from: the last
    version of the fact ``seq`` states, as the letters resolve it (``evidence.current_versions``:
    1 ← 2 is 2, and of two corrections of one entry the later), ``seq`` itself when nothing
    corrects it. NotFound, as add_entry words it, when the case has no entry ``seq``."""
    from .evidence import current_versions, list_entries

    entries = list_entries(store, case_id)
    by_seq = {e.seq: e for e in entries}
    if seq not in by_seq:
        case_id = store.get_case(case_id).id
        raise NotFound(_("case %(id)s has no evidence entry %(seq)d to correct", id=case_id, seq=seq))
    return by_seq[current_versions(entries)[seq]]


def list_evidence(store: Store, case_id: str) -> list[EvidenceEntry]:
    from .evidence import list_entries

    return list_entries(store, case_id)


def get_evidence(store: Store, case_id: str, seq: int) -> EvidenceEntry:
    from .evidence import get_entry

    return get_entry(store, case_id, seq)


def verify_evidence(store: Store, case_id: str, *, head: str | None = None) -> VerifyReport:
    """Recompute the case's chain and attachment hashes, and check the log against its heads
    (and ``head``, a MAC prefix from a witness such as an old e-mail; see evidence_verify.verify)."""
    from .evidence_key import KeyDir
    from .evidence_verify import verify

    return verify(store, store.data_dir, case_id, keys=KeyDir.default(), head=head)
