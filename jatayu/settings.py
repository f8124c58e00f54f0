"""Jatayu settings. Embedded defaults (SQLite, in-memory channel layer, offline AI) unless
the environment names real services; `.env.example` documents every variable."""

import sqlite3
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from jatayu.dev_key import DEV_SECRET_KEY
from jatayu.env import database_from_url, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=False)
SECRET_KEY = env_str("SECRET_KEY")
# The public development key: jatayu/asgi.py then serves loopback only (jatayu/dev_key.py).
USING_DEV_SECRET_KEY = not SECRET_KEY
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY in the environment, or DEBUG=1 for local development "
            "(see .env.example)."
        )
    SECRET_KEY = DEV_SECRET_KEY

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
# WebSocket Origin header check; defaults to ALLOWED_HOSTS.
ALLOWED_ORIGINS = env_list("ALLOWED_ORIGINS", ALLOWED_HOSTS)
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (deploy/nginx.conf does), so that links
# the app builds (the API's next/previous pages) say https. Only with a proxy that sets the header.
if env_bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Production is HTTPS only: plain HTTP is redirected (except the health check, which load balancers
# probe over HTTP), browsers are told to remember it, and the session and CSRF cookies never travel
# in clear. Off by default with DEBUG, and wherever the app is served over plain HTTP on purpose.
if env_bool("HTTPS_ONLY", default=not DEBUG):
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^api/health/$"]
    # An hour to begin with; raise it (a year: 31536000) once every subdomain is served over HTTPS.
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "assessments",
    "realtime",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "assessments.admin.time_zone.RecruiterTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "jatayu.urls"
ASGI_APPLICATION = "jatayu.asgi.application"
WSGI_APPLICATION = "jatayu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
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

DATABASE_URL = env_str("DATABASE_URL")
# Connections each process may hold open to PostgreSQL (a pool; requests and socket work borrow them).
JATAYU_DB_POOL_SIZE = env_int("JATAYU_DB_POOL_SIZE", 10)
# Threads each daphne process runs socket database work on (realtime.db); SQLite keeps one writer.
JATAYU_DB_THREADS = env_int("JATAYU_DB_THREADS", 4) if DATABASE_URL.startswith("postgres") else 1
if not 1 <= JATAYU_DB_THREADS < JATAYU_DB_POOL_SIZE:
    raise ImproperlyConfigured(
        "JATAYU_DB_THREADS must be at least 1 and below JATAYU_DB_POOL_SIZE (requests need some too)"
    )
# Bounds on each PostgreSQL statement, lock wait and connection attempt (0 turns one off, e.g. for a
# long migration): past them the call fails, and a socket's client gets `retryable_error`.
JATAYU_DB_STATEMENT_TIMEOUT_MS = env_int("JATAYU_DB_STATEMENT_TIMEOUT_MS", 10_000)
JATAYU_DB_LOCK_TIMEOUT_MS = env_int("JATAYU_DB_LOCK_TIMEOUT_MS", 5_000)
JATAYU_DB_CONNECT_TIMEOUT_SECONDS = env_int("JATAYU_DB_CONNECT_TIMEOUT_SECONDS", 5)
DATABASES = {
    "default": database_from_url(
        DATABASE_URL,
        pool_size=JATAYU_DB_POOL_SIZE,
        statement_timeout_ms=JATAYU_DB_STATEMENT_TIMEOUT_MS,
        lock_timeout_ms=JATAYU_DB_LOCK_TIMEOUT_MS,
        connect_timeout_seconds=JATAYU_DB_CONNECT_TIMEOUT_SECONDS,
    )
    if DATABASE_URL
    else {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3", "OPTIONS": {"timeout": 20}}
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
if str(DATABASES["default"]["ENGINE"]).endswith("sqlite3") and sqlite3.sqlite_version_info < (3, 35):
    # The session claim is one INSERT ... ON CONFLICT ... RETURNING (assessments.services.sessions).
    raise ImproperlyConfigured(f"Jatayu needs SQLite 3.35 or newer; this Python has {sqlite3.sqlite_version}.")

# Daphne closes idle websockets after --websocket_timeout (default 86400 s). Group membership must
# outlive any connection that is still open, so group_expiry matches that ceiling.
DAPHNE_WEBSOCKET_TIMEOUT = 86400
REDIS_URL = env_str("REDIS_URL")
# The cache counts sign-in attempts; in Redis every worker counts together.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "realtime.layers.QueueingRedisChannelLayer",
            "CONFIG": {
                # redis-py reads time out after 5 s by default, and channels_redis blocks on a read for
                # 5 s waiting for messages: a quiet consumer then crashes. Give reads more room.
                # At most 100 Redis connections a process; a burst waits up to 10 s for one.
                # Connecting gives up after 3 s, so a socket opened while Redis is down closes 1013 quickly.
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": 30,
                        "socket_connect_timeout": 3,
                        "max_connections": 100,
                        "timeout": 25,
                    }
                ],
                "group_expiry": DAPHNE_WEBSOCKET_TIMEOUT,
                "capacity": 1500,
            },
        }
    }
