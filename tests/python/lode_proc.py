"""Starting and stopping lode processes for the SDK suite: free ports, readiness, clean teardown.

Every process is started in its own session and stopped by pid (SIGTERM, then SIGKILL of its
process group), never by name.
"""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from aistore import Client
from aistore.sdk.retry_config import NETWORK_RETRY_EXCEPTIONS, RetryConfig
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_fixed
from urllib3.util.retry import Retry

REPO = Path(__file__).resolve().parents[2]


def lode_bin() -> str:
    """$LODE_BIN, else $CARGO_TARGET_DIR/release/lode, else <repo>/target/release/lode."""
    if os.environ.get("LODE_BIN"):
        return os.environ["LODE_BIN"]
    target_dir = os.environ.get("CARGO_TARGET_DIR") or str(REPO / "target")
    return str(Path(target_dir) / "release" / "lode")


def client(endpoint: str, network_attempts: int = 3) -> Client:
    """An SDK client that fails fast: no HTTP-status retries (a 5xx is a bug to see, not to wait
    out for 93 s) and a few quick network retries."""
    retry = RetryConfig(
        http_retry=Retry(total=0),
        network_retry=Retrying(
            wait=wait_fixed(0.2),
            stop=stop_after_attempt(network_attempts),
            retry=retry_if_exception_type(NETWORK_RETRY_EXCEPTIONS),
            reraise=True,
        ),
    )
    return Client(endpoint, timeout=(3, 30), retry_config=retry, max_pool_size=32)


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def free_port_block(count: int) -> int:
    """A port P such that P..P+count-1 are all free on 127.0.0.1 right now."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + count < 65535 and all(_bindable(base + i) for i in range(count)):
            return base
    raise RuntimeError(f"no block of {count} free ports on 127.0.0.1")


class Proc:
    """One started process, its log file, and a way to stop it for sure."""

    def __init__(self, args, log_path: Path):
        self.args = [str(a) for a in args]
        self.log_path = Path(log_path)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")
        self.popen = subprocess.Popen(
            self.args,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, n: int = 4000) -> str:
        try:
            return self.log_path.read_bytes()[-n:].decode(errors="replace")
        except OSError:
            return ""

    def kill9(self):
        """SIGKILL the process itself (a crash: its children, if any, are left to the group kill)."""
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self, grace: float = 10.0):
        """SIGTERM, wait up to `grace` seconds, then SIGKILL whatever is left of its process group."""
        if self.alive():
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.pid, signal.SIGKILL)  # the group this Proc created (start_new_session)
        except (ProcessLookupError, PermissionError):
            pass
        if self.popen.poll() is None:
            self.popen.wait(timeout=10)
        self._log.close()


def wait_ready(endpoint: str, targets: int, procs, timeout: float = 60.0):
    """Waits until the gateway is healthy and its smap lists `targets` targets; fails fast when
    one of `procs` exits."""
    probe = client(endpoint, network_attempts=1)
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        for p in procs:
            if not p.alive():
                raise RuntimeError(
                    f"{p.args} exited with {p.popen.returncode}:\n{p.log_tail()}"
                )
        try:
            smap = probe.cluster().get_info()
            if len(smap.tmap) >= targets and probe.cluster().is_ready():
                return smap
            last = f"{len(smap.tmap)} target(s) in the smap"
        except Exception as err:  # not up yet: connection refused, 503, ...
            last = repr(err)
        time.sleep(0.2)
    logs = "\n".join(f"--- {p.args}\n{p.log_tail()}" for p in procs)
    raise RuntimeError(f"cluster at {endpoint} not ready after {timeout}s ({last})\n{logs}")
