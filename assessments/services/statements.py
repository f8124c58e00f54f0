"""The answer path's statements, compiled once per shape instead of once per call.

Django's query compiler spends more CPU on these few statements than the database spends running
them. The SQL here is built from the models' metadata once per process and reused; values are
prepared and results converted by the fields themselves, as the ORM does, so both backends and
every field type behave as they do through a queryset. The statements still go through Django's
cursor: they are counted, logged, and part of the caller's transaction. Only names from the
models' metadata and placeholders go into the SQL text (hence the S608 waivers).
"""

from collections.abc import Callable, Iterable, Sequence
from functools import cache
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model

from assessments.models import Assessment, CandidateApplication, CandidateSession, Response, Test, TokenVersion

M = TypeVar("M", bound=Model)

Converter = Callable[[Any, Any, Any], Any]


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _columns(model: type[Model]) -> list[Field]:
    return list(model._meta.concrete_fields)


def _field(model: type[Model], name: str) -> Field:
    field = model._meta.get_field(name)
    if not isinstance(field, Field):
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return field


@cache
def _converters(vendor: str, field: Field) -> tuple[Any, list[Converter]]:
    column = field.get_col(field.model._meta.db_table)
    return column, [*connection.ops.get_db_converters(column), *column.get_db_converters(connection)]


def column_value(db: BaseDatabaseWrapper, field: Field, value: Any) -> Any:
    """A column read by raw SQL as the ORM would give it (SQLite returns a datetime as text, say)."""
    column, converters = _converters(db.vendor, field)
    for convert in converters:
        value = convert(value, column, db)
    return value


def _instance(db: BaseDatabaseWrapper, model: type[M], fields: Sequence[Field], values: Sequence[Any]) -> M:
    converted = [column_value(db, field, value) for field, value in zip(fields, values, strict=True)]
    return model.from_db(db.alias, [f.attname for f in fields], converted)


def _selected(model: type[Model]) -> list[str]:
    """The model's columns, qualified by its table, in `_columns` order."""
    table = _quote(model._meta.db_table)
    return [f"{table}.{_quote(f.column)}" for f in _columns(model)]


def _lock_of(model: type[Model]) -> str:
    """Lock the rows of this model's table only (SQLite has no row locks: it has one writer)."""
    return f" FOR UPDATE OF {_quote(model._meta.db_table)}" if connection.features.has_select_for_update_of else ""


@cache
def _latest_locked_sql(vendor: str) -> str:
    attempt, test = Assessment._meta.db_table, Test._meta.db_table
    selected, lock = _selected(Assessment) + _selected(Test), _lock_of(Assessment)
    return (
        f"SELECT {', '.join(selected)} FROM {_quote(attempt)} "  # noqa: S608
        f"INNER JOIN {_quote(test)} ON {_quote(test)}.{_quote('id')} = {_quote(attempt)}.{_quote('test_id')} "
        f"WHERE {_quote(attempt)}.{_quote('candidate_id')} = %s AND {_quote(attempt)}.{_quote('test_id')} = %s "
        f"ORDER BY {_quote(attempt)}.{_quote('attempt_number')} DESC LIMIT 1{lock}"
    )


def attempt_latest_locked_row(*, candidate_id: int, test_id: int) -> Assessment | None:
    """The candidate's latest attempt at the test, its row locked, with its test loaded."""
    db = connections[DEFAULT_DB_ALIAS]
    with db.cursor() as cursor:
        cursor.execute(_latest_locked_sql(db.vendor), [candidate_id, test_id])
        row = cursor.fetchone()
    if row is None:
        return None
    attempt_fields, test_fields = _columns(Assessment), _columns(Test)
    assessment = _instance(db, Assessment, attempt_fields, row[: len(attempt_fields)])
    test = _instance(db, Test, test_fields, row[len(attempt_fields) :])
    Assessment.test.field.set_cached_value(assessment, test)
    return assessment


@cache
def _insert_sql(vendor: str, model: type[Model], rows: int, returning: bool) -> str:
    fields = [f for f in _columns(model) if not f.primary_key]
    row = f"({', '.join(['%s'] * len(fields))})"
    sql = (
        f"INSERT INTO {_quote(model._meta.db_table)} ({', '.join(_quote(f.column) for f in fields)}) "  # noqa: S608
        f"VALUES {', '.join([row] * rows)}"
    )
    return f"{sql} RETURNING {_quote(model._meta.pk.column)}" if returning else sql


