"""The ``tracelead`` command through Typer's CliRunner."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tracelead.cli import app
from tracelead.core.models import ApiToken
from tracelead.demo import DEMO_SYSTEM, DEMO_USERNAME
from tracelead.diagnostics.models import Response
from tracelead.organisations.models import System

runner = CliRunner()


@pytest.fixture
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_help_lists_the_commands():
    result = runner.invoke(app, ["--help"])

    assert result.exit_code == 0
    for command in ("demo", "serve", "manage", "token", "bench"):
        assert command in result.output


def test_demo_help_documents_the_no_serve_option():
    result = runner.invoke(app, ["demo", "--help"])

    assert result.exit_code == 0
    assert "--no-serve" in result.output
    assert "--reset" in result.output


def test_demo_without_serving_loads_the_demo_into_the_database(db, fast_passwords):
    result = runner.invoke(app, ["demo", "--no-serve"])

    assert result.exit_code == 0, result.output
    assert "Loaded the demo" in result.output
    assert f"as {DEMO_USERNAME} with password" in result.output
    system = System.objects.get(name=DEMO_SYSTEM)
    assert Response.objects.filter(assessment__group__system=system).count() >= 150


def test_demo_a_second_time_reuses_the_data(db, fast_passwords):
    runner.invoke(app, ["demo", "--no-serve"])
    before = Response.objects.count()

    result = runner.invoke(app, ["demo", "--no-serve"])

    assert result.exit_code == 0, result.output
    assert "Reusing the demo" in result.output
    assert Response.objects.count() == before


def test_token_create_prints_a_token_that_authenticates(client, facilitator, assessment):
    result = runner.invoke(app, ["token", "create", facilitator.username, "--name", "laptop"])

    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert ApiToken.objects.get(user=facilitator).name == "laptop"
    response = client.get("/api/v1/assessments", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()] == [assessment.pk]


def test_token_create_for_an_unknown_user_exits_1_with_a_message(db):
    result = runner.invoke(app, ["token", "create", "nobody-here"])

    assert result.exit_code == 1
    assert "No user called 'nobody-here'." in result.output
    assert not ApiToken.objects.exists()


def test_serve_hands_over_to_gunicorn_preloading_the_application_once(monkeypatch):
    import tracelead.cli as cli

    taken: list[list[str]] = []

    def execve(path, argv, env):
        taken.append(argv)
        raise SystemExit(0)

    def no_setup():
        raise AssertionError("serve --no-migrate set up Django before the exec")

    monkeypatch.setattr(cli.os, "execve", execve)
    monkeypatch.setattr(cli, "_django", no_setup)
    result = runner.invoke(app, ["serve", "--no-migrate", "--port", "8123", "--workers", "3"])

    assert result.exit_code == 0, result.output
    (argv,) = taken
    assert argv[1:4] == ["-m", "gunicorn", "tracelead.wsgi:application"]
    assert "--preload" in argv
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:8123"
    assert argv[argv.index("--workers") + 1] == "3"
