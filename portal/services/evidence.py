"""Evidence files: validate and store uploads, attach them to a complaint, clean up after failures.

An upload is streamed to a random name in the uploads folder (``UPLOAD_FOLDER``, outside any
folder the web server serves) while its SHA-256 is computed; its type is decided from its
*content*, never its name or the browser's claim, against an allow-list (images, PDF, common audio
and video, plain text, office documents). Anything else, anything empty and anything over the
limits is refused with ``EvidenceRejected`` naming the file and the reason.

A stored file is not yet evidence: ``attach`` records it on a complaint in the caller's
transaction. Files written for a transaction that then fails must be removed again
(``removed_on_failure`` / ``discard``); files never attached (a resident who gave up) are removed
by ``sweep_orphans``.

No Flask here: the intake and status views and the staff screens all call these functions.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import hashlib
import os
import re
import secrets
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

import puremagic
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models import Attachment, Complaint, Staff

MB = 1024 * 1024
CHUNK = 64 * 1024
HEAD = 8 * 1024  # bytes given to the signature check

RejectReason = Literal["empty", "too_large", "total_too_large", "type"]

#: Types residents may upload, by the extension the content check names, with the canonical
#: content type recorded for each. Office containers (zip) are recognised separately below.
ALLOWED_BY_EXTENSION: dict[str, str] = {
    # images
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "jpe": "image/jpeg",
    "jfif": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "heic": "image/heic",
    "heif": "image/heif",
    "tif": "image/tiff",
    "tiff": "image/tiff",
    "bmp": "image/bmp",
    # documents
    "pdf": "application/pdf",
    "rtf": "application/rtf",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
    # audio
    "mp3": "audio/mpeg",
    "mpga": "audio/mpeg",
    "m4a": "audio/mp4",
    "f4a": "audio/mp4",
    "aac": "audio/aac",
    "wav": "audio/wav",
    "flac": "audio/flac",
    "ogg": "audio/ogg",
    "oga": "audio/ogg",
    "opus": "audio/ogg",
    "amr": "audio/amr",
    # video
    "mp4": "video/mp4",
    "m4v": "video/mp4",
    "mov": "video/quicktime",
    "qt": "video/quicktime",
    "webm": "video/webm",
    "mkv": "video/x-matroska",
    "avi": "video/x-msvideo",
    "3gp": "video/3gpp",
    "3ga": "video/3gpp",
    "3g2": "video/3gpp2",
    "mpg": "video/mpeg",
    "mpeg": "video/mpeg",
    "ogv": "video/ogg",
}

#: Content that is refused even when another reading of the same bytes would be allowed:
#: programs, and markup a browser would run (HTML, SVG) if the file were ever opened in one.
DANGEROUS_EXTENSIONS = frozenset(
    {
        "exe", "dll", "drv", "sys", "com", "scr", "msi", "elf", "so", "dylib", "macho", "class",
        "jar", "apk", "html", "htm", "xhtml", "svg", "svgz", "swf", "js", "hta", "xml", "php",
    }
)  # fmt: skip

OFFICE_ZIP_TYPES = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
OPENDOCUMENT_TYPES = frozenset(
    {
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation",
    }
)
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OLE_STREAMS = {
    "WordDocument".encode("utf-16-le"): "application/msword",
    "Workbook".encode("utf-16-le"): "application/vnd.ms-excel",
    "PowerPoint Document".encode("utf-16-le"): "application/vnd.ms-powerpoint",
}
TEXT_PLAIN = "text/plain"

_STORED_NAME = re.compile(r"[0-9a-f]{32}")
# Control characters other than tab, newline, carriage return and form feed mean "not text".
_NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class UploadLimits:
    """Size limits for evidence: per file, and for all files of one complaint together."""

    max_file_bytes: int = 25 * MB
    max_total_bytes: int = 100 * MB


@dataclass(frozen=True)
class StoredFile:
    """A validated upload on disk, not yet attached to a complaint."""

    stored_name: str  # random, 32 hex characters; the file's name in the uploads folder
    original_name: str  # the name the resident's device gave it (cleaned), for display only
    content_type: str  # detected from the content
    size_bytes: int
    sha256: str  # hex


class EvidenceRejected(ValueError):
    """An upload that cannot be accepted.

    ``filename`` is the (cleaned) name the resident gave the file, ``reason`` one of ``empty``,
    ``too_large`` (over the per-file limit), ``total_too_large`` (over what is left of the
    per-complaint limit) or ``type`` (content not on the allow-list); ``limit_bytes`` is the limit
    that was exceeded, when one was.
    """

    def __init__(self, filename: str, reason: RejectReason, limit_bytes: int | None = None):
        super().__init__(f"{reason}")  # never the file name: exceptions end up in logs
        self.filename = filename
        self.reason: RejectReason = reason
        self.limit_bytes = limit_bytes


def clean_filename(name: str | None) -> str:
    """The display name of an upload: last path component, no control characters, ≤ 200 chars.

    Browsers on Windows may send ``C:\\fakepath\\photo.jpg``; only ``photo.jpg`` is kept. An empty
    result becomes ``"file"``.
    """
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    return base[:200] or "file"


def _office_zip_type(path: Path) -> str | None:
    """The office document type of a zip container, or None for any other zip."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                declared = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
                return declared if declared in OPENDOCUMENT_TYPES else None
            if "[Content_Types].xml" in names:
                for prefix, content_type in OFFICE_ZIP_TYPES.items():
                    if any(n.startswith(prefix) for n in names):
                        return content_type
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        return None
    return None


