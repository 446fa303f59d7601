"""The evidence use cases: log an entry (with attachments), list, show and verify a case's log.

The log itself — its hash chain, MACs and heads — is ``evidence.py``'s (and
``evidence_verify.py``'s); this module finds the case, places a wall-clock time in the
case's zone and the key directory, as the CLI's ``evidence`` commands need.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from .dates import Moment
from .models import EvidenceEntry
from .store import Store
from .tz import zone as _zone

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

    from .evidence_verify import VerifyReport

__all__ = ["get_evidence", "list_evidence", "log_evidence", "verify_evidence"]


def log_evidence(
    store: Store,
    case_id: str,
    *,
    kind: str,
    summary: str,
    now: datetime,
    at: datetime | Moment | None = None,
    files: Sequence[Path] = (),
    corrects: int | None = None,
    own_key: bool = False,
) -> EvidenceEntry:
    """Append an entry to the case's evidence log; attachments go under the store's directory,
    the key and the heads file under the user's state directory (see evidence.py; ``own_key``:
    :func:`evidence.key_for`).

    ``at`` without an offset (a Moment or a naive datetime) is the case's wall clock.
    """
    from .evidence import add_entry
    from .evidence_key import KeyDir

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
