"""Uploads held in memory, never in a temporary file, and bounded by the size limit.

Django spools an upload larger than 2.5 MB to a temporary file on disk: a victim's identity
document would then lie in plaintext under /tmp. This handler (settings.FILE_UPLOAD_HANDLERS)
keeps every uploaded file in memory until the service has encrypted it; past
`settings.EVIDENCE_MAX_BYTES` it stops keeping the bytes but goes on counting them, so the
refusal can say how large the file was while memory stays bounded.
"""

from __future__ import annotations

from io import BytesIO

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class OversizedUpload(InMemoryUploadedFile):
    """An upload past the limit: its size is known, its bytes were dropped."""

    too_large = True


class BoundedMemoryUploadHandler(FileUploadHandler):
    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.buffer = BytesIO()
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received <= settings.EVIDENCE_MAX_BYTES:
            self.buffer.write(raw_data)
        elif self.buffer.tell():
            self.buffer = BytesIO()  # drop what was kept: this file will be refused
        return None

    def file_complete(self, file_size):
        self.buffer.seek(0)
        cls = OversizedUpload if self.received > settings.EVIDENCE_MAX_BYTES else None
        cls = cls or InMemoryUploadedFile
        return cls(
            file=self.buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )
