"""What the soak reads off PostgreSQL and Redis besides the load's own figures: backends, keys, the
database's size, dead rows, checkpoints and autovacuum runs, and the server's settings."""

from dataclasses import dataclass

import psycopg
import redis

from benchmarks import cluster


@dataclass
class DatabaseCounters:
    size_mb: float
    checkpoints: int
    maintenance: dict[str, int]  # table -> autovacuum + autoanalyze runs so far
    dead_rows: int


@dataclass
class DatabaseWindow:
    size_mb: float
    checkpoints: int
    maintained: list[str]  # tables an autovacuum or autoanalyze finished on in the window
    dead_rows: int


def backends(database: str) -> int:
    with cluster.postgres_admin() as admin:
        row = admin.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [database]).fetchone()
    return int(row[0]) if row else 0


def redis_keys(db: int) -> int:
    client = redis.Redis(host=cluster.REDIS_HOST, port=cluster.REDIS_PORT, db=db)
    try:
        return int(client.dbsize())
    finally:
        client.close()


def database_counters(database: str) -> DatabaseCounters:
    with cluster.postgres_admin() as admin:
        size = admin.execute("SELECT pg_database_size(%s)", [database]).fetchone()
        checkpoints = admin.execute("SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter").fetchone()
    with psycopg.connect(
        host=cluster.PG_HOST, port=cluster.PG_PORT, user=cluster.PG_USER, dbname=database, autocommit=True
    ) as conn:
        runs = conn.execute(
            "SELECT relname, autovacuum_count + autoanalyze_count, n_dead_tup FROM pg_stat_user_tables"
        ).fetchall()
    return DatabaseCounters(
        size_mb=int(size[0]) / 2**20 if size else 0.0,
        checkpoints=int(checkpoints[0]) if checkpoints else 0,
        maintenance={name: int(count) for name, count, _ in runs},
        dead_rows=sum(int(dead) for _, _, dead in runs),
    )


def database_window(before: DatabaseCounters, after: DatabaseCounters) -> DatabaseWindow:
    return DatabaseWindow(
        size_mb=after.size_mb,
        checkpoints=after.checkpoints - before.checkpoints,
        maintained=sorted(name for name, n in after.maintenance.items() if n > before.maintenance.get(name, 0)),
        dead_rows=after.dead_rows,
    )


def server_settings() -> str:
    """What of the PostgreSQL server's configuration bears on a long run."""
    names = ["autovacuum", "fsync", "synchronous_commit", "shared_buffers", "checkpoint_timeout", "max_wal_size"]
    with cluster.postgres_admin() as admin:
        rows = admin.execute("SELECT name, current_setting(name) FROM pg_settings WHERE name = ANY(%s)", [names])
    found = dict(rows.fetchall())
    return ", ".join(f"{name} {found.get(name, '?')}" for name in names)
