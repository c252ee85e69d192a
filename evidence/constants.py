"""Choices and limits of the evidence app."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class FileKind(models.TextChoices):
    """What a file is, as the officer files it."""

    STATEMENT = "statement", _("Statement")
    IDENTITY_DOCUMENT = "identity_document", _("Identity document")
    PHOTOGRAPH = "photograph", _("Photograph")
    TRAVEL_RECORD = "travel_record", _("Travel record")
    COURT_DOCUMENT = "court_document", _("Court document")
    CONSENT_FORM = "consent_form", _("Consent form")
    OTHER = "other", _("Other")


class FileStatus(models.TextChoices):
    """Where a file stands: only an AVAILABLE file can be downloaded, by any door."""

    CHECKING = "checking", _("Being checked")
    AVAILABLE = "available", _("Available")
    INFECTED = "infected", _("Quarantined: malware found")
    QUARANTINED = "quarantined", _("Quarantined by HQ")
    DELETED = "deleted", _("Deleted")


# The statuses a record's page and the API list show to those who see the record.
LISTED_STATUSES = (FileStatus.CHECKING, FileStatus.AVAILABLE)


class Door(models.TextChoices):
    """Through which door a file was downloaded."""

    PAGE = "page", _("Page")
    API = "api", _("API")
    ADMIN = "admin", _("Admin")


class RecordType(models.TextChoices):
    """The record a file belongs to (exactly one)."""

    CASE = "case", _("Case")
    MESSAGE = "message", _("Message")
    REQUEST = "request", _("Cooperation request")
    ANSWER = "answer", _("Answer to a cooperation request")
    REFERRAL = "referral", _("Referral")
    UPDATE = "update", _("Update of a referral")
    VICTIM = "victim", _("Victim")


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
