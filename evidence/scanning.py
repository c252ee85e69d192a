"""Malware scanning: clamd over its INSTREAM command, or the development scanner.

`settings.EVIDENCE_SCANNER` picks the scanner:

- `clamd` (production, tests and CI): ClamAV's daemon at `settings.CLAMD_ADDRESS`
  (`unix:///run/clamav/clamd.ctl` or `tcp://clamav:3310`). The file is streamed to it in chunks
  (`INSTREAM`); clamd answers `stream: OK` or `stream: <signature> FOUND`.
- `development` (the default while DEBUG is on, so `make run` needs no daemon): recognises the
  EICAR test file only, and every upload page says that files are not really scanned.

A clamd that cannot be reached raises `ScannerUnavailable`: the upload is kept as "being
checked" and the worker scans it again later (`evidence.tasks.scan_file`).
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlparse

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# The EICAR anti-virus test file, built from two halves so that no scanner flags this source.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
INSTREAM_CHUNK = 64 * 1024


class ScannerUnavailable(Exception):
    """The scanner could not be asked (clamd down, refused, or answered nonsense)."""


@dataclass(frozen=True)
class ScanResult:
    clean: bool
    signature: str = ""
    scanner: str = ""


class DevelopmentScanner:
    """Finds the EICAR test file and nothing else: for `make run` without clamd."""

    name = "development"
    is_real = False

    def scan(self, pieces: Iterable[bytes]) -> ScanResult:
        data = b"".join(pieces)
        if EICAR in data:
            return ScanResult(False, "Eicar-Test-Signature (development scanner)", self.name)
        return ScanResult(True, scanner=self.name)


class ClamdScanner:
    """ClamAV's daemon, asked with INSTREAM over a Unix or TCP socket."""

    name = "clamd"
    is_real = True

    def __init__(self, address: str, timeout: float = 30.0):
        self.address = address
        self.timeout = timeout
        parsed = urlparse(address)
        if parsed.scheme == "unix" and parsed.path:
            self.family, self.target = socket.AF_UNIX, parsed.path
        elif parsed.scheme == "tcp" and parsed.hostname and parsed.port:
            self.family, self.target = socket.AF_INET, (parsed.hostname, parsed.port)
        else:
            raise ImproperlyConfigured(
                f"CLAMD_ADDRESS {address!r} is neither unix:///path/to/socket nor tcp://host:port."
            )

    def _connect(self) -> socket.socket:
        try:
            sock = socket.socket(self.family, socket.SOCK_STREAM)
            sock.settimeout(self.timeout)
            sock.connect(self.target)
        except OSError as exc:
            raise ScannerUnavailable(f"clamd at {self.address} cannot be reached: {exc}") from exc
        return sock

    def ping(self) -> bool:
        try:
            with self._connect() as sock:
                sock.sendall(b"zPING\0")
                return self._reply(sock) == "PONG"
        except (ScannerUnavailable, OSError):
            return False

    def scan(self, pieces: Iterable[bytes]) -> ScanResult:
        try:
            with self._connect() as sock:
                sock.sendall(b"zINSTREAM\0")
                for piece in pieces:
                    for start in range(0, len(piece), INSTREAM_CHUNK):
                        chunk = piece[start : start + INSTREAM_CHUNK]
                        sock.sendall(struct.pack(">I", len(chunk)) + chunk)
                sock.sendall(struct.pack(">I", 0))
                reply = self._reply(sock)
        except OSError as exc:
            raise ScannerUnavailable(f"clamd at {self.address} failed: {exc}") from exc
        if reply.endswith(" FOUND"):
            signature = reply.removeprefix("stream:").removesuffix(" FOUND").strip()
            return ScanResult(False, signature, self.name)
        if reply.endswith("OK"):
            return ScanResult(True, scanner=self.name)
        # "INSTREAM size limit exceeded", "... ERROR": not an answer about the file.
        raise ScannerUnavailable(f"clamd at {self.address} answered {reply!r}")

    @staticmethod
    def _reply(sock: socket.socket) -> str:
        data = bytearray()
        while not data.endswith(b"\0"):
            piece = sock.recv(4096)
            if not piece:
                break
            data += piece
        return data.rstrip(b"\0").decode("utf-8", "replace").strip()


def get_scanner():
    """The configured scanner (see the module's docstring)."""
    kind = settings.EVIDENCE_SCANNER
    if kind == "clamd":
        if not settings.CLAMD_ADDRESS:
            raise ImproperlyConfigured("EVIDENCE_SCANNER is clamd but CLAMD_ADDRESS is not set.")
        return ClamdScanner(settings.CLAMD_ADDRESS)
    if kind == "development":
        return DevelopmentScanner()
    raise ImproperlyConfigured(f"EVIDENCE_SCANNER must be clamd or development, not {kind!r}.")
