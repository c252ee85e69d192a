"""Files on records through the services and the pages: who sees them, what is refused, what
is stored, and what a download says."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.db import connection
from django.urls import reverse

from cases.constants import SourceReliability
from evidence import services
from evidence.constants import FileKind, FileStatus
from evidence.models import Attachment, FileDownload
from glo_act.submit_once import new_token
from liaison_offices.constants import EventKind
from liaison_offices.models import NotificationEvent
from tests.evidence.conftest import pdf_bytes, png_bytes, upload

pytestmark = pytest.mark.django_db


def stored_files(root):
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def add(user, record, *files, **options):
    return services.upload(acting_user=user, record=record, uploads=list(files), **options)


def test_a_case_file_is_encrypted_on_disk_and_named_nowhere_in_the_database(
    cast, uk_case, evidence_root
):
    data = pdf_bytes("Statement of the car wash worker Testwala")
    (attachment,) = add(
        cast.uk,
        uk_case,
        upload("statement-testwala.pdf", data),
        title="Testwala statement",
        kind=FileKind.STATEMENT,
    )
    assert attachment.status == FileStatus.AVAILABLE
    assert attachment.media_type == "application/pdf"
    assert attachment.sha256 == hashlib.sha256(data).hexdigest()
    assert attachment.size == len(data)
    assert attachment.uploaded_by_office == cast.offices["GBR"]
    (on_disk,) = stored_files(evidence_root)
    raw = on_disk.read_bytes()
    assert b"Testwala" not in raw and b"%PDF" not in raw
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM evidence_attachment")
        row = " ".join(str(value) for value in cursor.fetchone())
    print(row)
    assert "Testwala" not in row and "statement-" not in row


def test_the_full_share_downloads_the_very_bytes_and_the_summary_share_gets_404(
    cast, uk_case, login
):
    data = pdf_bytes()
    (attachment,) = add(cast.uk, uk_case, upload("witness.pdf", data))
    url = reverse("evidence:download", args=[attachment.public_id])

    response = login(cast.italy).get(url)
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body == data and hashlib.sha256(body).hexdigest() == attachment.sha256
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"H2_{uk_case.reference}_witness.pdf" in disposition  # the handling code travels
    assert FileDownload.objects.filter(attachment=attachment, user=cast.italy, door="page").exists()

    for outsider in (cast.focal_point, cast.spain, cast.provider):
        assert login(outsider).get(url).status_code == 404
    assert FileDownload.objects.count() == 1


def test_the_case_page_shows_files_with_digest_and_conditions_to_the_full_share_only(
    cast, uk_case, login
):
    add(cast.uk, uk_case, upload("route-map.png", png_bytes()), title="Route map")
    page = login(cast.italy).get(uk_case.get_absolute_url()).content.decode()
    attachment = Attachment.objects.get()
    assert "Route map" in page and attachment.sha256 in page
    assert "Not to be passed to third parties" in page  # the conditions, beside the file
    summary = login(cast.focal_point).get(uk_case.get_absolute_url()).content.decode()
    assert "Route map" not in summary and 'id="files"' not in summary


def test_the_summary_share_may_not_upload_and_an_outsider_gets_404(cast, uk_case, login):
    from glo_act.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        add(cast.focal_point, uk_case, upload("a.pdf", pdf_bytes()))
    url = reverse("evidence:upload", args=["case", uk_case.reference])
    assert (
        login(cast.spain)
        .post(url, {"form_token": new_token(), "files": [upload("a.pdf", pdf_bytes())]})
        .status_code
        == 404
    )
    assert Attachment.objects.count() == 0


def test_a_message_with_a_pdf_and_a_photo_posts_both_in_one_go(cast, uk_case, login):
    client = login(cast.uk)
    response = client.post(
        reverse("evidence:message_post", args=[uk_case.reference]),
        {
            "form_token": new_token(),
            "body": "Statement and photo of the site attached.",
            "reliability": SourceReliability.B,
            "accuracy": 2,
            "files": [upload("statement.pdf", pdf_bytes()), upload("site.png", png_bytes())],
        },
    )
    assert response.status_code == 302
    message = uk_case.messages.get()
    files = Attachment.objects.filter(message=message)
    assert sorted(f.media_type for f in files) == ["application/pdf", "image/png"]
    page = login(cast.italy).get(uk_case.get_absolute_url()).content.decode()
    for attachment in files:
        assert reverse("evidence:download", args=[attachment.public_id]) in page


def test_eicar_is_refused_quarantined_for_hq_and_the_message_is_not_posted(
    cast, uk_case, login, clamd, eicar
):
    response = login(cast.uk).post(
        reverse("evidence:message_post", args=[uk_case.reference]),
        {
            "form_token": new_token(),
            "body": "Invoice attached.",
            "reliability": SourceReliability.B,
            "accuracy": 2,
            "files": [upload("statement.pdf", pdf_bytes()), eicar],
        },
    )
    assert response.status_code == 422
    assert "malware was found (GloAct.Test.EICAR" in response.content.decode()
    assert not uk_case.messages.exists()
    (quarantined,) = Attachment.objects.all()  # the clean PDF was not stored either
    assert quarantined.status == FileStatus.INFECTED
    event = NotificationEvent.objects.get(kind=EventKind.FILE_QUARANTINED)
    assert event.office_ids == [cast.offices["HQ"].pk] and event.user_ids == [cast.uk.pk]
    assert "invoice" not in str(event.payload)  # no file name in the outbox
    url = reverse("evidence:download", args=[quarantined.public_id])
    assert login(cast.uk).get(url).status_code == 404


def test_eicar_is_refused_on_the_upload_page_with_the_error_beside_the_field(
    cast, uk_case, login, clamd, eicar
):
    url = reverse("evidence:upload", args=["case", uk_case.reference])
    response = login(cast.uk).post(
        url, {"form_token": new_token(), "files": [eicar], "kind": "other"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert re.search(r'class="error"[^>]*>invoice.txt: malware was found', html)
    assert Attachment.objects.get().status == FileStatus.INFECTED


def test_a_file_over_the_limit_gets_a_clear_error_and_leaves_nothing_in_storage(
    cast, uk_case, login, evidence_root, settings
):
    settings.EVIDENCE_MAX_BYTES = 25 * 1024 * 1024
    big = b"%PDF-1.4\n" + b"0" * (26 * 1024 * 1024)
    url = reverse("evidence:upload", args=["case", uk_case.reference])
    response = login(cast.uk).post(
        url, {"form_token": new_token(), "files": [upload("scan.pdf", big)], "kind": "other"}
    )
    assert response.status_code == 422
    assert "scan.pdf is 26.0 MB; files may be at most 25.0 MB. Nothing was uploaded." in (
        response.content.decode()
    )
    assert Attachment.objects.count() == 0 and stored_files(evidence_root) == []


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("statement.pdf", b"<!DOCTYPE html><html><script>alert(1)</script></html>"),
        ("photo.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("tool.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 200),
    ],
)
def test_the_type_is_read_from_the_content_not_the_name(cast, uk_case, evidence_root, name, data):
    with pytest.raises(services.FileRefused, match="which is not accepted"):
        add(cast.uk, uk_case, upload(name, data, "application/pdf"))
    assert Attachment.objects.count() == 0 and stored_files(evidence_root) == []


def test_a_file_stored_while_clamd_is_down_is_being_checked_until_the_worker_scans_it(
    cast, uk_case, login, settings, tmp_path, clamd_address, django_capture_on_commit_callbacks
):
    settings.EVIDENCE_SCANNER = "clamd"
    settings.CLAMD_ADDRESS = f"unix://{tmp_path / 'down.sock'}"
    with django_capture_on_commit_callbacks(execute=False):
        (attachment,) = add(cast.uk, uk_case, upload("late.pdf", pdf_bytes()))
    assert attachment.status == FileStatus.CHECKING
    url = reverse("evidence:download", args=[attachment.public_id])
    response = login(cast.italy).get(url)
    assert response.status_code == 409 and b"being checked" in response.content
    assert "Being checked" in login(cast.italy).get(uk_case.get_absolute_url()).content.decode()

    settings.CLAMD_ADDRESS = clamd_address
    assert services.scan_stored(attachment.pk) == FileStatus.AVAILABLE
    assert login(cast.italy).get(url).status_code == 200


def test_a_stored_file_found_infected_later_is_quarantined_and_hq_alerted(
    cast, uk_case, clamd, settings, tmp_path, django_capture_on_commit_callbacks
):
    from evidence.scanning import EICAR

    settings.CLAMD_ADDRESS = f"unix://{tmp_path / 'down.sock'}"
    with django_capture_on_commit_callbacks(execute=False):
        (attachment,) = add(cast.uk, uk_case, upload("notes.txt", EICAR))
    assert attachment.status == FileStatus.CHECKING
    assert not NotificationEvent.objects.filter(kind=EventKind.FILE_QUARANTINED).exists()
    settings.CLAMD_ADDRESS = clamd
    assert services.scan_stored(attachment.pk) == FileStatus.INFECTED
    assert NotificationEvent.objects.filter(kind=EventKind.FILE_QUARANTINED).count() == 1
    assert services.scan_stored(attachment.pk) == FileStatus.INFECTED  # idempotent
    assert NotificationEvent.objects.filter(kind=EventKind.FILE_QUARANTINED).count() == 1


def test_hq_quarantine_and_deletion_close_every_door_and_keep_the_reason(
    cast, uk_case, login, evidence_root, django_capture_on_commit_callbacks
):
    first, second = add(
        cast.uk, uk_case, upload("a.pdf", pdf_bytes("a")), upload("b.pdf", pdf_bytes("b"))
    )
    with pytest.raises(services.PermissionDenied):
        services.attachment_quarantine(acting_user=cast.uk, attachment=first, reason="mine")
    services.attachment_quarantine(acting_user=cast.hq, attachment=first, reason="Under review")
    with pytest.raises(services.DomainError, match="reason"):
        services.attachment_delete(acting_user=cast.hq, attachment=second, reason=" ")
    with django_capture_on_commit_callbacks(execute=True):
        services.attachment_delete(
            acting_user=cast.hq, attachment=second, reason="Uploaded in error"
        )
    for attachment in (first, second):
        url = reverse("evidence:download", args=[attachment.public_id])
        assert login(cast.italy).get(url).status_code == 404
    second.refresh_from_db()
    assert second.status == FileStatus.DELETED and second.withdrawn_reason == "Uploaded in error"
    assert len(stored_files(evidence_root)) == 1  # the deleted file's bytes are gone


def test_a_new_case_file_notifies_who_reads_the_case_in_full_and_names_no_file(cast, uk_case):
    (attachment,) = add(
        cast.uk, uk_case, upload("testwala-statement.pdf", pdf_bytes()), title="Testwala"
    )
    event = NotificationEvent.objects.get(kind=EventKind.FILE_ADDED)
    assert event.subject_id == attachment.pk
    assert event.office_ids == [cast.offices["ITA"].pk]  # not the uploader's own office
    assert event.partner_ids == []  # the High Commission's summary share shows no files
    assert "testwala" not in (str(event.payload) + event.subject_label + event.subject_url).lower()
    assert event.subject_url == f"{uk_case.get_absolute_url()}#files"
