"""A real clamd for the tests: started on a Unix socket of its own with the project's test
signatures (evidence/clamav/glo_act_test.ndb, holding EICAR's), stopped when the session ends.

freshclam cannot reach ClamAV's mirror from these machines, so no public database is loaded;
what is tested is that the project talks INSTREAM to a real daemon and acts on its verdict.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIGNATURES = ROOT / "evidence" / "clamav" / "glo_act_test.ndb"
CLAMD = shutil.which("clamd") or "/usr/sbin/clamd"


def start_clamd(directory: Path, timeout: float = 60.0):
    """Start clamd in `directory`; (its address for CLAMD_ADDRESS, the process)."""
    if not Path(CLAMD).exists():
        raise RuntimeError("clamd is not installed: apt-get install clamav-daemon (see .ci/run)")
    database = directory / "db"
    database.mkdir(parents=True, exist_ok=True)
    shutil.copy(SIGNATURES, database / SIGNATURES.name)
    sock = directory / "clamd.sock"
    config = directory / "clamd.conf"
    config.write_text(
        "\n".join(
            [
                "Foreground yes",
                f"LocalSocket {sock}",
                f"DatabaseDirectory {database}",
                f"LogFile {directory / 'clamd.log'}",
                f"PidFile {directory / 'clamd.pid'}",
                "StreamMaxLength 30M",
                "MaxThreads 4",
                "",
            ]
        )
    )
    process = subprocess.Popen(
        [CLAMD, "--config-file", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (
                (directory / "clamd.log").read_text() if (directory / "clamd.log").exists() else ""
            )
            raise RuntimeError(f"clamd exited with {process.returncode}:\n{log}")
        if _pong(sock):
            return f"unix://{sock}", process
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("clamd did not answer PING in time")


def _pong(path: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(2)
            conn.connect(str(path))
            conn.sendall(b"zPING\0")
            return conn.recv(16).startswith(b"PONG")
    except OSError:
        return False


def stop_clamd(process) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
