"""A real OpenID Connect provider for the sign-in tests, run as its own process.

django-oidc-provider (discovery, authorize, token, userinfo, JWKS, end-session; id tokens
signed with RS256) in a small Django site of its own, with its own SQLite database,
served over HTTP on loopback by wsgiref. Started by ``conftest.py``:

    python oidc_test_provider.py PORT DATA_DIR CLIENTS_JSON

The people who can sign in here are made from their usernames, which also choose how
the provider misbehaves for them, so that each test can ask for one fault:

* ``mfa.*``: the id token's ``amr`` is ["pwd", "mfa"] (otherwise ["pwd"]);
* ``unverified.*``: ``email_verified`` is false;
* ``expired.*``: the id token expired an hour ago;
* ``tampered.*``: the id token's signature is altered on the way out of the token endpoint;
* ``replay.*``: the token endpoint gives back the first id token it ever gave them.

Each signs in here with the password ``provider-password``.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import time
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

PASSWORD = "provider-password"
HERE = Path(__file__).resolve()

# --- Django settings (this module is the provider site's settings module) --------------
DEBUG = False
SECRET_KEY = "test-provider-only-" + "x" * 40
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "oidc_test_provider"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oidc_provider",
]
MIDDLEWARE = [
    "oidc_test_provider.FaultsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True,
              "OPTIONS": {"context_processors": ["django.template.context_processors.request"]}}]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3",
                         "NAME": os.environ.get("PROVIDER_DB", ":memory:")}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True
LOGIN_URL = "/login/"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed; test only
SITE_URL = os.environ.get("PROVIDER_URL", "http://127.0.0.1")
OIDC_IDTOKEN_INCLUDE_CLAIMS = True
OIDC_USERINFO = "oidc_test_provider.userinfo"
OIDC_IDTOKEN_PROCESSING_HOOK = "oidc_test_provider.id_token_hook"
OIDC_SKIP_CONSENT_EXPIRE = 0


def userinfo(claims: dict[str, Any], user: Any) -> dict[str, Any]:
    claims["email"] = user.email
    claims["email_verified"] = not user.username.startswith("unverified.")
    claims["given_name"] = user.first_name
    claims["family_name"] = user.last_name
    return claims


def id_token_hook(id_token: dict[str, Any], user: Any, **kwargs: Any) -> dict[str, Any]:
    id_token["amr"] = ["pwd", "mfa"] if user.username.startswith("mfa.") else ["pwd"]
    if user.username.startswith("expired."):
        id_token["iat"] = int(time.time()) - 7200
        id_token["exp"] = int(time.time()) - 3600
    return id_token


_FIRST_TOKENS: dict[str, str] = {}


def _claims(id_token: str) -> dict[str, Any]:
    body = id_token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))))


class FaultsMiddleware:
    """Changes the token endpoint's answer for the misbehaving people (see above)."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        response = self.get_response(request)
        if not request.path.startswith("/openid/token") or response.status_code != 200:
            return response
        data = json.loads(response.content)
        id_token = data.get("id_token") or ""
        email = str(_claims(id_token).get("email") or "")
        if email.startswith("tampered."):
            head, body, signature = id_token.split(".")
            raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
            raw[10] ^= 0xFF
            forged = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
            data["id_token"] = f"{head}.{body}.{forged}"
        elif email.startswith("replay."):
            data["id_token"] = _FIRST_TOKENS.setdefault(email, id_token)
        response.content = json.dumps(data).encode()
        response["Content-Length"] = str(len(response.content))
        return response


