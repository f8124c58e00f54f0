from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from assessments.roles import is_recruiter


class IsRecruiter(BasePermission):
    """Staff in the recruiters group, or a superuser (see `assessments.roles`)."""

    message = "Only recruiters may do this."
    code = "permission_denied"

    def has_permission(self, request: Request, view: Any) -> bool:
        return is_recruiter(request.user)
