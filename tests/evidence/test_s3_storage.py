"""The evidence files in S3-compatible object storage, over real HTTP (tests/s3.py: moto's
server on a free port): the storage is the one glo_act/settings.py builds for
EVIDENCE_STORAGE=s3 from the README's variables; upload, download and HQ's deletion go
through our services and doors, and only ciphertext reaches the bucket."""

from __future__ import annotations

import hashlib
import os
import runpy
from pathlib import Path

import boto3
import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from evidence import crypto, services
from evidence.models import Attachment
from tests.evidence.conftest import pdf_bytes, upload
from tests.s3 import start_s3, stop_s3

pytestmark = pytest.mark.django_db
BUCKET = "glo-act-evidence-test"
KEY, SECRET = "evidence-store-user", "evidence-store-secret"


@pytest.fixture(scope="module")
def s3_endpoint():
    endpoint, process = start_s3()
    yield endpoint
    stop_s3(process)


@pytest.fixture
def bucket(s3_endpoint, settings, monkeypatch):
    """A fresh private bucket, and `storages["evidence"]` as the settings build it for S3."""
    for name, value in {
        "EVIDENCE_STORAGE": "s3",
        "EVIDENCE_S3_ENDPOINT_URL": s3_endpoint,
        "EVIDENCE_S3_BUCKET": BUCKET,
        "EVIDENCE_S3_REGION": "eu-west-1",
        "EVIDENCE_S3_ACCESS_KEY": KEY,
        "EVIDENCE_S3_SECRET_KEY": SECRET,
    }.items():
        monkeypatch.setenv(name, value)
    built = runpy.run_path(str(Path(django_settings.BASE_DIR) / "glo_act" / "settings.py"))
    assert built["STORAGES"]["evidence"]["BACKEND"] == "storages.backends.s3.S3Storage"
    settings.STORAGES = {**settings.STORAGES, "evidence": built["STORAGES"]["evidence"]}
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="eu-west-1",
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
    )
    client.create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def objects(client) -> dict[str, bytes]:
    listed = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    return {
        item["Key"]: client.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
        for item in listed
    }


def test_a_file_goes_to_the_bucket_encrypted_and_comes_back_whole(
    cast, uk_case, login, bucket, django_capture_on_commit_callbacks
):
    small = pdf_bytes("Statement of the car wash worker Testwala")
    # Past boto3's multipart threshold (8 MB): the upload goes up in parts.
    large = b"%PDF-1.4\n" + os.urandom(9 * 1024 * 1024) + b"Testwala\n%%EOF\n"
    first, second = services.upload(
        acting_user=cast.uk,
        record=uk_case,
        uploads=[upload("statement-testwala.pdf", small), upload("ledger-scan.pdf", large)],
    )
    stored = objects(bucket)
    assert set(stored) == {first.storage_name, second.storage_name}
    for attachment, data in ((first, small), (second, large)):
        raw = stored[attachment.storage_name]
        assert len(raw) == crypto.stored_size(len(data))  # ciphertext, chunked and tagged
        assert b"%PDF" not in raw and b"Testwala" not in raw
        response = login(cast.italy).get(attachment.download_url)
        assert response.status_code == 200
        body = b"".join(response.streaming_content)
        assert body == data and hashlib.sha256(body).hexdigest() == attachment.sha256
    assert login(cast.focal_point).get(first.download_url).status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        services.attachment_delete(acting_user=cast.hq, attachment=first, reason="Duplicate")
    assert set(objects(bucket)) == {second.storage_name}
    assert login(cast.italy).get(first.download_url).status_code == 404
    assert Attachment.objects.get(pk=first.pk).sha256 == first.sha256  # the row stays


def test_a_refused_upload_leaves_nothing_in_the_bucket(cast, uk_case, login, bucket, settings):
    from glo_act.submit_once import new_token

    settings.EVIDENCE_MAX_BYTES = 1024 * 1024
    response = login(cast.uk).post(
        reverse("evidence:upload", args=["case", uk_case.reference]),
        {
            "form_token": new_token(),
            "kind": "other",
            "files": [
                upload("fine.pdf", pdf_bytes()),
                upload("big.pdf", b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024)),
            ],
        },
    )
    assert response.status_code == 422
    assert "big.pdf is 2.0 MB; files may be at most 1.0 MB" in response.content.decode()
    assert objects(bucket) == {} and not Attachment.objects.exists()
