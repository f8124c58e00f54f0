from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

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
