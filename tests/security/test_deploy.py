"""Production settings pass Django's deployment checks and send the security headers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.test import Client

ROOT = Path(__file__).resolve().parents[2]


def test_check_deploy_passes_with_production_settings(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "TRACELEAD_SECURE": "true",
        "TRACELEAD_SECRET_KEY": "k" * 20 + "-production-secret-of-enough-length-and-variety-9Zq",
        "TRACELEAD_ALLOWED_HOSTS": "tracelead.example.nhs.uk",
        "TRACELEAD_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "tracelead.settings",
    }
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests only
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, str(ROOT / "manage.py"), "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_pages_carry_a_strict_content_security_policy(db: Any) -> None:
    response = Client().get("/")
    policy = response["Content-Security-Policy"]
    assert "object-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "script-src 'self' 'nonce-" in policy
    assert "unsafe-inline" not in policy
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in response.content.decode()
    assert response["X-Frame-Options"] == "DENY"


def test_cookies_are_http_only_and_same_site(db: Any, django_user_model: Any) -> None:
    django_user_model.objects.create_user("cookie", password="a-long-password-9")
    response = Client().post(
        "/accounts/login/", {"username": "cookie", "password": "a-long-password-9"}
    )
    session = response.cookies["sessionid"]
    assert session["httponly"] and session["samesite"] == "Lax"


def test_secure_mode_sets_hsts_for_a_year_and_secure_cookies(tmp_path: Path) -> None:
    code = (
        "from tracelead import settings as s;"
        "print(s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)"
    )
    env = {**os.environ, "TRACELEAD_SECURE": "true", "TRACELEAD_DATA_DIR": str(tmp_path)}
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["31536000", "True", "True"]


def test_guessing_links_is_throttled_separately_from_sign_in(db: Any, settings: Any) -> None:
    # An hour: a fixed window that the test cannot straddle by chance (a minute could).
    settings.TRACELEAD_TOKEN_GUESS_RATE = "5/h"
    client = Client(REMOTE_ADDR="10.1.2.3")
    codes = [client.get(f"/r/{'x' * 30}{i:03d}/").status_code for i in range(7)]
    assert codes[:5] == [404] * 5 and codes[5:] == [429, 429]
    # Another address is not affected, and sign-in still answers.
    assert Client(REMOTE_ADDR="10.9.9.9").get(f"/r/{'y' * 33}/").status_code == 404
    assert client.get("/accounts/login/").status_code == 200
