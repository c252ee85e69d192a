"""Where the encrypted bytes live: Django's `storages["evidence"]` (settings.STORAGES).

The file system under var/evidence by default; S3-compatible object storage in production
(django-storages' S3 backend, `EVIDENCE_STORAGE=s3`, README "Configuration"). Only ciphertext
is ever written, under random names that say nothing about the record or the file.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterable, Iterator

from django.core.files import File
from django.core.files.storage import storages

READ_CHUNK = 256 * 1024


def evidence_storage():
    return storages["evidence"]


def new_name() -> str:
    token = uuid.uuid4().hex
    return f"{token[:2]}/{token}.bin"


class _IterStream(io.RawIOBase):
    """A readable stream over an iterator of bytes (what the storages' `_save` reads)."""

    def __init__(self, pieces: Iterable[bytes]):
        self._pieces = iter(pieces)
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        while not self._buffer:
            try:
                self._buffer = next(self._pieces)
            except StopIteration:
                return 0
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size


def write(name: str, pieces: Iterable[bytes], size: int) -> str:
    """Store the stream `pieces` (of `size` bytes) under `name`; the name actually used."""
    content = File(io.BufferedReader(_IterStream(pieces), buffer_size=READ_CHUNK), name=name)
    content.size = size
    return evidence_storage().save(name, content)


def read(name: str) -> Iterator[bytes]:
    """The stored bytes of `name`, in chunks; the file is closed when the stream ends."""
    handle = evidence_storage().open(name, "rb")
    try:
        while True:
            piece = handle.read(READ_CHUNK)
            if not piece:
                break
            yield piece
    finally:
        handle.close()


def delete(name: str) -> None:
    evidence_storage().delete(name)


def exists(name: str) -> bool:
    return evidence_storage().exists(name)