def rows_insert(objs: Sequence[Model], *, returning_pk: bool = False) -> None:
    """Insert new rows of one model in one statement; with `returning_pk` (one row), set its pk."""
    model = type(objs[0])
    fields = [f for f in _columns(model) if not f.primary_key]
    db = connections[DEFAULT_DB_ALIAS]
    params = [f.get_db_prep_save(f.pre_save(obj, True), db) for obj in objs for f in fields]
    with db.cursor() as cursor:
        cursor.execute(_insert_sql(db.vendor, model, len(objs), returning_pk), params)
        if returning_pk:
            (objs[0].pk,) = cursor.fetchone()
    for obj in objs:
        obj._state.adding, obj._state.db = False, db.alias


@cache
def _update_sql(vendor: str, model: type[Model], fields: tuple[str, ...], condition: str) -> str:
    meta = model._meta
    assignments = ", ".join(f"{_quote(_field(model, name).column)} = %s" for name in fields)
    where = f"{_quote(meta.pk.column)} = %s"
    return f"UPDATE {_quote(meta.db_table)} SET {assignments} WHERE {where}{condition}"  # noqa: S608


def _row_update(model: type[Model], *, pk: int, values: dict[str, Any], condition: str, extra: Iterable[Any]) -> int:
    db = connections[DEFAULT_DB_ALIAS]
    params = [_field(model, name).get_db_prep_save(value, db) for name, value in values.items()]
    sql = _update_sql(db.vendor, model, tuple(values), condition)
    with db.cursor() as cursor:
        cursor.execute(sql, [*params, pk, *extra])
        return int(cursor.rowcount)


@cache
def _unanswered(vendor: str) -> str:
    return f" AND {_quote('answered_at')} IS NULL"


def response_answer(*, response_id: int, values: dict[str, Any]) -> int:
    """Set an unanswered response's answer fields; 0 when it was answered already."""
    return _row_update(Response, pk=response_id, values=values, condition=_unanswered(connection.vendor), extra=())


@cache
def _bank_unchanged(vendor: str) -> str:
    test = _quote(Test._meta.db_table)
    return (
        f" AND EXISTS (SELECT 1 FROM {test} WHERE {test}.{_quote('id')} = "  # noqa: S608
        f"{_quote(Assessment._meta.db_table)}.{_quote('test_id')} AND {test}.{_quote('bank_version')} = %s)"
    )


def attempt_save(*, assessment: Assessment, fields: Sequence[str], bank_version: int | None = None) -> int:
    """Save these fields of the attempt; with `bank_version`, only while its test's bank is still that
    one (0 otherwise)."""
    values = {name: getattr(assessment, name) for name in fields}
    if bank_version is None:
        return _row_update(Assessment, pk=assessment.pk, values=values, condition="", extra=())
    condition = _bank_unchanged(connection.vendor)
    return _row_update(Assessment, pk=assessment.pk, values=values, condition=condition, extra=(bank_version,))


def _access_columns(test_ref: str) -> str:
    """The candidate's application to the test `test_ref` names (id, status, time multiplier) and the
    attempts used (the highest attempt number); the candidate's id is the first parameter, the
    application comes from `_application_join`."""
    application, attempt = _quote(CandidateApplication._meta.db_table), _quote(Assessment._meta.db_table)
    return (
        f"{application}.{_quote('id')}, {application}.{_quote('status')}, "  # noqa: S608
        f"{application}.{_quote('time_multiplier')}, {application}.{_quote('closes_at')}, "
        f"COALESCE((SELECT MAX({attempt}.{_quote('attempt_number')}) FROM {attempt} "
        f"WHERE {attempt}.{_quote('test_id')} = {test_ref} AND {attempt}.{_quote('candidate_id')} = %s), 0)"
    )


def _application_join(test_ref: str) -> str:
    """The join `_access_columns` reads the application from; the candidate's id is its parameter."""
    application = _quote(CandidateApplication._meta.db_table)
    return (
        f" LEFT OUTER JOIN {application} ON {application}.{_quote('test_id')} = {test_ref}"
        f" AND {application}.{_quote('candidate_id')} = %s"
    )


