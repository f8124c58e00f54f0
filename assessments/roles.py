"""Who is a recruiter, and what the recruiters group may do in the admin."""

from django.apps import apps
from django.contrib.auth import get_permission_codename
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import models

RECRUITERS_GROUP = "recruiters"


def is_recruiter(user: AbstractBaseUser | AnonymousUser) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if getattr(user, "is_superuser", False):
        return True
    groups = getattr(user, "groups", None)
    return (
        bool(getattr(user, "is_staff", False)) and groups is not None and groups.filter(name=RECRUITERS_GROUP).exists()
    )


def role_of(user: AbstractBaseUser | AnonymousUser) -> str:
    return "recruiter" if is_recruiter(user) else "candidate"


def recruiter_permissions() -> dict[type[models.Model], tuple[str, ...]]:
    """What a recruiter may do in the admin. Attempt records are written by the services only."""
    from assessments import models as m

    return {
        m.Test: ("view", "add", "change", "delete"),
        m.Skill: ("view", "add", "change", "delete"),
        m.Question: ("view", "add", "change", "delete"),
        m.CandidateApplication: ("view", "add", "change", "delete"),
        m.Assessment: ("view",),
        m.Response: ("view",),
        m.ChatMessage: ("view",),
        m.AssessmentEvent: ("view",),
        m.IntegrityEvent: ("view",),
        m.QuestionRegrade: ("view",),
        m.CandidateSession: ("view",),
    }


def recruiters_group_sync(**_signal_kwargs: object) -> Group:
    """The recruiters group, holding (at least) its permissions; ones added by hand are kept.

    Runs after every `migrate`, so a fresh deployment has the group without any seeding.
    """
    create_permissions(apps.get_app_config("assessments"), verbosity=0)
    group, _ = Group.objects.get_or_create(name=RECRUITERS_GROUP)
    wanted = []
    for model, actions in recruiter_permissions().items():
        content_type = ContentType.objects.get_for_model(model)
        for action in actions:
            codename = get_permission_codename(action, model._meta)
            wanted.append(Permission.objects.get(content_type=content_type, codename=codename))
    group.permissions.add(*wanted)
    return group
