"""Real servers for the email tests, and Django pointed at them.

``smtp_server`` is a real SMTP server (aiosmtpd) on 127.0.0.1 on a free port that keeps
every message it accepts, parsed with the ``email`` package. It can be told to refuse
recipients, permanently (550) or for now (451), to refuse our sender, to stop (the relay
is down) and to start again on the same port. ``smtp_email`` points Django's SMTP
backend at it.

``notify_api`` is a local HTTP server that answers as GOV.UK Notify's API v2 does
(https://docs.notifications.service.gov.uk/rest-api.html): ``POST /v2/notifications/email``
and ``GET /v2/notifications/<id>``, with Notify's JWT check, its status codes and its
error bodies (``{"status_code": ..., "errors": [{"error": ..., "message": ...}]}``).
``notify_email`` points tracelead's Notify backend, and so the official client, at it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from notifications_python_client.authentication import decode_jwt_token, get_token_issuer
from notifications_python_client.errors import TokenError

PERMANENT_REFUSAL = "550 5.1.1 Recipient address rejected: no such user"
TEMPORARY_REFUSAL = "451 4.3.0 Recipient address temporarily unavailable, try again later"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Received:
    """One message as the relay took it: the envelope and the parsed message."""

    sender: str
    recipients: tuple[str, ...]
    message: EmailMessage

    @property
    def body(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""


class RecordingHandler:
    """aiosmtpd handler: refuses the addresses it is told to, keeps everything else."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[Received] = []
        self.refusals: dict[str, str] = {}
        self.sender_refusal = ""
        # Called (in the server's thread) with the address at each RCPT, before the reply.
        self.on_recipient: Callable[[str], None] | None = None

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: Any
    ) -> str:
        with self.lock:
            refusal = self.sender_refusal
        if refusal:
            return refusal
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if self.on_recipient is not None:
            self.on_recipient(address)
        with self.lock:
            refusal = self.refusals.get(address.casefold())
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        message = BytesParser(policy=policy.default).parsebytes(envelope.original_content)
        with self.lock:
            self.received.append(
                Received(envelope.mail_from, tuple(envelope.rcpt_tos), message)  # type: ignore[arg-type]
            )
        return "250 2.0.0 Message accepted for delivery"


class SMTPServer:
    """A relay on 127.0.0.1:``port``, in a thread of the test process."""

    def __init__(self, port: int | None = None) -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.handler = RecordingHandler()
        self._controller: Controller | None = None

    def start(self) -> None:
        if self._controller is None:
            # A new controller each time: a stopped one's event loop is closed.
            self._controller = Controller(self.handler, hostname=self.host, port=self.port)
            self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def refuse(self, address: str, *, permanent: bool) -> None:
        with self.handler.lock:
            self.handler.refusals[address.casefold()] = (
                PERMANENT_REFUSAL if permanent else TEMPORARY_REFUSAL
            )

    def refuse_sender(self, reply: str) -> None:
        """Answer every MAIL FROM with ``reply`` ("" accepts again)."""
        with self.handler.lock:
            self.handler.sender_refusal = reply

    def accept(self, address: str) -> None:
        with self.handler.lock:
            self.handler.refusals.pop(address.casefold(), None)

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def received_by(self, address: str) -> list[Received]:
        wanted = address.casefold()
        return [r for r in self.received if wanted in (a.casefold() for a in r.recipients)]

    def wait_for(self, count: int, *, timeout: float = 30) -> list[Received]:
        """Wait until at least ``count`` messages have arrived; all of them."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if len(self.received) >= count:
                return self.received
            time.sleep(0.01)
        raise AssertionError(f"{len(self.received)} messages arrived, not {count}")


@pytest.fixture
def smtp_server() -> Iterator[SMTPServer]:
    server = SMTPServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_email(settings: Any, smtp_server: SMTPServer) -> SMTPServer:
    """Django's SMTP backend pointed at ``smtp_server`` (pytest-django forces locmem)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_server.host
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    return smtp_server


# --- GOV.UK Notify ---------------------------------------------------------------------------

# Notify's documented error answers (docs.notifications.service.gov.uk, "Error codes").
NOTIFY_ERRORS = {
    400: ("ValidationError", "email_address Not a valid email address"),
    403: ("AuthError", "Invalid token: API key not found"),
    429: (
        "RateLimitError",
        "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds",
    ),
    500: ("Exception", "Internal server error"),
}
NOTIFICATION_PATH = re.compile(r"^/v2/notifications/([^/?]+)$")


@dataclass
class Notification:
    id: str
    email_address: str
    template_id: str
    personalisation: dict[str, Any]
    reference: str | None
    created_at: str
    status: str = "sending"


