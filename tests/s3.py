"""A real local S3 endpoint for the tests: moto's server mode (`python -m moto.server`, from the
dev dependency `moto[server]`), started in its own process on a free port and stopped at the
end. It answers the S3 HTTP API as an object store would; what is tested is our storage
configuration (glo_act/settings.py, EVIDENCE_STORAGE=s3) and django-storages over real HTTP.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_s3(timeout: float = 60.0):
    """Start the server; (its endpoint URL, the process)."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto.server exited: {process.stderr.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1):
                return endpoint, process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("moto.server did not answer in time")


def stop_s3(process) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
