"""Reading settings from the environment: one small helper instead of a dependency."""

import os
from urllib.parse import unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

TRUE_VALUES = {"1", "true", "yes", "on"}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return raw.strip().lower() in TRUE_VALUES


def env_int(name: str, default: int) -> int:
    raw = env_str(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = env_str(name)
    if not raw:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def database_from_url(
    url: str,
    *,
    pool_size: int = 10,
    statement_timeout_ms: int = 10_000,
    lock_timeout_ms: int = 5_000,
    connect_timeout_seconds: int = 5,
) -> dict[str, object]:
    """Turn `postgres://user:pass@host:port/name` into a Django DATABASES entry.

    PostgreSQL connections come from a psycopg pool of at most `pool_size` per process and go back to
    it at the end of every request or database call (CONN_MAX_AGE 0): a persistent connection per
    thread leaks under ASGI, where every request may run on a new thread. Every statement, lock wait
    and connection attempt is bounded (0 turns a timeout off), so one stuck call cannot hold a
    database thread for ever.
    """
    parsed = urlparse(url)
    if parsed.scheme in {"postgres", "postgresql", "pgsql"}:
        name = unquote(parsed.path.lstrip("/"))
        if not name:
            raise ImproperlyConfigured("DATABASE_URL must name a database, e.g. postgres://u@host/jatayu")
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": 0,
            "OPTIONS": {
                "pool": {"min_size": 1, "max_size": pool_size, "timeout": 10.0},
                "connect_timeout": connect_timeout_seconds,
                "options": f"-c statement_timeout={statement_timeout_ms} -c lock_timeout={lock_timeout_ms}",
            },
        }
    if parsed.scheme == "sqlite":
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": unquote(parsed.path) or ":memory:"}
    raise ImproperlyConfigured(f"DATABASE_URL scheme {parsed.scheme!r} is not supported (use postgres:// or sqlite://)")