else:
    # The in-memory layer serves one process: with two workers, kick-outs and pushes between them are
    # lost without a word. Local development (DEBUG) gets it by default, production only on purpose.
    if not DEBUG and env_str("CHANNEL_LAYER") != "memory":
        raise ImproperlyConfigured(
            "REDIS_URL is not set. With DEBUG off, Jatayu needs Redis for its channel layer: the in-memory "
            "one serves a single process, so kick-outs and pushes between workers would be lost. Set "
            "REDIS_URL, or CHANNEL_LAYER=memory to serve from one process on purpose."
        )
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# WhiteNoise serves static files from daphne itself; from the apps' folders when nothing was collected.
WHITENOISE_USE_FINDERS = True

# Sign-in attempts per client address and per username, e.g. "10/min" (DRF rate syntax).
JATAYU_LOGIN_RATE = env_str("JATAYU_LOGIN_RATE") or "10/min"
# Every other API request: per signed-in user, and per client address when anonymous (a hall of
# candidates behind one NAT address refreshes its tokens from it). The health check is not limited.
JATAYU_API_RATE = env_str("JATAYU_API_RATE") or "600/min"
JATAYU_API_ANON_RATE = env_str("JATAYU_API_ANON_RATE") or "600/min"
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["assessments.api.authentication.VersionedJWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "assessments.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Sign-ins a client address, and a username, may try (assessments.api.throttles, the admin's
    # sign-in too), and the rest of the API; over a rate, 429 `throttled` with Retry-After.
    # REMOTE_ADDR is the client's: daphne's --proxy-headers sets it.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "login_address": JATAYU_LOGIN_RATE,
        "login_username": JATAYU_LOGIN_RATE,
        "anon": JATAYU_API_ANON_RATE,
        "user": JATAYU_API_RATE,
    },
    "NUM_PROXIES": 0,
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    # JSON lists come a page at a time: ?page=N&page_size=M (at most assessments.api.pagination.MAX_PAGE_SIZE).
    "DEFAULT_PAGINATION_CLASS": "assessments.api.pagination.PagePagination",
    "PAGE_SIZE": 50,
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 30)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=1),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    # Tokens carry the user's token version; logout and deactivation bump it (assessments.services.tokens).
    "TOKEN_OBTAIN_SERIALIZER": "assessments.api.authentication.VersionedTokenObtainPairSerializer",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Jatayu API",
    "DESCRIPTION": "Real-time assessment platform for recruiting.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # /api/docs/ loads ReDoc from drf-spectacular-sidecar (static files), not from a CDN.
    "REDOC_DIST": "SIDECAR",
    # System fonts: ReDoc's default (Roboto, Montserrat) would come from Google Fonts.
    "REDOC_UI_SETTINGS": {
        "theme": {
            "typography": {
                "fontFamily": "system-ui, -apple-system, 'Segoe UI', sans-serif",
                "headings": {"fontFamily": "system-ui, -apple-system, 'Segoe UI', sans-serif"},
            }
        }
    },
    # Several models have a `status` field with its own choices; name each enum after its model.
    "ENUM_NAME_OVERRIDES": {
        "TestStatusEnum": "assessments.models.Test.Status",
        "AssessmentStatusEnum": "assessments.models.Assessment.Status",
        "ApplicationStatusEnum": "assessments.models.CandidateApplication.Status",
    },
}

# Realtime
WS_RATE_LIMIT = env_int("WS_RATE_LIMIT", 20)  # messages per second per connection
# New WebSocket connections a minute, per user and per client address, across all workers (0: no limit).
WS_CONNECTS_PER_USER = env_int("JATAYU_WS_CONNECTS_PER_USER", 30)
WS_CONNECTS_PER_ADDRESS = env_int("JATAYU_WS_CONNECTS_PER_ADDRESS", 600)
WS_MAX_MESSAGE_BYTES = 64 * 1024
WS_AUTH_TIMEOUT_SECONDS = env_int("WS_AUTH_TIMEOUT_SECONDS", 10)

# AI
OPENAI_API_KEY = env_str("OPENAI_API_KEY")
OPENAI_BASE_URL = env_str("OPENAI_BASE_URL")
JATAYU_AI_PROVIDER = env_str("JATAYU_AI_PROVIDER") or ("openai" if OPENAI_API_KEY else "offline")
if JATAYU_AI_PROVIDER not in {"offline", "openai"}:
    raise ImproperlyConfigured(f"JATAYU_AI_PROVIDER must be offline or openai, not {JATAYU_AI_PROVIDER!r}")
