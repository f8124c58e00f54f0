"""Running a management command in this process and capturing what it prints."""

import io

from django.core.management import call_command


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()
