"""Files encrypted at rest: AES-256-GCM in chunks, under a key of their own.

Each file gets a fresh random key. The key is stored beside the file's row *wrapped* by the
project's key ring (`settings.FIELD_ENCRYPTION_KEYS`, the same keys that seal victims' personal
fields, `victims.crypto`): a Fernet token of the key under the newest key of the ring. Rotating
the ring re-wraps the small keys (`rewrap_key`), never the files.

The stored object is a header (`MAGIC`, an 8-byte nonce prefix) and then the plaintext's
chunks of `CHUNK` bytes, each sealed with AES-GCM (16-byte tag) under nonce = prefix ‖ chunk
number. The chunk number and a "last chunk" flag are authenticated with each chunk, so a
reordered, dropped or truncated object fails to decrypt instead of yielding part of a file.
Encryption and decryption both stream: memory stays at a couple of chunks whatever the size.
"""

from __future__ import annotations

import base64
import os
import struct
from collections.abc import Iterable, Iterator

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from victims.crypto import PersonalDataUnreadable, decrypt, encrypt, reseal

MAGIC = b"GLOF1"
PREFIX_BYTES = 8
CHUNK = 64 * 1024
TAG = 16
HEADER = len(MAGIC) + PREFIX_BYTES


class FileUnreadable(Exception):
    """A stored file that does not decrypt: wrong key, or bytes changed since they were stored."""


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def wrap_key(key: bytes) -> str:
    """The file key as stored in the database: sealed under the newest key of the ring."""
    return encrypt(base64.b64encode(key).decode("ascii"))


def unwrap_key(wrapped: str) -> bytes:
    try:
        return base64.b64decode(decrypt(wrapped, field="file key"))
    except PersonalDataUnreadable:
        raise FileUnreadable(
            "The file's key cannot be unwrapped: the key that sealed it is not among "
            "FIELD_ENCRYPTION_KEYS."
        ) from None


def rewrap_key(wrapped: str) -> str:
    """The wrapped key re-sealed under the newest key of the ring (unchanged if it already is)."""
    return reseal(wrapped)


def _aad(index: int, last: bool) -> bytes:
    return MAGIC + struct.pack(">I?", index, last)


def _nonce(prefix: bytes, index: int) -> bytes:
    return prefix + struct.pack(">I", index)


def _rechunk(pieces: Iterable[bytes], size: int) -> Iterator[bytes]:
    """Pieces of any length as blocks of exactly `size` bytes (the last may be shorter, and
    there is always at least one block, empty for an empty input)."""
    buffer = bytearray()
    sent = False
    for piece in pieces:
        buffer += piece
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
            sent = True
    if buffer or not sent:
        yield bytes(buffer)


def _with_last(blocks: Iterator[bytes]) -> Iterator[tuple[bytes, bool]]:
    previous = next(blocks)
    for block in blocks:
        yield previous, False
        previous = block
    yield previous, True


def encrypt_stream(key: bytes, pieces: Iterable[bytes]) -> Iterator[bytes]:
    """The stored object for the plaintext `pieces`, as a stream of bytes."""
    aead = AESGCM(key)
    prefix = os.urandom(PREFIX_BYTES)
    yield MAGIC + prefix
    for index, (block, last) in enumerate(_with_last(_rechunk(pieces, CHUNK))):
        yield aead.encrypt(_nonce(prefix, index), block, _aad(index, last))


def decrypt_stream(key: bytes, pieces: Iterable[bytes]) -> Iterator[bytes]:
    """The plaintext of a stored object read as `pieces`; FileUnreadable if it was altered."""
    aead = AESGCM(key)
    blocks = _rechunk(pieces, CHUNK + TAG)
    first = next(blocks)
    header, rest = first[:HEADER], first[HEADER:]
    if len(header) < HEADER or not header.startswith(MAGIC):
        raise FileUnreadable("Not an encrypted evidence file.")
    prefix = header[len(MAGIC) :]

    def sealed_blocks() -> Iterator[bytes]:
        # The header shifted the blocks; cut them again at sealed-chunk boundaries.
        yield from _rechunk(_chain(rest, blocks), CHUNK + TAG)

    index = -1
    for index, (block, last) in enumerate(_with_last(sealed_blocks())):
        try:
            yield aead.decrypt(_nonce(prefix, index), block, _aad(index, last))
        except InvalidTag:
            raise FileUnreadable("The stored file was altered or its key is wrong.") from None
    if index < 0:
        raise FileUnreadable("The stored file is empty.")


def _chain(first: bytes, rest: Iterable[bytes]) -> Iterator[bytes]:
    if first:
        yield first
    yield from rest


def stored_size(plain_size: int) -> int:
    """The size of the stored object for a plaintext of `plain_size` bytes."""
    chunks = max(1, -(-plain_size // CHUNK))
    return HEADER + plain_size + chunks * TAG
