"""What every model here shares: service-owned fields kept on admin saves, and the difficulty scale."""

from typing import Any

from django.db import models


class KeepsServiceFields(models.Model):
    """A whole-row save (a form's, say) never writes back the fields only services keep, from a copy
    read before a service changed them."""

    SERVICE_FIELDS: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if (
            self.pk is not None
            and not self._state.adding
            and kwargs.get("update_fields") is None
            and not kwargs.get("force_insert")
        ):
            kwargs["update_fields"] = [
                f.name for f in self._meta.concrete_fields if not f.primary_key and f.name not in self.SERVICE_FIELDS
            ]
        super().save(*args, **kwargs)


class Difficulty(models.TextChoices):
    EASY = "easy", "Easy"
    MEDIUM = "medium", "Medium"
    HARD = "hard", "Hard"