def _access_of(
    db: BaseDatabaseWrapper, row: Sequence[Any], *, user_id: int
) -> tuple[Test, CandidateApplication | None, int]:
    """(test, application, attempts used) from `_access_columns` followed by the test's columns."""
    application_id, status, multiplier, closes_at, used = row[:5]
    test = _instance(db, Test, _columns(Test), row[5:])
    application = None
    if application_id is not None:
        closes_at = column_value(db, _field(CandidateApplication, "closes_at"), closes_at)
        application = CandidateApplication.from_db(
            db.alias,
            ["id", "test_id", "candidate_id", "status", "time_multiplier", "closes_at"],
            [application_id, test.pk, user_id, status, multiplier, closes_at],
        )
    return test, application, int(used)


@cache
def _test_access_sql(vendor: str) -> str:
    test = _quote(Test._meta.db_table)
    test_ref = f"{test}.{_quote('id')}"
    return (
        f"SELECT {_access_columns(test_ref)}, {', '.join(_selected(Test))} FROM {test}"  # noqa: S608
        f"{_application_join(test_ref)} WHERE {test_ref} = %s"
    )


def test_access_row(*, test_id: int, user_id: int) -> tuple[Test, CandidateApplication | None, int] | None:
    """The test, the user's application to it and the attempts used (the highest attempt number), in
    one statement; None when there is no such test."""
    db = connections[DEFAULT_DB_ALIAS]
    with db.cursor() as cursor:
        cursor.execute(_test_access_sql(db.vendor), [user_id, user_id, test_id])
        row = cursor.fetchone()
    return None if row is None else _access_of(db, row, user_id=user_id)


@cache
def _session_access_sql(vendor: str) -> str:
    session, test = _quote(CandidateSession._meta.db_table), _quote(Test._meta.db_table)
    test_ref = f"{session}.{_quote('test_id')}"
    return (
        f"SELECT {session}.{_quote('epoch')}, {_access_columns(test_ref)}, {', '.join(_selected(Test))} "  # noqa: S608
        f"FROM {session} INNER JOIN {test} ON {test}.{_quote('id')} = {test_ref}{_application_join(test_ref)} "
        f"WHERE {session}.{_quote('key')} = %s{_lock_of(CandidateSession)}"
    )


def session_access_locked_row(*, key: str, user_id: int) -> tuple[int, Test, CandidateApplication | None, int] | None:
    """The session `key` locked, with its test, the user's application to it and the attempts used
    (the highest attempt number): (epoch, test, application, attempts used); None without a test."""
    db = connections[DEFAULT_DB_ALIAS]
    with db.cursor() as cursor:
        cursor.execute(_session_access_sql(db.vendor), [user_id, user_id, key])
        row = cursor.fetchone()
    if row is None:
        return None
    return (int(row[0]), *_access_of(db, row[1:], user_id=user_id))


@cache
def _user_version_sql(vendor: str, user_model: type[Model], id_field: str) -> str:
    user, version = _quote(user_model._meta.db_table), _quote(TokenVersion._meta.db_table)
    user_pk = f"{user}.{_quote(user_model._meta.pk.column)}"
    return (
        f"SELECT {', '.join(_selected(user_model))}, COALESCE((SELECT {version}.{_quote('version')} "  # noqa: S608
        f"FROM {version} WHERE {version}.{_quote('user_id')} = {user_pk}), 0) "
        f"FROM {user} WHERE {user}.{_quote(_field(user_model, id_field).column)} = %s"
    )


def user_token_version_row(*, user_model: type[M], id_field: str, user_id: Any) -> tuple[M, int] | None:
    """The user whose `id_field` is `user_id`, and their token version (0 when never revoked)."""
    db = connections[DEFAULT_DB_ALIAS]
    field = _field(user_model, id_field)
    with db.cursor() as cursor:
        cursor.execute(_user_version_sql(db.vendor, user_model, id_field), [field.get_db_prep_value(user_id, db)])
        row = cursor.fetchone()
    if row is None:
        return None
    return _instance(db, user_model, _columns(user_model), row[:-1]), int(row[-1])