JATAYU_AI_QUESTION_MODEL = env_str("JATAYU_AI_QUESTION_MODEL", "gpt-4o-mini")
JATAYU_AI_TUTOR_MODEL = env_str("JATAYU_AI_TUTOR_MODEL", "gpt-4o-mini")
# The model that judges each tutor reply about a question on screen, never seeing the key.
JATAYU_AI_JUDGE_MODEL = env_str("JATAYU_AI_JUDGE_MODEL") or JATAYU_AI_TUTOR_MODEL
JATAYU_AI_TIMEOUT_SECONDS = float(env_int("JATAYU_AI_TIMEOUT_SECONDS", 20))
JATAYU_AI_MAX_RETRIES = env_int("JATAYU_AI_MAX_RETRIES", 1)
JATAYU_AI_GENERATION_ATTEMPTS = env_int("JATAYU_AI_GENERATION_ATTEMPTS", 3)
# The gate's judgement (an independent solver and a key-blind review): on whenever a model is configured.
JATAYU_AI_VERIFY = env_bool("JATAYU_AI_VERIFY", default=JATAYU_AI_PROVIDER == "openai")
# How replies are held to a JSON shape (assessments/ai/structured.py): auto tries each in turn.
JATAYU_AI_STRUCTURED_OUTPUT = env_str("JATAYU_AI_STRUCTURED_OUTPUT", "auto")
if JATAYU_AI_STRUCTURED_OUTPUT not in {"auto", "json_schema", "json_object", "tools", "prompt"}:
    raise ImproperlyConfigured(
        "JATAYU_AI_STRUCTURED_OUTPUT must be auto, json_schema, json_object, tools or prompt, "
        f"not {JATAYU_AI_STRUCTURED_OUTPUT!r}"
    )
JATAYU_CHAT_LIMIT = env_int("JATAYU_CHAT_LIMIT", 20)  # chat messages per attempt
# Seconds past the deadline in which the answer the page submits at time-up is still recorded.
JATAYU_TIME_UP_GRACE_SECONDS = float(env_int("JATAYU_TIME_UP_GRACE_SECONDS", 5))
# A worker marks its connections' sessions seen every TOUCH seconds; one not seen for STALE seconds
# (its worker died without releasing it) no longer counts as connected.
JATAYU_SESSION_TOUCH_SECONDS = float(env_str("JATAYU_SESSION_TOUCH_SECONDS", "30"))
JATAYU_SESSION_STALE_SECONDS = float(env_str("JATAYU_SESSION_STALE_SECONDS", "90"))
# How old a worker's copy of a test's bank may get before it reads the items' calibration and exposure
# counts again (`assessments.selectors.bank`).
JATAYU_BANK_REFRESH_SECONDS = float(env_str("JATAYU_BANK_REFRESH_SECONDS", "30"))
if JATAYU_SESSION_STALE_SECONDS < 2 * JATAYU_SESSION_TOUCH_SECONDS:
    raise ImproperlyConfigured(
        "JATAYU_SESSION_STALE_SECONDS must be at least twice JATAYU_SESSION_TOUCH_SECONDS, "
        "or live connections would look stale between two touches."
    )
# Email: invitations and reminders, through the SMTP server EMAIL_HOST names. Without one, emails are
# printed to the console only in development (DEBUG) or when JATAYU_EMAIL_TO_CONSOLE says so: each holds
# a working sign-in link, which must not land in a production log. Otherwise sending fails, and the
# invite page says email is not set up.
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
elif DEBUG or env_bool("JATAYU_EMAIL_TO_CONSOLE"):
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    EMAIL_BACKEND = "assessments.mail.EmailNotConfiguredBackend"
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or "Jatayu <no-reply@localhost>"
# The address candidates reach the site at, for the links in emails that no request is there to tell
# (reminders sent by a command); the admin's invitations use the address the recruiter is on.
JATAYU_PUBLIC_URL = env_str("JATAYU_PUBLIC_URL") or "http://localhost:8000"
JATAYU_SIGN_IN_LINK_HOURS = env_int("JATAYU_SIGN_IN_LINK_HOURS", 72)
JATAYU_GENERAL_CHAT_LIMIT = env_int("JATAYU_GENERAL_CHAT_LIMIT", 20)  # /ws/chat/ messages per user per 24 h
JATAYU_AI_TUTOR_MAX_TOKENS = env_int("JATAYU_AI_TUTOR_MAX_TOKENS", 400)  # per tutor reply
# USD per million tokens, for the per-attempt cost estimate.
JATAYU_AI_PRICE_INPUT_PER_MTOK = float(env_str("JATAYU_AI_PRICE_INPUT_PER_MTOK", "0.15"))
JATAYU_AI_PRICE_OUTPUT_PER_MTOK = float(env_str("JATAYU_AI_PRICE_OUTPUT_PER_MTOK", "0.60"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
