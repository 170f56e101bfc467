"""scripts/cluster itself (issue 20): it starts a region on loopback, HAProxy spreads the
requests over the three servers, a server SIGKILLed is not seen by clients, the killed
parts come back with ``restart``, and ``stop`` leaves nothing running.

It starts its own PostgreSQL (scripts/postgres) and needs Debian's haproxy and
redis-server (scripts/system-packages installs them for the test suite), so it is marked
``no_database``: it runs once, in the SQLite pass. About a minute, most of it ``migrate``
on PostgreSQL and the servers' start.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

requests = pytest.importorskip("requests")

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "cluster"

pytestmark = [
    pytest.mark.no_database,
    pytest.mark.skipif(
        not (shutil.which("haproxy") and shutil.which("redis-server")
             and list(Path("/usr/lib/postgresql").glob("*/bin/initdb"))),
        reason="needs haproxy, redis-server and PostgreSQL (scripts/system-packages)"),
]


def cluster(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - fixed argument list
        ["/bin/bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout,
        check=False, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def settings(folder: Path) -> dict[str, str]:
    found = {}
    for line in (folder / "env").read_text().splitlines():
        match = re.fullmatch(r"export (\w+)=(.*)", line)
        if match:
            found[match[1]] = match[2].strip('"')
    return found


def listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def requests_served(port: int) -> float:
    """Requests this server has answered, from its own /metrics (loopback may read it)."""
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("tracelead_http_requests_total{"))


def wait_ready(port: int, within: float = 120) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=10).status_code == 200:
                return
        except requests.RequestException:  # refused, or bound but still loading (timeout)
            pass
        time.sleep(0.3)
    raise AssertionError(f"the server on port {port} did not become ready")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def folder() -> Iterator[Path]:
    """A folder PostgreSQL's user can reach: as root, scripts/postgres runs it as postgres,
    and pytest's own temporary folders are private to their owner."""
    made = Path(tempfile.mkdtemp(prefix="tracelead-cluster-test-"))
    made.chmod(0o755)
    yield made / "region"
    shutil.rmtree(made, ignore_errors=True)


def test_cluster_start_serve_kill_restart_stop(folder: Path) -> None:
    started = cluster("start", str(folder))
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        found = settings(folder)
        proxy = int(found["CLUSTER_PROXY_PORT"])
        servers = [int(port) for port in found["CLUSTER_SERVER_PORTS"].split()]
        assert len(servers) == 3
        base = f"http://127.0.0.1:{proxy}"
        pids = {path.name: int(path.read_text()) for path in (folder / "pids").iterdir()
                if not path.name.startswith(".")}
        assert set(pids) == {"redis", "web1", "web2", "web3", "worker1", "worker2",
                             "scheduler", "haproxy"}

        # HAProxy's configuration is deploy/haproxy.cfg with loopback ports.
        generated = (folder / "haproxy.cfg").read_text()
        assert f"    bind 127.0.0.1:{proxy}\n" in generated
        for number, port in enumerate(servers, start=1):
            assert f"    server web{number} 127.0.0.1:{port} check\n" in generated
        assert "retry-on conn-failure" in generated

        # Through the proxy: a page, with a request id; round robin reaches every server.
        before = [requests_served(port) for port in servers]
        for _ in range(9):
            page = requests.get(f"{base}/accounts/login/", timeout=30)
            assert page.status_code == 200
            assert re.fullmatch(r"[0-9a-f-]{36}", page.headers["X-Request-ID"])
        after = [requests_served(port) for port in servers]
        assert all(later >= earlier + 2 for earlier, later in zip(before, after, strict=True)), (
            before, after)

        status = cluster("status", str(folder))
        assert status.returncode == 0
        assert status.stdout.count(": running (PID") == 9, status.stdout  # and PostgreSQL
        assert "postgres: running" in status.stdout
        assert status.stdout.count("/readyz: 200") == 4, status.stdout

        # web2 dies as in a crash (SIGKILL): clients see no failure, and none of its
        # gunicorn processes is left.
        killed = cluster("kill", "web2", str(folder))
        assert killed.returncode == 0, killed.stderr
        assert not alive(pids["web2"]) and not listening(servers[1])
        answers = [requests.get(f"{base}/accounts/login/", timeout=30).status_code
                   for _ in range(30)]
        assert answers == [200] * 30
        assert "web2: NOT running" not in cluster("status", str(folder)).stdout  # pid removed
        restarted = cluster("restart", "web2", str(folder))
        assert restarted.returncode == 0, restarted.stderr
        wait_ready(servers[1])
        assert cluster("restart", "web2", str(folder)).returncode == 1  # already running

        killed = cluster("kill", "worker1", str(folder))
        assert killed.returncode == 0 and not alive(pids["worker1"])
        assert cluster("restart", "worker1", str(folder)).returncode == 0
        assert cluster("restart", "redis", str(folder)).returncode == 1  # not one of those
        pids = {path.name: int(path.read_text()) for path in (folder / "pids").iterdir()
                if not path.name.startswith(".")}
    finally:
        stopped = cluster("stop", str(folder))
    assert stopped.returncode == 0, stopped.stderr
    assert not [name for name, pid in pids.items() if alive(pid)]
    assert not [port for port in [proxy, *servers] if listening(port)]
    assert not (folder / "postgres" / "data" / "postmaster.pid").exists()
    assert not list((folder / "pids").iterdir())
