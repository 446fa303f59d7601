"""Verifying an evidence log: what is wrong with it, named exactly (see evidence.py for the design).

:func:`verify` walks the chain once — each entry's own hash or MAC, its link to the
entry before, its corrections and attachments — then judges the log against its
heads: the database's ``evidence_heads`` row, the heads file beside the key, and a
head the user brings from a witness (``--head``, from an old e-mail or dossier).
Each problem is named once, where it is: a missing entry is "missing", not also a
broken link in the next; a changed entry is "changed", not also the next one's link.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .evidence import (
    HEAD_PREFIX,
    SCHEME_HMAC,
    SCHEME_SHA256,
    attachments_of,
    canonical_json,
    db_head,
    entry_hash,
    list_entries,
)
from .evidence_files import TamperedFile, blob_location, blob_sha256
from .i18n import N_, _
from .lazylog import get_logger
from .models import EvidenceEntry
from .record import replace

if TYPE_CHECKING:
    from .evidence_files import Attachments
    from .evidence_key import EvidenceKey, KeyDir, Witness
    from .store import Store

__all__ = ["Problem", "VerifyReport", "verify"]

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing ``verify`` found wrong: an entry (or ``seq`` to ``through``), one attachment of
    an entry, or the log as a whole (``seq`` is None)."""

    seq: int | None
    problem: str
    attachment: str | None = None
    through: int | None = None

    def __str__(self) -> str:
        if self.seq is None:
            return self.problem
        if self.attachment is not None:
            return _(
                "attachment %(name)s of entry %(seq)d: %(problem)s",
                name=self.attachment,
                seq=self.seq,
                problem=self.problem,
            )
        if self.through is not None:
            return _(
                "entries %(first)d to %(last)d: %(problem)s",
                first=self.seq,
                last=self.through,
                problem=self.problem,
            )
        return _("entry %(seq)d: %(problem)s", seq=self.seq, problem=self.problem)


@dataclass(frozen=True, slots=True)
class VerifyReport:
    case_id: str
    entries: int
    attachments: int
    head_hash: str
    problems: tuple[Problem, ...] = field(default_factory=tuple)
    head_seq: int = 0
    witnessed: int = 0  # how far the heads file outside the database saw the log reach
    head_checked: int | None = None  # the entry that ``--head`` named, when found

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Problem | None:
        return self.problems[0] if self.problems else None


def _span(first: int, last: int, problem: str) -> Problem:
    return Problem(first, problem) if first == last else Problem(first, problem, through=last)


def _numbers(seqs: Sequence[int]) -> str:
    if len(seqs) == 1:
        return _("entry %(seq)d", seq=seqs[0])
    if seqs[-1] - seqs[0] == len(seqs) - 1:
        return _("entries %(first)d to %(last)d", first=seqs[0], last=seqs[-1])
    shown = ", ".join(str(n) for n in seqs[:10])
    return _("entries %(list)s", list=shown + (", …" if len(seqs) > 10 else ""))


_CHANGED = N_("hash mismatch (the entry was changed after it was recorded)")