@dataclass
class FakeNotify:
    """The state of the local Notify: its key, template, and what it was asked."""

    service_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    secret: str = field(default_factory=lambda: str(uuid.uuid4()))
    template_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    notifications: dict[str, Notification] = field(default_factory=dict)
    # (method, path, status) of every request, in order.
    requests: list[tuple[str, str, int]] = field(default_factory=list)
    # Answers to give the next POSTs for an address (a status code each), then 201.
    queued: dict[str, list[int]] = field(default_factory=dict)

    @property
    def api_key(self) -> str:
        # Notify's format: a key name, the service id and the secret, joined by "-".
        return f"tracelead_test-{self.service_id}-{self.secret}"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def answer(self, address: str, *statuses: int) -> None:
        with self.lock:
            self.queued.setdefault(address.casefold(), []).extend(statuses)

    def set_status(self, notification_id: str, status: str) -> None:
        with self.lock:
            self.notifications[notification_id].status = status

    def sent_to(self, address: str) -> list[Notification]:
        with self.lock:
            return [n for n in self.notifications.values()
                    if n.email_address.casefold() == address.casefold()]

    def posts(self) -> list[int]:
        with self.lock:
            return [status for method, _, status in self.requests if method == "POST"]


def _notify_handler(notify: FakeNotify) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def reply(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            with notify.lock:
                notify.requests.append((self.command, self.path, status))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def error(self, status: int, kind: str | None = None, message: str | None = None) -> None:
            default_kind, default_message = NOTIFY_ERRORS.get(status, ("BadRequestError", ""))
            self.reply(status, {"status_code": status, "errors": [
                {"error": kind or default_kind, "message": message or default_message}]})

        def authorised(self) -> bool:
            header = self.headers.get("Authorization", "")
            token = header.removeprefix("Bearer ").strip()
            try:
                if not token or get_token_issuer(token) != notify.service_id:
                    raise TokenError("Invalid token: API key not found")
                decode_jwt_token(token, notify.secret)
            except TokenError as error:
                self.error(403, "AuthError", error.message)
                return False
            return True

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if not self.authorised():
                return
            if self.path != "/v2/notifications/email":
                self.error(404, "NotFound", "The requested URL was not found on the server.")
                return
            address = str(body.get("email_address", ""))
            if body.get("template_id") != notify.template_id:
                self.error(400, "BadRequestError", "Template not found")
                return
            personalisation = body.get("personalisation") or {}
            missing = sorted({"subject", "body"} - set(personalisation))
            if missing:
                self.error(400, "BadRequestError", f"Missing personalisation: {', '.join(missing)}")
                return
            with notify.lock:
                waiting = notify.queued.get(address.casefold()) or []
                status = waiting.pop(0) if waiting else 201
            if status != 201:
                self.error(status)
                return
            notification = Notification(
                id=str(uuid.uuid4()),
                email_address=address,
                template_id=notify.template_id,
                personalisation=personalisation,
                reference=body.get("reference"),
                created_at=dt.datetime.now(dt.UTC).isoformat(timespec="microseconds") + "Z",
            )
            with notify.lock:
                notify.notifications[notification.id] = notification
            self.reply(201, {
                "id": notification.id,
                "reference": notification.reference,
                "content": {
                    "subject": personalisation["subject"],
                    "body": personalisation["body"],
                    "from_email": "tracelead@notifications.service.gov.uk",
                    "one_click_unsubscribe_url": None,
                },
                "uri": f"{notify.base_url}/v2/notifications/{notification.id}",
                "template": {
                    "id": notify.template_id,
                    "version": 1,
                    "uri": f"{notify.base_url}/v2/template/{notify.template_id}/version/1",
                },
                "scheduled_for": None,
            })

        def do_GET(self) -> None:
            if not self.authorised():
                return
            found = NOTIFICATION_PATH.match(self.path)
            if not found:
                self.error(404, "NotFound", "The requested URL was not found on the server.")
                return
            with notify.lock:
                notification = notify.notifications.get(found.group(1))
            if notification is None:
                self.error(404, "NoResultFound", "No result found")
                return
            self.reply(200, {
                "id": notification.id,
                "reference": notification.reference,
                "email_address": notification.email_address,
                "phone_number": None,
                "type": "email",
                "status": notification.status,
                "template": {"id": notification.template_id, "version": 1,
                             "uri": f"{notify.base_url}/v2/template/{notification.template_id}"},
                "body": notification.personalisation["body"],
                "subject": notification.personalisation["subject"],
                "created_at": notification.created_at,
                "created_by_name": None,
                "sent_at": notification.created_at,
                "completed_at": None,
                "one_click_unsubscribe_url": None,
            })

    return Handler


@pytest.fixture
def notify_api() -> Iterator[FakeNotify]:
    notify = FakeNotify()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _notify_handler(notify))
    notify.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield notify
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def notify_email(settings: Any, notify_api: FakeNotify, monkeypatch: Any) -> FakeNotify:
    """tracelead's GOV.UK Notify backend (the official client) pointed at ``notify_api``."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    settings.EMAIL_BACKEND = "tracelead.messaging.backends.NotifyEmailBackend"
    settings.TRACELEAD_NOTIFY_API_KEY = notify_api.api_key
    settings.TRACELEAD_NOTIFY_TEMPLATE_ID = notify_api.template_id
    settings.TRACELEAD_NOTIFY_BASE_URL = notify_api.base_url
    settings.EMAIL_TIMEOUT = 5
    return notify_api
