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


def score_number(value: float) -> float:
    """A score as readers show it: rounded to two decimals, and a whole number as an int ("3", not "3.0")."""
    rounded = round(float(value), 2)
    return int(rounded) if rounded.is_integer() else rounded


class ScoreField(models.FloatField):
    """A score that may hold partial credit; a whole score reads back as an int, so it renders as before."""

    def from_db_value(self, value: float | None, expression: Any, connection: Any) -> float | None:
        return None if value is None else score_number(value)

    def to_python(self, value: Any) -> float | None:
        number = super().to_python(value)
        return None if number is None else score_number(number)


class Difficulty(models.TextChoices):
    EASY = "easy", "Easy"
    MEDIUM = "medium", "Medium"
    HARD = "hard", "Hard"
