"""No plaintext of a victim's document anywhere at rest: not in a dump of the database (its
title, its file name, its bytes), not in the storage, not in a temporary upload file."""

from __future__ import annotations

import subprocess

import pytest
from django.db import connection
from django.urls import reverse

from evidence import services
from evidence.constants import FileKind
from tests.evidence.conftest import upload
from victims import services as victim_services
from victims.constants import ConsentPurpose

NAME = "Zarmina Testwala"  # invented
PASSPORT = "AB1234567"


def document() -> bytes:
    """A plain-text scan note naming the victim (text keeps the plaintext greppable)."""
    return f"Passport of {NAME}, number {PASSPORT}, issued in Lahore.\n".encode() * 2000


@pytest.mark.postgres  # pg_dump
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_database_dump_and_the_storage_hold_no_plaintext_of_a_victims_document(
    cast, evidence_root
):
    from cases import services as case_services
    from cases.constants import CaseKind

    case = case_services.case_create(
        acting_user=cast.uk, lead_office=cast.offices["GBR"], kind=CaseKind.TIP, title="Ring"
    )
    victim = victim_services.victim_register(
        acting_user=cast.uk,
        case=case,
        full_name=NAME,
        passport_number=PASSPORT,
        consents=[{"purpose": ConsentPurpose.DATA_PROCESSING}],
    ).victim
    services.upload(
        acting_user=cast.uk,
        record=victim,
        uploads=[upload(f"passport-{NAME.replace(' ', '-').lower()}.txt", document())],
        title=f"Passport of {NAME}",
        kind=FileKind.IDENTITY_DOCUMENT,
    )
    settings = connection.settings_dict
    dump = subprocess.run(
        [
            "pg_dump",
            "--data-only",
            "-h",
            settings["HOST"] or "127.0.0.1",
            "-p",
            str(settings["PORT"] or 5432),
            "-U",
            settings["USER"] or "postgres",
            settings["NAME"],
        ],
        capture_output=True,
        check=True,
        env={"PGPASSWORD": settings["PASSWORD"] or "", "PATH": "/usr/bin:/bin"},
    ).stdout
    assert b"evidence_attachment" in dump  # the dump has the files' table
    for secret in (NAME.encode(), b"Testwala", b"testwala", PASSPORT.encode(), b"Lahore"):
        assert secret not in dump, secret
    stored = [path.read_bytes() for path in evidence_root.rglob("*") if path.is_file()]
    assert len(stored) == 1
    for secret in (b"Testwala", PASSPORT.encode(), b"Lahore"):
        assert secret not in stored[0]


@pytest.mark.django_db
def test_a_large_upload_is_kept_in_memory_never_in_a_temporary_file(
    cast, uk_case, login, monkeypatch
):
    """Django writes uploads over 2.5 MB to a temporary file; ours never do."""
    from django.core.files.uploadedfile import TemporaryUploadedFile

    created = []
    original = TemporaryUploadedFile.__init__

    def spy(self, *args, **kwargs):
        created.append(args)
        original(self, *args, **kwargs)

    monkeypatch.setattr(TemporaryUploadedFile, "__init__", spy)
    data = b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024)
    response = login(cast.uk).post(
        reverse("evidence:upload", args=["case", uk_case.reference]),
        {"files": [upload("scan.pdf", data)], "kind": "other"},
    )
    assert response.status_code == 302
    assert created == []
