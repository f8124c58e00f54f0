#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jatayu.settings")
    if not os.environ.get("SECRET_KEY") and not os.environ.get("DEBUG"):
        # The defaults of `make run`: with nothing configured, a local development setup (SQLite, the
        # in-memory channel layer, the offline AI). Production sets SECRET_KEY, so this never applies.
        os.environ["DEBUG"] = "1"
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
        sys.stdout.flush()  # here, so that a closed pipe is caught below and not at exit
    except ImproperlyConfigured as exc:
        sys.exit(f"manage.py: {exc}")
    except BrokenPipeError:
        # The reader went away (`export_results 1 | head`): stop quietly, as other command-line tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)


if __name__ == "__main__":
    main()