class _Chain:
    """The per-entry checks of :func:`verify`: own hash, link, corrections, attachments."""

    def __init__(self, key: EvidenceKey | None, data_dir: Attachments, recorded: dict[int, str]) -> None:
        self.key = key
        self.data_dir = data_dir
        self.recorded = recorded  # entry → its MAC as a head recorded it when it was added
        self.problems: list[Problem] = []
        self.bad: set[int] = set()  # entries whose own hash failed
        self.unchecked: list[int] = []  # keyed entries, no key here
        self.foreign: dict[str, list[int]] = {}  # key id → keyed entries whose MAC fails under ours
        self.keyed = False
        self.files = 0

    def own(self, e: EvidenceEntry) -> None:
        if e.scheme == SCHEME_SHA256:
            if self.keyed:
                self.fail(e.seq, _("unkeyed hash after keyed entries (the entry was rewritten)"))
            elif e.hash != entry_hash(e):
                self.fail(e.seq, _(_CHANGED))
        elif e.scheme == SCHEME_HMAC:
            self.keyed = True
            if self.key is None:
                self.unchecked.append(e.seq)
            elif (mac := self.key.mac(canonical_json(e))) != e.hash:
                if e.key_id != self.key.key_id:
                    self.foreign.setdefault(str(e.key_id), []).append(e.seq)
                    self.bad.add(e.seq)
                elif self.recorded.get(e.seq) == mac:
                    self.fail(
                        e.seq, _("hash overwritten (the content is as recorded, the stored hash is not)")
                    )
                else:
                    self.fail(e.seq, _(_CHANGED))
        else:
            self.fail(
                e.seq, _("unreadable or unknown hash scheme (the row was written behind reminder's back)")
            )

    def link(self, e: EvidenceEntry, prev: EvidenceEntry | None) -> None:
        if e.seq == 1:
            if e.prev_hash != "":
                self.fail(e.seq, _("names a previous entry, but it is the first (the chain is broken)"))
        # Only against a previous entry that is present and intact, and from an entry that is
        # intact itself: a missing or changed entry is named already, and a changed entry's link
        # proves nothing.
        elif (
            prev is not None
            and prev.seq == e.seq - 1
            and not {prev.seq, e.seq} & self.bad
            and e.prev_hash != prev.hash
        ):
            self.problems.append(
                Problem(e.seq, _("does not follow the previous entry (the chain is broken)"))
            )
        if e.corrects is not None and not 1 <= e.corrects < e.seq:
            self.problems.append(
                Problem(e.seq, _("corrects entry %(seq)d, which is not an earlier entry", seq=e.corrects))
            )

    def attachments(self, e: EvidenceEntry) -> None:
        for att in attachments_of(e):
            self.files += 1
            try:
                digest, size = blob_sha256(self.data_dir, att.sha256)
            except FileNotFoundError:
                where = blob_location(self.data_dir, att.sha256)
                self.problems.append(
                    Problem(e.seq, _("missing (expected at %(path)s)", path=where), att.name)
                )
                continue
            except TamperedFile as exc:
                self.problems.append(Problem(e.seq, exc.problem, att.name))
                continue
            except OSError as exc:
                self.problems.append(
                    Problem(e.seq, _("unreadable (%(why)s)", why=exc.strerror or exc), att.name)
                )
                continue
            if digest != att.sha256 or size != att.size:
                self.problems.append(
                    Problem(e.seq, _("changed (sha256 is now %(hash)s…)", hash=digest[:16]), att.name)
                )

    def fail(self, seq: int, problem: str) -> None:
        self.bad.add(seq)
        self.problems.append(Problem(seq, problem))


def _known_heads(
    db_head: tuple[int, str] | None, witnesses: Sequence[Witness], heads_file: Path
) -> list[tuple[int, str, str]]:
    """(entries, MAC of the last, where it was recorded) for every head recorded for the log."""
    known = [(w.entries, w.mac, _("the heads file %(path)s", path=heads_file)) for w in witnesses]
    if db_head is not None:
        known.append((db_head[0], db_head[1], _("the database's head")))
    return known


def _heads_problems(
    entries: Sequence[EvidenceEntry],
    db_head: tuple[int, str] | None,
    known: Sequence[tuple[int, str, str]],
    key: EvidenceKey | None,
    bad: set[int],
) -> list[Problem]:
    """Truncation and rewriting, judged against the heads: the database's and the heads file's."""
    problems: list[Problem] = []
    by_seq = {e.seq: e for e in entries}
    last = entries[-1].seq if entries else 0
    if db_head is None and entries:
        problems.append(
            Problem(None, _("the log's head is missing from the database (deleted behind reminder's back)"))
        )
    if known:
        furthest, _mac, source = max(known, key=lambda k: k[0])
        if furthest > last:
            if last:
                why = _(
                    "missing (the log was cut after entry %(last)d: %(source)s records %(n)d entries)",
                    last=last,
                    source=source,
                    n=furthest,
                )
            else:
                why = _(
                    "missing (every entry was deleted: %(source)s records %(n)d entries)",
                    source=source,
                    n=furthest,
                )
            problems.append(_span(last + 1, furthest, why))
    if db_head is not None and db_head[0] < last:
        why = _(
            "not in the log's head, which ends at entry %(seq)d "
            "(added, or the head moved back, behind reminder's back)",
            seq=db_head[0],
        )
        problems.append(_span(db_head[0] + 1, last, why))
    named: set[int] = set()
    for n, mac, source in known:
        e = by_seq.get(n)
        if e is None or e.hash == mac or n in bad or n in named:
            continue  # missing (named above), as recorded, or named already
        named.add(n)
        # Rewritten with an unkeyed hash (a keyed one would have failed above): was the content kept?
        if (
            key is not None
            and key.mac(canonical_json(replace(e, scheme=SCHEME_HMAC, key_id=key.key_id))) == mac
        ):
            why = _("keyed hash replaced by an unkeyed one (the content is as recorded)")
        else:
            why = _(
                "changed after it was recorded (%(source)s recorded its hash as %(hash)s)",
                source=source,
                hash=mac[:HEAD_PREFIX],
            )
        problems.append(Problem(n, why))
    return problems