def _ole_type(path: Path) -> str | None:
    """The legacy Office type of an OLE2 compound file, or None (an installer, for example).

    OLE2 is also the container of Windows installers (.msi), so the file must name the stream
    of a Word, Excel or PowerPoint document (directory entries are UTF-16LE).
    """
    overlap = max(len(marker) for marker in OLE_STREAMS)
    tail = b""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            window = tail + chunk
            for marker, content_type in OLE_STREAMS.items():
                if marker in window:
                    return content_type
            tail = window[-overlap:]
    return None


def detect_content_type(head: bytes, path: Path, is_text: bool) -> str | None:
    """The allowed content type of a file from its first bytes (``head``), or None.

    ``path`` is the complete file (opened only for zip containers); ``is_text`` says whether the
    whole file decoded as UTF-8 without control characters. The name is never consulted.
    """
    if head.startswith(b"PK\x03\x04"):
        return _office_zip_type(path)
    if head.startswith(OLE_SIGNATURE):
        return _ole_type(path)
    try:
        matches = puremagic.magic_string(head)
    except puremagic.PureError:
        matches = []
    extensions = [m.extension.lower().lstrip(".") for m in matches]
    if any(ext in DANGEROUS_EXTENSIONS for ext in extensions):
        return None
    for ext in extensions:
        if ext in ALLOWED_BY_EXTENSION:
            return ALLOWED_BY_EXTENSION[ext]
    return TEXT_PLAIN if is_text else None


def store_upload(
    stream: IO[bytes],
    filename: str | None,
    folder: Path,
    *,
    max_file_bytes: int,
    remaining_total_bytes: int | None = None,
) -> StoredFile:
    """Validate one upload and store it in ``folder`` under a random name.

    Reads ``stream`` in chunks, computing SHA-256 as it writes (never more than one chunk in
    memory). Stops reading as soon as the file exceeds ``max_file_bytes`` or
    ``remaining_total_bytes`` (what is left of the per-complaint limit). Returns the
    ``StoredFile``; raises ``EvidenceRejected`` (and leaves nothing on disk) when the file is
    empty, too large or of a type not accepted. The file is created with mode 0600.
    """
    name = clean_filename(filename)
    folder.mkdir(parents=True, exist_ok=True)
    stored_name = secrets.token_hex(16)
    partial = folder / f"{stored_name}.part"
    limit = max_file_bytes
    reason: RejectReason = "too_large"
    if remaining_total_bytes is not None and remaining_total_bytes < max_file_bytes:
        limit, reason = max(remaining_total_bytes, 0), "total_too_large"
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    size = 0
    head = b""
    is_text = True
    try:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise EvidenceRejected(name, reason, limit)
                digest.update(chunk)
                out.write(chunk)
                if len(head) < HEAD:
                    head += chunk[: HEAD - len(head)]
                if is_text:
                    is_text = _still_text(decoder, chunk)
        if size == 0:
            raise EvidenceRejected(name, "empty")
        if is_text:
            is_text = _still_text(decoder, b"", final=True)
        content_type = detect_content_type(head, partial, is_text)
        if content_type is None:
            raise EvidenceRejected(name, "type")
        os.replace(partial, folder / stored_name)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return StoredFile(
        stored_name=stored_name,
        original_name=name,
        content_type=content_type,
        size_bytes=size,
        sha256=digest.hexdigest(),
    )


