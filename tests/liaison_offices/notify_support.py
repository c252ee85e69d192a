"""Helpers shared by the notification tests: a UK case shared with the British High Commission,
and a real HTTP endpoint on 127.0.0.1 standing in for a partner's webhook receiver."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import itertools
import threading
import time
from dataclasses import dataclass, field

from cases.constants import CaseKind, HandlingCode, ShareLevel
from cases.grants import sync_case_grants
from cases.models import Case, CaseShare

# A victim's and a suspect's personal data, written into the case: it must never come out
# through a notification, an email or a webhook body.
VICTIM_NAME = "Ayesha Fictiwala"
PASSPORT = "AB1234567"
SUSPECT_NAME = "Tariq Mehmood"
PERSONAL = (VICTIM_NAME, PASSPORT, SUSPECT_NAME, "Ayesha", "Fictiwala", "Tariq")

_sequence = itertools.count(1)


def make_case(cast, *, office: str = "GBR", share_with_bhc: bool = True) -> Case:
    """A case led by `office` whose title and summary hold personal data; shared with BHC."""
    case = Case.objects.create(
        reference=f"{office}-TIP-2026-{next(_sequence):05d}",  # unique within this process
        kind=CaseKind.TIP,
        lead_office=cast.offices[office],
        title=f"{VICTIM_NAME} recruited by {SUSPECT_NAME}",
        summary=f"Passport {PASSPORT} withheld by the employer.",
    )
    if share_with_bhc:
        CaseShare.objects.create(
            case=case,
            partner=cast.partners["BHC"],
            level=ShareLevel.FULL,
            handling_code=HandlingCode.H1,
        )
    sync_case_grants(case)  # as the case services do with every case and share
    return case


def expected_signature(secret: str, timestamp: str, body: bytes) -> str:
    """The receiver's side of the contract, written independently of the sender's code."""
    digest = hmac.new(secret.encode(), f"{timestamp}.{body.decode()}".encode(), hashlib.sha256)
    return "sha256=" + digest.hexdigest()


@dataclass
class Received:
    headers: dict  # names lower-cased (HTTP header names are case-insensitive)
    body: bytes
    at: float = field(default_factory=time.monotonic)


@dataclass
class WebhookReceiver:
    """A tiny real HTTP server: records each POST and answers with the next scripted status.

    `statuses` is consumed one per request (the last one repeats). `hold` makes the handler
    wait (the sender is stuck in its request) until `release` is set or `hold_seconds` pass.
    """

    statuses: list[int] = field(default_factory=lambda: [200])
    hold_seconds: float = 0.0
    received: list[Received] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 -- http.server's naming
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                receiver.received.append(
                    Received({k.lower(): v for k, v in self.headers.items()}, body)
                )
                receiver.arrived.set()
                if receiver.hold_seconds:
                    receiver.release.wait(receiver.hold_seconds)
                index = min(len(receiver.received), len(receiver.statuses)) - 1
                status = receiver.statuses[index]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hooks/glo-act"

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