def _key_problems(chain: _Chain, key: EvidenceKey | None, keys: KeyDir) -> list[Problem]:
    """Keyed entries that cannot be checked here: no key, or another machine's key."""
    problems = []
    if chain.unchecked:
        why = _(
            "cannot check %(entries)s: keyed, and the evidence key %(path)s is missing "
            "(restore it from a backup of that directory)",
            entries=_numbers(chain.unchecked),
            path=keys.key_path,
        )
        problems.append(Problem(None, why))
    mine = key.key_id if key is not None else "none"
    for other, seqs in chain.foreign.items():
        values = {"entries": _numbers(seqs), "other": other, "mine": mine, "path": keys.key_path}
        if len(seqs) == 1:
            why = _(
                "%(entries)s: hash mismatch, recorded with evidence key %(other)s, not this machine's "
                "(%(mine)s, %(path)s): if another machine recorded it, check it there or copy "
                "its key here; otherwise it changed",
                **values,
            )
        else:
            why = _(
                "%(entries)s: hash mismatch, recorded with evidence key %(other)s, not this machine's "
                "(%(mine)s, %(path)s): if another machine recorded them, check them there or copy "
                "its key here; otherwise them changed",
                **values,
            )
        problems.append(Problem(None, why))
    return problems


def verify(
    store: Store, data_dir: str | os.PathLike[str], case_id: str, *, keys: KeyDir, head: str | None = None
) -> VerifyReport:
    """Recompute the chain and every attachment's hash, check the log against its heads (and
    ``head``, a hex prefix of a MAC from a witness); list what is wrong, in log order."""
    case_id = store.get_case(case_id).id
    entries = list_entries(store, case_id)
    witnesses = keys.heads(case_id)
    head_row = db_head(store, case_id)
    known = _known_heads(head_row, witnesses, keys.heads_path)
    # Unkeyed entries alone need no key, unless the heads file says the log was keyed once.
    key = keys.load() if witnesses or any(e.scheme == SCHEME_HMAC for e in entries) else None
    chain = _Chain(key, store.attachments_at(data_dir), {n: mac for n, mac, _source in known})
    prev: EvidenceEntry | None = None
    for e in entries:
        expected = prev.seq + 1 if prev is not None else 1
        if e.seq > expected:
            chain.problems.append(_span(expected, e.seq - 1, _("missing (deleted from the database)")))
        chain.own(e)
        chain.link(e, prev)
        chain.attachments(e)
        prev = e
    problems = sorted(chain.problems, key=lambda p: p.seq or 0)  # stable: an entry's own problems in order

    problems += _heads_problems(entries, head_row, known, key, chain.bad)
    problems += _key_problems(chain, key, keys)
    checked: int | None = None
    if head is not None:
        found = [e.seq for e in entries if e.hash.startswith(head.lower())]
        if found:
            checked = found[-1]
        else:
            why = _(
                "no entry has the head %(head)s: the log was cut or rewritten after it was recorded",
                head=head.lower(),
            )
            problems.append(Problem(None, why))
    last = entries[-1] if entries else None
    report = VerifyReport(
        case_id,
        len(entries),
        chain.files,
        last.hash if last else "",
        tuple(problems),
        head_seq=last.seq if last else 0,
        witnessed=max((w.entries for w in witnesses), default=0),
        head_checked=checked,
    )
    if problems:
        log.info("evidence of case %s does not verify: %s", case_id, problems[0])
    return report
