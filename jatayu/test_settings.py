"""Settings for the test suite: the real settings, with a throw-away SECRET_KEY when none is set.

The key goes into the environment so daphne processes started by live tests share it.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
# The test client and the live workers speak plain HTTP (test_deploy_settings.py checks HTTPS_ONLY itself).
os.environ.setdefault("HTTPS_ONLY", "0")
# Tests reconnect the same user far more often than a person does; test_connection_caps.py sets its own.
os.environ.setdefault("JATAYU_WS_CONNECTS_PER_USER", "0")
os.environ.setdefault("JATAYU_WS_CONNECTS_PER_ADDRESS", "0")
# Without REDIS_URL the suite runs in one process on the in-memory layer, on purpose.
os.environ.setdefault("CHANNEL_LAYER", "memory")

from jatayu.settings import *  # noqa: F403

# Hashing passwords properly costs ~0.5 s per user; tests need none of that strength.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Threads and live servers in tests must not keep connections open past their work, or the test
# database cannot be dropped at the end of the session.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405

# On SQLite the test database is a file, not memory, so that a live daphne worker (another process) can
# share it: the browser tests then run with nothing configured, on one worker and the in-memory layer.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    import tempfile
    from pathlib import Path

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(tempfile.gettempdir()) / f"test_jatayu_{os.getpid()}.sqlite3")
    }