def login(request: Any) -> Any:
    from django.contrib.auth import authenticate
    from django.contrib.auth import login as django_login
    from django.http import HttpResponse, HttpResponseRedirect
    from django.middleware.csrf import get_token
    from django.utils.html import escape

    if request.method == "POST":
        user = authenticate(request, username=request.POST.get("username"),
                            password=request.POST.get("password"))
        if user is not None:
            django_login(request, user)
            return HttpResponseRedirect(request.POST.get("next") or "/")
    next_url = escape(request.GET.get("next") or request.POST.get("next") or "/")
    return HttpResponse(
        f"""<!doctype html><html lang="en"><head><title>Test provider sign-in</title></head>
<body><main><h1>Test provider</h1><form method="post" action="/login/">
<input type="hidden" name="csrfmiddlewaretoken" value="{get_token(request)}">
<input type="hidden" name="next" value="{next_url}">
<label for="u">Username</label><input id="u" name="username">
<label for="p">Password</label><input id="p" name="password" type="password">
<button type="submit">Sign in</button></form></main></body></html>"""
    )


def _urls() -> list[Any]:
    from django.urls import include, path

    return [path("login/", login), path("openid/", include("oidc_provider.urls",
                                                             namespace="oidc_provider"))]


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def _set_up(clients: list[dict[str, Any]]) -> None:
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from oidc_provider.models import Client, ResponseType

    call_command("migrate", verbosity=0)
    call_command("creatersakey", verbosity=0)
    for spec in clients:
        client = Client.objects.create(
            name=spec["client_id"], client_type="confidential", client_id=spec["client_id"],
            client_secret=spec["client_secret"], jwt_alg="RS256", require_consent=False,
            reuse_consent=True,
        )
        client.redirect_uris = spec["redirect_uris"]
        client.post_logout_redirect_uris = spec.get("post_logout_redirect_uris", [])
        client.scope = ["openid", "email", "profile"]
        client.save()
        client.response_types.add(ResponseType.objects.get(value="code"))
    for username, email in json.loads(os.environ.get("PROVIDER_PEOPLE", "{}")).items():
        User.objects.create_user(username, email=email, password=PASSWORD,
                                 first_name=username.split(".")[-1].title())


def main() -> None:
    port, data_dir, clients_json = int(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    os.environ["PROVIDER_DB"] = str(data_dir / "provider.sqlite3")
    os.environ["PROVIDER_URL"] = f"http://127.0.0.1:{port}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "oidc_test_provider"
    sys.path.insert(0, str(HERE.parent))
    import django

    django.setup()
    _set_up(json.loads(clients_json))
    from django.core.wsgi import get_wsgi_application

    server = make_server("127.0.0.1", port, get_wsgi_application(), server_class=_Server,
                         handler_class=_Quiet)
    print("ready", flush=True)
    server.serve_forever()


def launch(data_dir: Path, clients: list[dict[str, Any]], people: dict[str, str],
           ready_within: float = 60) -> tuple[Any, str]:
    """Start this provider in a second process on a free loopback port; returns the
    process and its address once it answers (the caller terminates the process)."""
    import socket
    import subprocess

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    env = {key: value for key, value in os.environ.items()
           if key not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL"}}
    env["PROVIDER_PEOPLE"] = json.dumps(people)
    log = (data_dir / "provider.log").open("w")
    process = subprocess.Popen(  # noqa: S603 - this script, fixed arguments
        [sys.executable, str(HERE), str(port), str(data_dir), json.dumps(clients)],
        stdout=subprocess.PIPE, stderr=log, env=env, text=True,
    )
    log.close()
    deadline = time.monotonic() + ready_within
    assert process.stdout is not None
    for line in process.stdout:
        if line.strip() == "ready" or time.monotonic() > deadline:
            break
    if process.poll() is not None:
        raise RuntimeError(f"the test provider stopped: {(data_dir / 'provider.log').read_text()}")
    return process, f"http://127.0.0.1:{port}"


def stop(process: Any) -> None:
    import subprocess

    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def __getattr__(name: str) -> Any:
    # The URLs are read once Django is set up (this module is its settings too).
    if name == "urlpatterns":
        return _urls()
    raise AttributeError(name)


if __name__ == "__main__":
    main()
