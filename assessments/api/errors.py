"""One JSON shape for every API error: {"code": ..., "detail": ...} (+ "fields" for invalid input).

`ApplicationError` keeps its own code and status; DRF exceptions keep theirs; Django's
`ValidationError`, `Http404` and `PermissionDenied` are first turned into their DRF counterparts.
"""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from assessments.errors import ApplicationError

VALIDATION_ERROR = "validation_error"
NON_FIELD_KEY = "non_field_errors"


def flatten_errors(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """Nested serializer errors as {"questions.1.options": ["..."]}: one dotted path per field."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, Mapping):
        for key, value in errors.items():
            # {"skills": {"non_field_errors": [...]}} is about `skills` itself.
            path = prefix if key == NON_FIELD_KEY and prefix else (f"{prefix}.{key}" if prefix else str(key))
            for name, messages in flatten_errors(value, path).items():
                flat.setdefault(name, []).extend(messages)
    elif isinstance(errors, list | tuple):
        if all(not isinstance(item, Mapping | list | tuple) for item in errors):
            if errors:
                flat[prefix or NON_FIELD_KEY] = [str(item) for item in errors]
        else:
            for index, item in enumerate(errors):
                for name, messages in flatten_errors(item, f"{prefix}.{index}" if prefix else str(index)).items():
                    flat.setdefault(name, []).extend(messages)
    elif errors not in (None, ""):
        flat[prefix or NON_FIELD_KEY] = [str(errors)]
    return flat


def _validation_body(exc: exceptions.ValidationError) -> dict[str, Any]:
    fields = flatten_errors(exc.detail)
    parts = [f"{path}: {msgs[0]}" if path != NON_FIELD_KEY else msgs[0] for path, msgs in fields.items()]
    detail = "Invalid input. " + "; ".join(parts) if parts else "Invalid input."
    return {"code": VALIDATION_ERROR, "detail": detail, "fields": fields}


def _api_exception_body(exc: exceptions.APIException) -> dict[str, Any]:
    detail = exc.detail
    if isinstance(detail, Mapping):
        # simplejwt puts {"detail", "code", "messages"} in the detail of its exceptions.
        body: dict[str, Any] = {
            "code": str(detail.get("code") or exc.default_code),
            "detail": str(detail.get("detail") or exc.default_detail),
        }
        if "messages" in detail:
            body["messages"] = detail["messages"]
        return body
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else exc.default_code
    return {"code": str(code), "detail": str(detail)}


def exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        body = {**exc.extra, "code": exc.code, "detail": exc.message}
        return Response(body, status=exc.status)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    # DRF's handler adds WWW-Authenticate / Retry-After headers and rolls back atomic requests.
    response = drf_exception_handler(exc, dict(context))
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        response.data = _validation_body(exc)
    else:
        response.data = _api_exception_body(exc)
    return response
