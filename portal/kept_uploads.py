"""Files chosen on a form that comes back with a problem: stored once, offered again.

A browser cannot fill a file input in again, so the intake forms (the resident's and staff's)
store every accepted file at once and send the page back with one signed token per file (a
ticked ``kept_file`` checkbox); the next POST of the form reuses the files still ticked. A
forged or altered token is dropped, and so is one naming a file that is no longer in the upload
folder or that a complaint already holds. Files never filed are removed later by
``lantern uploads sweep``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.datastructures import FileStorage

from portal.request_db import db_session
from portal.services import evidence
from portal.services.evidence import EvidenceRejected, StoredFile

#: The form field of the tokens, and how many one POST may bring back.
FIELD = "kept_file"
MAX_KEPT = 50


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="lantern.intake.kept-file")


def upload_folder() -> Path:
    """Where this app stores evidence files."""
    return Path(current_app.config["UPLOAD_FOLDER"])


def token_for(stored: StoredFile) -> str:
    """A signed token that lets the next POST of the form reuse ``stored``."""
    fields = [
        stored.stored_name,
        stored.original_name,
        stored.content_type,
        stored.size_bytes,
        stored.sha256,
    ]
    return str(_signer().dumps(fields))


def kept_from_request() -> list[StoredFile]:
    """The stored files behind the ``kept_file`` tokens of this POST (bad or stale ones dropped)."""
    files: list[StoredFile] = []
    seen: set[str] = set()
    for token in request.form.getlist(FIELD)[:MAX_KEPT]:
        try:
            name, original, content_type, size, sha256 = _signer().loads(token)
        except (BadSignature, ValueError, TypeError):
            continue
        stored = StoredFile(str(name), str(original), str(content_type), int(size), str(sha256))
        if stored.stored_name in seen or not evidence.is_stored(upload_folder(), stored):
            continue
        seen.add(stored.stored_name)
        files.append(stored)
    attached = evidence.attached_names(db_session(), seen)
    return [f for f in files if f.stored_name not in attached]


def store_new(
    kept: list[StoredFile], field: str, refusal: Callable[[EvidenceRejected], str]
) -> tuple[list[StoredFile], list[str]]:
    """Validate and store the files chosen in ``field`` of this POST next to ``kept``.

    Returns every file now held (``kept`` first) and one ``refusal`` message per refused file;
    the limits (``UPLOAD_MAX_FILE_BYTES``, ``UPLOAD_MAX_TOTAL_BYTES``) count the kept files too.
    """
    config = current_app.config
    held = list(kept)
    messages: list[str] = []
    uploads: list[FileStorage] = request.files.getlist(field)
    for upload in uploads:
        if not upload or not upload.filename:
            continue  # the file input was left empty
        used = sum(f.size_bytes for f in held)
        try:
            held.append(
                evidence.store_upload(
                    upload.stream,
                    upload.filename,
                    upload_folder(),
                    max_file_bytes=int(config["UPLOAD_MAX_FILE_BYTES"]),
                    remaining_total_bytes=int(config["UPLOAD_MAX_TOTAL_BYTES"]) - used,
                )
            )
        except EvidenceRejected as error:
            messages.append(refusal(error))
    return held, messages
