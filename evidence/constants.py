"""Choices and limits of the evidence app."""

from __future__ import annotations

from django.db import models


class FileKind(models.TextChoices):
    """What a file is, as the officer files it."""

    STATEMENT = "statement", "Statement"
    IDENTITY_DOCUMENT = "identity_document", "Identity document"
    PHOTOGRAPH = "photograph", "Photograph"
    TRAVEL_RECORD = "travel_record", "Travel record"
    COURT_DOCUMENT = "court_document", "Court document"
    CONSENT_FORM = "consent_form", "Consent form"
    OTHER = "other", "Other"


class FileStatus(models.TextChoices):
    """Where a file stands: only an AVAILABLE file can be downloaded, by any door."""

    CHECKING = "checking", "Being checked"
    AVAILABLE = "available", "Available"
    INFECTED = "infected", "Quarantined: malware found"
    QUARANTINED = "quarantined", "Quarantined by HQ"
    DELETED = "deleted", "Deleted"


# The statuses a record's page and the API list show to those who see the record.
LISTED_STATUSES = (FileStatus.CHECKING, FileStatus.AVAILABLE)


class Door(models.TextChoices):
    """Through which door a file was downloaded."""

    PAGE = "page", "Page"
    API = "api", "API"
    ADMIN = "admin", "Admin"


class RecordType(models.TextChoices):
    """The record a file belongs to (exactly one)."""

    CASE = "case", "Case"
    MESSAGE = "message", "Message"
    REQUEST = "request", "Cooperation request"
    ANSWER = "answer", "Answer to a cooperation request"
    REFERRAL = "referral", "Referral"
    UPDATE = "update", "Update of a referral"
    VICTIM = "victim", "Victim"


# Media types accepted, as libmagic reads them from the content (never from the name), and the
# extension the download's file name gets. No HTML, SVG, script or executable is ever accepted,
# so nothing uploaded can be rendered by a browser as a page.
ALLOWED_TYPES: dict[str, str] = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/tiff": "tif",
    "image/heic": "heic",
    "image/webp": "webp",
    "text/plain": "txt",
    "text/csv": "csv",
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "audio/mpeg": "mp3",
    "video/mp4": "mp4",
}

# Types served with their own media type; all others go out as application/octet-stream
# (text in particular, so no browser guesses at it).
SERVED_AS_IS = frozenset(t for t in ALLOWED_TYPES if not t.startswith("text/"))

MAX_FILES_PER_UPLOAD = 10
