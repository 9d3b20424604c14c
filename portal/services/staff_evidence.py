"""Evidence staff add to a case after intake (a letter with photos, footage from the
department): the same evidence service and checks as residents' uploads (content-type sniffing,
per-file and per-case size limits, ``portal.services.evidence``), audited, for staff who
investigate, on open cases.

No Flask here; the caller stores the files first (``evidence.store_upload``) and removes them
if this raises (``evidence.removed_on_failure``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.orm import Session

from portal.models import Attachment, Staff
from portal.services import evidence
from portal.services.caserules import CaseworkError, load_complaint, record, require, require_open
from portal.services.evidence import StoredFile
from portal.services.permissions import Permission

EVIDENCE_ADD = "evidence.add"


def add_evidence(
    session: Session,
    complaint_id: int,
    files: Sequence[StoredFile],
    *,
    max_total_bytes: int,
    actor: Staff,
    now: dt.datetime,
) -> list[Attachment]:
    """Attach stored ``files`` to an open case as evidence uploaded by ``actor``; not committed.

    Raises ``CaseworkError`` (nothing attached) without permission, for a closed case, with no
    file, or when the case's files together would pass ``max_total_bytes``. Audited as
    ``evidence.add`` (how many files and bytes; never their names).
    """
    require(actor, Permission.CASE_INVESTIGATE)
    complaint = load_complaint(session, complaint_id)
    require_open(complaint)
    if not files:
        raise CaseworkError("Choose at least one file.")
    adding = sum(f.size_bytes for f in files)
    if evidence.total_attached_bytes(session, complaint.id) + adding > max_total_bytes:
        raise CaseworkError(
            f"These files would take the case over {max_total_bytes // evidence.MB} MB of evidence."
        )
    attachments = evidence.attach(session, complaint, files, now=now, uploaded_by=actor)
    complaint.updated_at = now
    session.flush()
    record(
        session,
        actor,
        EVIDENCE_ADD,
        "complaint",
        complaint.id,
        now,
        after={"attachments": [a.id for a in attachments]},
        detail=f"files={len(attachments)} bytes={adding}",
    )
    return attachments


__all__ = ["EVIDENCE_ADD", "add_evidence"]
