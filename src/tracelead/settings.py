"""Django settings for tracelead, configured from environment variables.

Every setting a deployment may change is read here with a typed helper and listed in
docs/operations.md. SQLite (in WAL mode) is the default so that one command starts a
working demo; ``DATABASE_URL`` selects PostgreSQL for production.
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

PACKAGE_DIR = Path(__file__).resolve().parent
# The repository root when running from a clone; node_modules and the local database live here.
# Every environment variable the settings read, in the order read: the registry that the
# operations guide is checked against (tests/test_docs.py).
_READ: list[str] = []


def _env(name: str) -> str | None:
    _READ.append(name)
    return os.environ.get(name)


PROJECT_DIR = Path(_env("TRACELEAD_HOME") or PACKAGE_DIR.parent.parent).resolve()


def env_str(name: str, default: str) -> str:
    value = _env(name)
    return default if value is None else value


TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


def env_bool(name: str, default: bool) -> bool:
    """true/false (or 1/0, yes/no, on/off); a typo names the variable and stops, rather
    than silently turning a protection off."""
    value = _env(name)
    if value is None or value.strip() == "":
        return default
    word = value.strip().lower()
    if word not in TRUE_WORDS | FALSE_WORDS:
        raise ImproperlyConfigured(f"{name} must be true or false; got {value!r}")
    return word in TRUE_WORDS


def env_int(name: str, default: int) -> int:
    value = _env(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {value!r}") from None


def env_float(name: str, default: float) -> float:
    """A finite number, zero or more; anything else names the variable and stops."""
    value = _env(name)
    if value in (None, ""):
        return default
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number < 0:
        raise ImproperlyConfigured(f"{name} must be a number, zero or more; got {value!r}")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = _env(name)
    if not value:
        return default
    return [part.strip() for part in value.split(",") if part.strip()]


def env_choice(name: str, default: str, allowed: tuple[str, ...]) -> str:
    """One of ``allowed``; anything else names the variable and the allowed values, and stops."""
    value = _env(name)
    if value is None or value.strip() == "":
        return default
    if value.strip().lower() not in allowed:
        raise ImproperlyConfigured(
            f"{name} must be one of {', '.join(allowed)}; got {value!r}"
        )
    return value.strip().lower()


DEBUG = env_bool("TRACELEAD_DEBUG", False)
DATA_DIR = Path(env_str("TRACELEAD_DATA_DIR", str(PROJECT_DIR / "var"))).resolve()
# Uploaded files (evidence attached to an evaluation's impact measures): in the data folder,
# never served by URL; each download goes through a view that checks who is asking.
MEDIA_ROOT = Path(env_str("TRACELEAD_MEDIA_ROOT", str(DATA_DIR / "media"))).resolve()

# Where files are kept: this machine's file system (one server), or S3-compatible object
# storage through django-storages (several servers, which must all see the same files).
# "default" holds uploads (evidence, logos); "private" holds what the service makes and
# keeps for a while (report files of background jobs, uploads waiting for a second step).
STORAGE = env_choice("TRACELEAD_STORAGE", "filesystem", ("filesystem", "s3"))
if STORAGE == "s3":
    _s3: dict[str, object] = {
        "bucket_name": env_str("TRACELEAD_S3_BUCKET", ""),
        "endpoint_url": env_str("TRACELEAD_S3_ENDPOINT_URL", "") or None,
        "region_name": env_str("TRACELEAD_S3_REGION", "") or None,
        "access_key": env_str("TRACELEAD_S3_ACCESS_KEY_ID", "") or None,
        "secret_key": env_str("TRACELEAD_S3_SECRET_ACCESS_KEY", "") or None,
        # Nothing public: files are read through the views that check who is asking.
        "default_acl": "private", "querystring_auth": True, "file_overwrite": True,
    }
    if not _s3["bucket_name"]:
        raise ImproperlyConfigured("TRACELEAD_STORAGE=s3 needs TRACELEAD_S3_BUCKET")
    _FILE_STORAGES: dict[str, dict[str, object]] = {
        "default": {"BACKEND": "storages.backends.s3.S3Storage",
                    "OPTIONS": {**_s3, "location": "media"}},
        "private": {"BACKEND": "storages.backends.s3.S3Storage",
                    "OPTIONS": {**_s3, "location": "private"}},
    }
else:
    _FILE_STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": str(MEDIA_ROOT)}},
        "private": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": str(DATA_DIR), "file_permissions_mode": 0o600,
                                "directory_permissions_mode": 0o700}},
    }
STORAGES = {**_FILE_STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


def _secret_key() -> str:
    """TRACELEAD_SECRET_KEY, or a random key kept in the data folder (made on first run).

    Keeping it in a file means every worker process and every restart signs sessions and
    cookies with the same key, without anyone having to invent one for a local demo.
    """
    key = env_str("TRACELEAD_SECRET_KEY", "")
    if key:
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        # Readable by its owner only: it holds the key and the SQLite database. A folder
        # that exists is left as it is; the files are 0600 (tracelead.core.storage).
        DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
# Earlier keys, newest first, still accepted for signatures made with them (sessions,
# password-reset links, signed cookies) while new ones use SECRET_KEY: a key can be
# replaced on every server without signing everyone out. Remove them after a while.
SECRET_KEY_FALLBACKS = env_list("TRACELEAD_SECRET_KEY_FALLBACKS", [])
ALLOWED_HOSTS = env_list("TRACELEAD_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("TRACELEAD_CSRF_TRUSTED_ORIGINS", [])

NODE_MODULES = Path(env_str("TRACELEAD_NODE_MODULES", str(PROJECT_DIR / "node_modules"))).resolve()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "tracelead.core",
    "tracelead.accounts",
    "tracelead.organisations",
    "tracelead.diagnostics",
    "tracelead.publishing",
    "tracelead.reports",
    "tracelead.messaging",
    "tracelead.academy",
    "tracelead.polls",
    "tracelead.network",
    "tracelead.evaluation",
    "tracelead.words",
    "tracelead.actions",
    "tracelead.strategy",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    # First: health checks and metrics before host checks and HTTPS redirects; a request id
    # for every log line (core/operations.py).
    "tracelead.core.operations.OperationsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # WhiteNoise, its file table kept per process (core/middleware.py).
    "tracelead.core.middleware.StaticFilesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "tracelead.accounts.middleware.SessionLimitsMiddleware",
    "tracelead.accounts.middleware.NoStoreForSignedInMiddleware",
    "tracelead.accounts.middleware.RequireVerifiedMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Before any view, after CSP so that its page has the same headers as every other.
    "tracelead.core.middleware.LongAddressMiddleware",
    # Last, as django-axes asks: it turns its lock-out signal into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's password check, unless the site turns local passwords off (docs/sso.md).
    "tracelead.accounts.backends.LocalPasswordBackend",
    # OpenID Connect providers (Entra ID, NHS CIS2): only the /sso/ callback uses it.
    "tracelead.accounts.sso.ProviderBackend",
]

ROOT_URLCONF = "tracelead.urls"
WSGI_APPLICATION = "tracelead.wsgi.application"

TEMPLATES = [
    {
        # Our pages: Jinja2, so that the NHS design system's own macros can be used.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "tracelead.core.jinja.environment",
            "context_processors": ["tracelead.core.context.page"],
        },
    },
    {
        # Django's admin keeps its own templates.
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DEFAULT_SQLITE = f"sqlite:///{DATA_DIR / 'tracelead.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", DEFAULT_SQLITE), conn_max_age=env_int("TRACELEAD_CONN_MAX_AGE", 0)
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and one writer work together; synchronous=FULL makes every
    # committed transaction durable through a power cut. IMMEDIATE transactions take the
    # write lock up front, so concurrent writers queue instead of failing mid-transaction.
    # secure_delete overwrites deleted rows with zeros, so that a submitted draft or an
    # erased label cannot be read back from the file (tracelead.core.storage).
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
            " PRAGMA busy_timeout=20000; PRAGMA secure_delete=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # The test database is a file too, not Django's shared-cache in-memory default: there
    # concurrent writers fail at once with "database table is locked" (the busy timeout
    # does not apply to shared-cache locks, and WAL is unavailable), so the concurrency
    # tests would not meet the locking that production has. One file per test process.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"tracelead-test-{os.getpid()}.sqlite3")
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
LOGIN_URL = "login"

# Who may create a system (a tenant): only administrators, or anyone who can sign in (who
# then becomes its facilitator). See docs/operations.md.
TRACELEAD_SYSTEM_CREATORS = env_choice(
    "TRACELEAD_SYSTEM_CREATORS", "administrators", ("administrators", "anyone-signed-in")
)

# The protective marking printed at the head and foot of every page of the PDF reports
# (tracelead.reports.exports). See docs/operations.md.
TRACELEAD_CLASSIFICATION = env_str("TRACELEAD_CLASSIFICATION", "OFFICIAL-SENSITIVE").strip() or (
    "OFFICIAL-SENSITIVE")

# Sign-in protection (tracelead.accounts.cooloff). Failures are counted per account name
# (as Django compares it, case-folded), whether or not the account exists, so a wait says
# nothing about which usernames are real, and per client address with a higher limit.
TRACELEAD_SIGN_IN_RATE = env_str("TRACELEAD_SIGN_IN_RATE", "10/m")
TRACELEAD_LOCKOUT_FAILURES = env_int("TRACELEAD_LOCKOUT_FAILURES", 10)
TRACELEAD_ADDRESS_LOCKOUT_FAILURES = env_int("TRACELEAD_ADDRESS_LOCKOUT_FAILURES", 100)
TRACELEAD_LOCKOUT_MINUTES = env_float("TRACELEAD_LOCKOUT_MINUTES", 1.0)
TRACELEAD_LOCKOUT_MAX_MINUTES = env_float("TRACELEAD_LOCKOUT_MAX_MINUTES", 60.0)
# django-axes keeps the record of sign-ins and failures for administrators; the waits are
# tracelead's own (above), since axes has one limit for all parameters and no growing wait.
AXES_LOCK_OUT_AT_FAILURE = False
AXES_COOLOFF_TIME = None
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_USERNAME_CALLABLE = "tracelead.accounts.views.axes_username"
AXES_CLIENT_IP_CALLABLE = "tracelead.core.throttles.client_address"
# Proxies (addresses or networks) whose X-Forwarded-For is believed; none by default, since
# anyone can send that header. Every throttle counts per client address (core/throttles.py).
TRACELEAD_TRUSTED_PROXIES = env_list("TRACELEAD_TRUSTED_PROXIES", [])
RATELIMIT_IP_META_KEY = "tracelead.core.throttles.client_address"
# Links that do not exist, tried from one address; resume codes tried per personal link;
# email codes asked for per address on a verifying open link (django-ratelimit rates).
TRACELEAD_TOKEN_GUESS_RATE = env_str("TRACELEAD_TOKEN_GUESS_RATE", "30/m")
TRACELEAD_RESUME_RATE = env_str("TRACELEAD_RESUME_RATE", "5/15m")
TRACELEAD_EMAIL_CODE_RATE = env_str("TRACELEAD_EMAIL_CODE_RATE", "3/15m")
# Sign-ups and "lost your link" requests on an academy's public pages, per client address:
# each may send an email, so a script cannot mail anyone at will.
TRACELEAD_SIGN_UP_RATE = env_str("TRACELEAD_SIGN_UP_RATE", "30/10m")
# Phones joining live polls, per client address: a room shares one Wi-Fi address, so the
# limit is generous; it stops a script from filling a poll with phones.
TRACELEAD_POLL_JOIN_RATE = env_str("TRACELEAD_POLL_JOIN_RATE", "1000/10m")
RATELIMIT_VIEW = "tracelead.core.views.too_many_requests"

TRACELEAD_SESSION_IDLE_SECONDS = env_int("TRACELEAD_SESSION_IDLE_MINUTES", 30) * 60
TRACELEAD_SESSION_MAX_SECONDS = env_int("TRACELEAD_SESSION_MAX_HOURS", 12) * 3600
SESSION_COOKIE_AGE = TRACELEAD_SESSION_MAX_SECONDS
OTP_TOTP_ISSUER = "tracelead"
# On: every account must set up one-time codes before any other page, and API tokens are
# made only after signing in with a code (tracelead.accounts).
TRACELEAD_REQUIRE_OTP = env_bool("TRACELEAD_REQUIRE_OTP", False)
# Days an API token works unless its maker chooses fewer or more (at most 365).
TRACELEAD_API_TOKEN_DAYS = env_int("TRACELEAD_API_TOKEN_DAYS", 90)
if not 1 <= TRACELEAD_API_TOKEN_DAYS <= 365:
    raise ImproperlyConfigured(
        f"TRACELEAD_API_TOKEN_DAYS must be from 1 to 365; got {TRACELEAD_API_TOKEN_DAYS}"
    )

# A shared cache, so that rate limits are shared by every worker and server: the database
# by default (no new server), or Redis when TRACELEAD_REDIS_URL names one
# (Django's own backend, through the redis package).
TRACELEAD_REDIS_URL = env_str("TRACELEAD_REDIS_URL", "")
if TRACELEAD_REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": TRACELEAD_REDIS_URL,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "tracelead_cache",
        }
    }
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-gb"
# The respondent journey, the academy's sign-up and check-in and poll voting are offered in
# English and Welsh (docs/welsh.md); every other page stays in English. The choice is kept
# in Django's language cookie (set by its set_language view), never guessed from the browser.
LANGUAGES = [("en-gb", "English"), ("cy", "Cymraeg")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/assets/"
# Only needed for `collectstatic`; WhiteNoise serves straight from the finders otherwise.
STATIC_ROOT = env_str("TRACELEAD_STATIC_ROOT", "") or None
# The NHS design system comes from the npm registry (package.json); its CSS refers to
# images under /assets/images, so its assets folder is served at the root of STATIC_URL.
STATICFILES_DIRS = [
    ("nhsuk", NODE_MODULES / "nhsuk-frontend" / "dist" / "nhsuk"),
    NODE_MODULES / "nhsuk-frontend" / "dist" / "nhsuk" / "assets",
    # Vega, Vega-Lite and vega-embed draw the report charts in the page (package.json);
    # vega-interpreter and vega-util give vega its CSP-safe expression evaluator.
    ("vega", NODE_MODULES / "vega" / "build"),
    ("vega-lite", NODE_MODULES / "vega-lite" / "build"),
    ("vega-embed", NODE_MODULES / "vega-embed" / "build"),
    ("vega-interpreter", NODE_MODULES / "vega-interpreter" / "build"),
    ("vega-util", NODE_MODULES / "vega-util" / "build"),
    ("cytoscape", NODE_MODULES / "cytoscape" / "dist"),
]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SECURE = env_bool("TRACELEAD_SECURE", False)
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = SECURE
SECURE_HSTS_SECONDS = 31_536_000 if SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
LANGUAGE_COOKIE_SECURE = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE else None
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# One JSON object a line with the request's id (json), or plain lines (text).
LOG_FORMAT = env_choice("TRACELEAD_LOG_FORMAT", "json", ("json", "text"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "tracelead.core.operations.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "pythonjsonlogger.json.JsonFormatter",
                 "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                 "rename_fields": {"asctime": "time", "levelname": "level",
                                   "name": "logger"}},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT,
                             "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": env_str("TRACELEAD_LOG_LEVEL", "WARNING")},
    # Django logs every 4xx with its path; for /r/ that path is a respondent's link.
    "loggers": {"django.request": {"level": "ERROR"}},
}

# Prometheus metrics at /metrics answer the bearer of this token (or loopback, if unset).
TRACELEAD_METRICS_TOKEN = env_str("TRACELEAD_METRICS_TOKEN", "")

NINJA_PAGINATION_PER_PAGE = 100
CSRF_FAILURE_VIEW = "tracelead.core.views.csrf_failure"

# django-axes suggests locking per address too; its lock is off (AXES_LOCK_OUT_AT_FAILURE):
# tracelead's cool-off counts per address with its own, higher limit.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# Identifiable data (invitation labels, audit events, sign-in records) is deleted this
# many days after a round closes by `tracelead retention` (run it daily, e.g. from cron).
TRACELEAD_RETENTION_DAYS = env_int("TRACELEAD_RETENTION_DAYS", 365)

# The disclosure gate's protection level: before publishing, the range of values a hidden
# group's condition mean could still take, given everything published in its cycle, must
# span at least this many scale points (tracelead.publishing.gate; docs/operations.md).
TRACELEAD_PROTECTION = env_float("TRACELEAD_PROTECTION", 1.0)

# The address the site is reached at, for links in emails (personal links, unsubscribe).
TRACELEAD_SITE_URL = env_str("TRACELEAD_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
TRACELEAD_EMAIL_DOMAIN = urlsplit(TRACELEAD_SITE_URL).hostname or "localhost"

# Email (tracelead.messaging): "file" writes each message to TRACELEAD_DATA_DIR/mail (the
# demo); "smtp" sends through any relay (NHSmail's included); "notify" through GOV.UK
# Notify's official client. Messages wait in an outbox and a worker sends them.
TRACELEAD_EMAIL = env_choice("TRACELEAD_EMAIL", "file", ("file", "smtp", "notify"))
EMAIL_BACKEND = {
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "notify": "tracelead.messaging.backends.NotifyEmailBackend",
}[TRACELEAD_EMAIL]
EMAIL_FILE_PATH = DATA_DIR / "mail"
DEFAULT_FROM_EMAIL = env_str(
    "TRACELEAD_EMAIL_FROM", f"tracelead <no-reply@{TRACELEAD_EMAIL_DOMAIN}>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_HOST = env_str("TRACELEAD_SMTP_HOST", "localhost")
EMAIL_PORT = env_int("TRACELEAD_SMTP_PORT", 25)
EMAIL_HOST_USER = env_str("TRACELEAD_SMTP_USER", "")
EMAIL_HOST_PASSWORD = env_str("TRACELEAD_SMTP_PASSWORD", "")
EMAIL_USE_TLS = env_bool("TRACELEAD_SMTP_STARTTLS", False)
EMAIL_USE_SSL = env_bool("TRACELEAD_SMTP_SSL", False)
EMAIL_TIMEOUT = env_int("TRACELEAD_SMTP_TIMEOUT", 10)
TRACELEAD_NOTIFY_API_KEY = env_str("TRACELEAD_NOTIFY_API_KEY", "")
TRACELEAD_NOTIFY_TEMPLATE_ID = env_str("TRACELEAD_NOTIFY_TEMPLATE_ID", "")
TRACELEAD_NOTIFY_BASE_URL = env_str(
    "TRACELEAD_NOTIFY_BASE_URL", "https://api.notifications.service.gov.uk"
)
if TRACELEAD_EMAIL == "notify" and not (TRACELEAD_NOTIFY_API_KEY and TRACELEAD_NOTIFY_TEMPLATE_ID):
    raise ImproperlyConfigured(
        "TRACELEAD_EMAIL=notify needs TRACELEAD_NOTIFY_API_KEY and TRACELEAD_NOTIFY_TEMPLATE_ID"
    )

# Background jobs through Django's Tasks API (django-tasks); the database backend needs no
# new server (`tracelead worker` runs the queue). docs/operations.md shows the RQ backend.
TASKS = {
    "default": {
        "BACKEND": env_str("TRACELEAD_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# Last: every variable read above, for the documentation check.
TRACELEAD_ENVIRONMENT_VARIABLES = tuple(dict.fromkeys(_READ))
