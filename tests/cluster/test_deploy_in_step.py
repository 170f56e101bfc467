"""deploy/compose.yaml and deploy/Dockerfile mirror scripts/cluster (issue 20).

This machine cannot build or run container images, so the compose file is held to the
script that is run and tested here (tests/cluster/test_cluster_script.py):
``scripts/cluster describe`` prints the settings every process shares, every process's
command and the HAProxy configuration, from the same functions ``start`` uses. The
compose file must have the same processes, the same tracelead commands (up to the address
each listens on), the same settings (up to addresses, paths and where secrets come from)
and HAProxy the same configuration (up to the bind and server lines).

Each difference allowed is named below with its reason; anything else that differs fails.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"

pytestmark = pytest.mark.no_database

# Settings whose values name a place (an address, a folder) or a secret: they must be in
# both, but their values differ between loopback and a container network.
PLACES = {
    "DATABASE_URL", "TRACELEAD_SECRET_KEY", "TRACELEAD_REDIS_URL", "TRACELEAD_DATA_DIR",
    "TRACELEAD_MEDIA_ROOT", "TRACELEAD_SITE_URL", "TRACELEAD_HOME",
    "TRACELEAD_TRUSTED_PROXIES",  # the proxy's address: loopback, or the compose network
}
# Settings only compose has: Prometheus reaches each server over the container network,
# not loopback (which /metrics answers without a token), so it needs the token.
COMPOSE_ONLY = {"TRACELEAD_METRICS_TOKEN"}
# Settings of the script's own (its ports, for status and restart), not the application's.
SCRIPT_ONLY = {"CLUSTER_PROXY_PORT", "CLUSTER_SERVER_PORTS"}
# Redis options that say where it listens and logs, which a container sets otherwise
# (protected mode refuses every address but loopback when there is no password, and the
# container network is not loopback).
REDIS_PLACES = {"--bind", "--port", "--dir", "--daemonize", "--logfile", "--protected-mode"}


def describe(tmp_path: Path) -> tuple[dict[str, str], dict[str, list[str]], list[str]]:
    out = subprocess.run(  # noqa: S603 - fixed argument list
        ["/bin/bash", str(ROOT / "scripts" / "cluster"), "describe", str(tmp_path)],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout
    settings_part, rest = out.split("# processes\n")
    processes_part, haproxy_part = rest.split("# haproxy.cfg\n")
    settings = {}
    for line in settings_part.splitlines():
        match = re.fullmatch(r"export (\w+)=(.*)", line)
        if match:
            settings[match[1]] = match[2].strip('"')
    processes = {}
    for line in processes_part.splitlines():
        name, _, command = line.partition(":")
        processes[name] = shlex.split(command)
    return settings, processes, haproxy_part.splitlines()


def normalise(command: list[str]) -> list[str]:
    """tracelead by name, and the address it listens on as a placeholder."""
    words = list(command)
    # `env GUNICORN_CMD_ARGS=--control-socket ...`: on one machine each gunicorn needs its
    # own control socket; in a container each has its own home folder anyway. Nothing
    # else may be set this way.
    if words[:2] and words[0] == "env" and words[1].startswith("GUNICORN_CMD_ARGS="):
        words = words[2:]
    if words and words[0].endswith("/tracelead"):
        words[0] = "tracelead"
    for option in ("--host", "--port"):
        if option in words:
            words[words.index(option) + 1] = "ADDRESS"
    return words


def without(command: list[str], options: set[str]) -> list[str]:
    words, kept = list(command), []
    while words:
        word = words.pop(0)
        if word in options:
            words.pop(0)
        else:
            kept.append(word)
    return kept


def interpolated(value: object) -> str:
    """A compose value as compose reads it with no .env: ``${NAME:-default}`` is the
    default; ``${NAME:?message}`` (required, a secret) stays as it is."""
    return re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", str(value))


def haproxy_body(lines: list[str]) -> list[str]:
    """The configuration less comments, blank lines, the bind line and the server lines."""
    return [line for line in lines if line.strip() and not line.lstrip().startswith("#")
            and not line.startswith(("    bind ", "    server "))]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory):
    return describe(tmp_path_factory.mktemp("cluster"))


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_the_same_processes(cluster, compose):
    _settings, processes, _haproxy = cluster
    # PostgreSQL: scripts/cluster starts it with scripts/postgres, not as one of its
    # processes; in compose it is a service.
    assert set(compose["services"]) == set(processes) | {"postgres"}
    assert [name for name in processes if name.startswith("web")] == ["web1", "web2", "web3"]
    assert [name for name in processes if name.startswith("worker")] == ["worker1", "worker2"]


def test_the_same_tracelead_commands(cluster, compose):
    _settings, processes, _haproxy = cluster
    tracelead = {name: command for name, command in processes.items()
                 if normalise(command)[0] == "tracelead"}
    assert set(tracelead) == {"migrate", "web1", "web2", "web3", "worker1", "worker2",
                              "scheduler"}
    for name, command in tracelead.items():
        assert normalise(compose["services"][name]["command"]) == normalise(command), name


def test_the_same_settings(cluster, compose):
    settings, _processes, _haproxy = cluster
    application = {key: value for key, value in settings.items() if key not in SCRIPT_ONLY}
    for name, service in compose["services"].items():
        if normalise(service.get("command", ["postgres"]))[0] != "tracelead":
            continue
        environment = {key: interpolated(value) for key, value in service["environment"].items()}
        assert set(environment) == set(application) | COMPOSE_ONLY, name
        for key, value in application.items():
            if key not in PLACES:
                assert environment[key] == value, (name, key)
        # The places differ, but are built alike: uploads inside the data folder, the
        # same Redis database and PostgreSQL database name.
        for both in (application, environment):
            assert both["TRACELEAD_MEDIA_ROOT"] == both["TRACELEAD_DATA_DIR"] + "/media"
            assert both["TRACELEAD_REDIS_URL"].endswith("/0")
            assert both["DATABASE_URL"].endswith("/tracelead")


def test_the_same_redis(cluster, compose):
    _settings, processes, _haproxy = cluster
    assert (without(compose["services"]["redis"]["command"], REDIS_PLACES)
            == without(processes["redis"], REDIS_PLACES)
            == ["redis-server", "--save", "", "--appendonly", "no"])


def test_the_same_haproxy(cluster, compose):
    _settings, processes, generated = cluster
    template = (DEPLOY / "haproxy.cfg").read_text().splitlines()
    # The template's resolvers section (container DNS) is the one part left out.
    resolvers = template.index("resolvers docker")
    assert haproxy_body(generated) == haproxy_body(template[:resolvers])
    assert all(line.startswith("    ") or not line.strip()
               for line in template[resolvers + 1:])
    servers = [line for line in template if line.startswith("    server ")]
    assert all(line.endswith("resolvers docker init-addr libc,none") for line in servers)
    assert len(haproxy_body(template)) > 20  # the whole configuration, not an empty file
    webs = sorted(name for name in compose["services"] if name.startswith("web"))
    assert [line.split()[1] for line in template if line.startswith("    server ")] == webs
    assert [line.split()[2] for line in template if line.startswith("    server ")] == [
        f"{name}:8000" for name in webs]
    assert [line.split()[1] for line in generated if line.startswith("    server ")] == webs
    # Both run HAProxy in the foreground on that file.
    service = compose["services"]["haproxy"]
    assert service["command"][:3] == processes["haproxy"][:3] == ["haproxy", "-db", "-f"]
    mounted = {volume.split(":")[1]: volume.split(":")[0] for volume in service["volumes"]}
    assert mounted[service["command"][3]] == "./haproxy.cfg"
    bind = next(line for line in template if line.startswith("    bind "))
    assert service["ports"] == [f"{bind.split(':')[-1]}:{bind.split(':')[-1]}"]


def test_the_web_servers_are_checked_as_the_proxy_checks_them(compose):
    for name in ("web1", "web2", "web3"):
        test = " ".join(compose["services"][name]["healthcheck"]["test"])
        assert "http://127.0.0.1:8000/healthz" in test, name
    assert "option httpchk GET /readyz" in (DEPLOY / "haproxy.cfg").read_text()


def test_the_image_runs_what_the_web_servers_run(compose):
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE)
    assert cmd is not None
    assert yaml.safe_load(cmd[1]) == compose["services"]["web1"]["command"]
    # Python as the project requires, Debian 12 as the machines, the run-time packages
    # from the same script, the front-end assets from the same lock file.
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    version = re.search(r"^FROM python:(\d+\.\d+)-slim-bookworm$", dockerfile, re.MULTILINE)
    assert version is not None and requires.startswith(f">={version[1]}")
    assert "scripts/system-packages --runtime" in dockerfile
    assert "npm ci" in dockerfile and "package-lock.json" in dockerfile
    settings = compose["services"]["web1"]["environment"]
    assert f"TRACELEAD_HOME={settings['TRACELEAD_HOME']}" in dockerfile
    assert f"TRACELEAD_DATA_DIR={settings['TRACELEAD_DATA_DIR']}" in dockerfile


def test_a_changed_script_fails_the_comparison(cluster, compose):
    """The comparison can fail: a fourth worker, or another gunicorn worker count, is seen."""
    _settings, processes, _haproxy = cluster
    changed = dict(processes)
    changed["web2"] = [*processes["web2"][:-6], "--workers", "3", *processes["web2"][-4:]]
    assert normalise(changed["web2"]) != normalise(compose["services"]["web2"]["command"])
    assert set(compose["services"]) != set(processes) | {"postgres", "worker3"}


def test_compose_trusts_its_own_network_and_keeps_metrics_from_the_proxy(compose):
    settings = compose["services"]["web1"]["environment"]
    subnet = compose["networks"]["default"]["ipam"]["config"][0]["subnet"]
    assert settings["TRACELEAD_TRUSTED_PROXIES"] == subnet
    assert "http-request deny if { path_beg /metrics }" in (DEPLOY / "haproxy.cfg").read_text()
    for name, service in compose["services"].items():
        if normalise(service.get("command", ["postgres"]))[0] == "tracelead":
            assert service.get("init") is True, name  # SIGTERM reaches gunicorn


def test_the_build_context_leaves_out_local_state_and_secrets():
    """The image is built from the repository: the machine's virtual environment,
    node_modules, the data folder (a secret key, the SQLite database) and deploy/.env
    must not be sent to the builder."""
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    assert {".venv", "node_modules", "var", "deploy/.env", ".git"} <= ignored
