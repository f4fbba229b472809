"""clamd for the tests: a real daemon with a signature file of our own, and a protocol double.

There is no internet here, so freshclam cannot fetch ClamAV's signature database. A real clamd
still runs with any database it is given: `start_real_clamd` writes a one-line signature for
the EICAR test file (the industry's standard harmless "virus"), which exercises the real daemon
and the real protocol end to end.
"""

from __future__ import annotations

import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from applications.tests.attack_files import eicar


def short_socket_dir() -> Path:
    # A unix socket path must stay under ~107 bytes; pytest's tmp_path can be longer.
    return Path(tempfile.mkdtemp(prefix="clamd-", dir="/tmp"))


class FakeClamd:
    """A tiny clamd speaking INSTREAM on a unix socket: our double for the remote scanner.

    `reply` is what it answers after the stream; None closes the connection without a word.
    It records the command, the length of each chunk, and the bytes it received.
    """

    def __init__(self, path: Path, reply: bytes | None = b"stream: OK\0"):
        self.path = path
        self.reply = reply
        self.commands: list[bytes] = []
        self.chunk_sizes: list[int] = []
        self.received = b""
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(path))
        self._server.listen(4)
        self._server.settimeout(0.05)  # so the loop notices close() quickly
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _read_exactly(self, conn: socket.socket, size: int) -> bytes:
        data = b""
        while len(data) < size:
            part = conn.recv(size - len(data))
            if not part:
                raise ConnectionError("client hung up")
            data += part
        return data

    def _serve(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # closed
            conn.settimeout(5)
            with conn:
                try:
                    command = b""
                    while not command.endswith(b"\0"):
                        command += self._read_exactly(conn, 1)
                    self.commands.append(command)
                    while True:
                        (length,) = struct.unpack("!L", self._read_exactly(conn, 4))
                        if length == 0:
                            break
                        self.chunk_sizes.append(length)
                        self.received += self._read_exactly(conn, length)
                    if self.reply is not None:
                        conn.sendall(self.reply)
                except (ConnectionError, TimeoutError):
                    pass

    def close(self) -> None:
        self._closed.set()
        self._thread.join(timeout=5)
        self._server.close()


def clamd_binary() -> str | None:
    return shutil.which("clamd") or (
        "/usr/sbin/clamd" if Path("/usr/sbin/clamd").is_file() else None
    )


def _ping(path: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(2)
            conn.connect(str(path))
            conn.sendall(b"zPING\0")
            return conn.recv(16).startswith(b"PONG")
    except OSError:
        return False


def start_real_clamd(binary: str, directory: Path, *, timeout: float = 60) -> subprocess.Popen:
    """Start clamd in the foreground with only our EICAR signature; wait until it answers."""
    database = directory / "db"
    database.mkdir()
    # An .ndb body signature: any file type (0), at offset 0, the EICAR bytes in hex.
    (database / "eicar.ndb").write_text(f"Eicar-Test-Signature:0:0:{eicar().hex()}\n")
    config = directory / "clamd.conf"
    config.write_text(
        f"LocalSocket {directory / 'clamd.sock'}\n"
        f"DatabaseDirectory {database}\n"
        f"LogFile {directory / 'clamd.log'}\n"
        f"PidFile {directory / 'clamd.pid'}\n"
        f"TemporaryDirectory {directory}\n"
        "Foreground yes\n"
    )
    process = subprocess.Popen(
        [binary, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _ping(directory / "clamd.sock"):
            return process
        if process.poll() is not None:
            break
        time.sleep(0.2)
    process.terminate()
    process.wait(timeout=10)
    log = (directory / "clamd.log").read_text() if (directory / "clamd.log").exists() else ""
    raise RuntimeError(f"clamd did not start: {log[-500:]}")