def _still_text(decoder: codecs.IncrementalDecoder, chunk: bytes, final: bool = False) -> bool:
    """Feed ``chunk`` to the UTF-8 decoder; False once it is not clean text."""
    try:
        text = decoder.decode(chunk, final=final)
    except UnicodeDecodeError:
        return False
    return _NOT_TEXT.search(text) is None


def evidence_path(folder: Path, stored_name: str) -> Path:
    """The path of a stored file; raises ``ValueError`` for anything but a stored name.

    Stored names are 32 lower-case hex characters, so a crafted name can never leave the folder.
    """
    if not _STORED_NAME.fullmatch(stored_name):
        raise ValueError("not a stored evidence name")
    return folder / stored_name


def is_stored(folder: Path, stored: StoredFile) -> bool:
    """Whether ``stored`` is still on disk with its recorded size (e.g. a kept upload)."""
    try:
        return evidence_path(folder, stored.stored_name).stat().st_size == stored.size_bytes
    except (OSError, ValueError):
        return False


def discard(folder: Path, files: Iterable[StoredFile]) -> None:
    """Remove stored files from disk (missing ones are ignored)."""
    for stored in files:
        with contextlib.suppress(ValueError):
            evidence_path(folder, stored.stored_name).unlink(missing_ok=True)


@contextlib.contextmanager
def removed_on_failure(folder: Path, files: Iterable[StoredFile]) -> Iterator[None]:
    """Remove ``files`` from disk if the block raises (wrap the service call and its commit)."""
    kept = list(files)
    try:
        yield
    except BaseException:
        discard(folder, kept)
        raise


def attached_names(session: Session, names: Iterable[str]) -> set[str]:
    """Which of these stored names are already attachments of some complaint."""
    wanted = list(names)
    found: set[str] = set()
    for start in range(0, len(wanted), 500):  # bounded IN lists
        batch = wanted[start : start + 500]
        found.update(
            session.scalars(select(Attachment.stored_name).where(Attachment.stored_name.in_(batch)))
        )
    return found


def total_attached_bytes(session: Session, complaint_id: int) -> int:
    """Bytes of evidence already attached to a complaint (for the per-complaint limit)."""
    total = session.scalar(
        select(func.coalesce(func.sum(Attachment.size_bytes), 0)).where(
            Attachment.complaint_id == complaint_id
        )
    )
    return int(total or 0)


def attach(
    session: Session,
    complaint: Complaint,
    files: Iterable[StoredFile],
    *,
    now: dt.datetime,
    uploaded_by: Staff | None,
) -> list[Attachment]:
    """Record stored files as evidence of ``complaint`` in the caller's transaction.

    ``uploaded_by`` is the staff member who attached them (None: the complainant). Returns the new
    ``Attachment`` rows (added to the session, not committed).
    """
    # Set from the attachment's side: ``complaint.attachments.extend`` would first load the
    # collection (a SELECT on every filing, files or not); the back-reference records the new
    # rows without loading it, and keeps the collection right if it was loaded.
    attachments = [
        Attachment(
            complaint=complaint,
            original_name=stored.original_name,
            stored_name=stored.stored_name,
            content_type=stored.content_type,
            size_bytes=stored.size_bytes,
            sha256=stored.sha256,
            uploaded_at=now,
            uploaded_by_id=uploaded_by.id if uploaded_by is not None else None,
        )
        for stored in files
    ]
    session.add_all(attachments)
    return attachments


def sweep_orphans(session: Session, folder: Path, *, older_than: dt.datetime) -> int:
    """Remove files in ``folder`` that no attachment refers to and not modified since
    ``older_than`` (uploads of forms never sent, partial writes). Returns how many were removed.
    """
    if not folder.is_dir():
        return 0
    cutoff = older_than.timestamp()
    candidates = [
        path
        for path in folder.iterdir()
        if path.is_file()
        and (_STORED_NAME.fullmatch(path.name) or path.name.endswith(".part"))
        and path.stat().st_mtime < cutoff
    ]
    attached = attached_names(session, [p.name for p in candidates])
    removed = 0
    for path in candidates:
        if path.name not in attached:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
