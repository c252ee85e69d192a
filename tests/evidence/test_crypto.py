"""Files at rest: chunked AES-GCM under a key of their own, wrapped by the key ring."""

from __future__ import annotations

import os

import pytest
from cryptography.fernet import Fernet

from evidence import crypto


@pytest.mark.parametrize(
    "size", [0, 1, crypto.CHUNK - 1, crypto.CHUNK, crypto.CHUNK + 1, 3 * crypto.CHUNK + 17]
)
def test_a_file_comes_back_byte_for_byte_whatever_its_size_and_however_it_is_read(size):
    key, data = crypto.new_key(), os.urandom(size)
    sealed = b"".join(crypto.encrypt_stream(key, [data[i : i + 999] for i in range(0, size, 999)]))
    assert len(sealed) == crypto.stored_size(size)
    pieces = [sealed[i : i + 4321] for i in range(0, len(sealed), 4321)]
    assert b"".join(crypto.decrypt_stream(key, pieces)) == data


def test_the_stored_bytes_hold_no_plaintext():
    data = b"Passport of Zarmina Testwala, AB1234567. " * 4000
    sealed = b"".join(crypto.encrypt_stream(crypto.new_key(), [data]))
    assert b"Zarmina" not in sealed and b"AB1234567" not in sealed


def _sealed(size=3 * crypto.CHUNK):
    key = crypto.new_key()
    return key, b"".join(crypto.encrypt_stream(key, [os.urandom(size)]))


def test_a_truncated_file_fails_instead_of_yielding_part_of_it():
    key, sealed = _sealed()
    cut = sealed[: crypto.HEADER + 2 * (crypto.CHUNK + crypto.TAG)]  # two whole chunks of three
    with pytest.raises(crypto.FileUnreadable):
        b"".join(crypto.decrypt_stream(key, [cut]))


def test_reordered_or_altered_chunks_fail():
    key, sealed = _sealed()
    body = sealed[crypto.HEADER :]
    size = crypto.CHUNK + crypto.TAG
    swapped = sealed[: crypto.HEADER] + body[size : 2 * size] + body[:size] + body[2 * size :]
    with pytest.raises(crypto.FileUnreadable):
        b"".join(crypto.decrypt_stream(key, [swapped]))
    flipped = bytearray(sealed)
    flipped[-5] ^= 1
    with pytest.raises(crypto.FileUnreadable):
        b"".join(crypto.decrypt_stream(key, [bytes(flipped)]))


def test_another_files_key_does_not_open_it():
    _, sealed = _sealed(10)
    with pytest.raises(crypto.FileUnreadable):
        b"".join(crypto.decrypt_stream(crypto.new_key(), [sealed]))


def test_the_file_key_is_wrapped_by_the_key_ring_and_survives_a_rotation(settings):
    key = crypto.new_key()
    wrapped = crypto.wrap_key(key)
    assert key not in wrapped.encode() and crypto.unwrap_key(wrapped) == key
    newest = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [newest, *settings.FIELD_ENCRYPTION_KEYS]
    assert crypto.unwrap_key(wrapped) == key  # the old key still opens it
    rewrapped = crypto.rewrap_key(wrapped)
    assert rewrapped != wrapped
    settings.FIELD_ENCRYPTION_KEYS = [newest]  # the old key retired
    assert crypto.unwrap_key(rewrapped) == key
    with pytest.raises(crypto.FileUnreadable):
        crypto.unwrap_key(wrapped)
