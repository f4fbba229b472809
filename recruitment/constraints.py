"""Check constraints that `full_clean` validates in Python instead of with a query each.

Django's `CheckConstraint.validate` sends one `SELECT 1 WHERE <condition>` per constraint, with
every field of the instance bound as a parameter: a Job with four check constraints cost eight
queries and about 25 ms per `full_clean` + `save`, which made ingesting a scraped posting
(created, then published) the crawl's bottleneck. Our conditions are plain comparisons of a
model's own fields (`exact`, `isnull`, `in`, `lt`, `lte`, `gt`, `gte`, with `F()` on either
side), joined by AND, OR and NOT, so this subclass evaluates them in Python with SQL's
three-valued logic: a comparison with NULL is unknown, and a check passes unless its condition
is false, as in PostgreSQL. Anything else (a transform, a function, a related field) falls back
to Django's query, so nothing is ever validated less than before.

The database still enforces every constraint; a test compares this evaluation with Django's
query on every check constraint of the project.
"""

from __future__ import annotations

import operator
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import DEFAULT_DB_ALIAS, models
from django.db.models import F, Q

_COMPARE = {
    "exact": operator.eq,
    "lt": operator.lt,
    "lte": operator.le,
    "gt": operator.gt,
    "gte": operator.ge,
}


class _Unsupported(Exception):
    """The condition uses something only the database can evaluate."""


class _Excluded(Exception):
    """The condition reads a field `full_clean` left out (Django skips the check then)."""


def _field_value(instance: models.Model, name: str, exclude: set[str]) -> Any:
    try:
        field = instance._meta.get_field(name)
    except FieldDoesNotExist as error:
        raise _Unsupported(name) from error
    if not getattr(field, "concrete", False) or field.is_relation and not field.many_to_one:
        raise _Unsupported(name)
    if field.name in exclude:
        raise _Excluded(name)
    return getattr(instance, field.attname)


def _operand(instance: models.Model, value: Any, exclude: set[str]) -> Any:
    if isinstance(value, F):
        if "__" in value.name:
            raise _Unsupported(value.name)
        return _field_value(instance, value.name, exclude)
    if hasattr(value, "resolve_expression"):
        raise _Unsupported(repr(value))
    return value


def _lookup(instance: models.Model, key: str, value: Any, exclude: set[str]) -> bool | None:
    name, _, lookup = key.partition("__")
    lookup = lookup or "exact"
    left = _field_value(instance, name, exclude)
    if lookup == "isnull":
        if not isinstance(value, bool):
            raise _Unsupported(key)
        return (left is None) == value
    right = _operand(instance, value, exclude)
    if lookup == "exact" and right is None:  # Django turns `= None` into IS NULL
        return left is None
    if lookup == "in":
        if isinstance(right, str) or not hasattr(right, "__iter__"):
            raise _Unsupported(key)
        if left is None:
            return None
        values = list(right)
        if left in values:
            return True
        return None if any(v is None for v in values) else False
    compare = _COMPARE.get(lookup)
    if compare is None:
        raise _Unsupported(key)
    if left is None or right is None:
        return None
    try:
        return bool(compare(left, right))
    except TypeError as error:  # e.g. a str where a number belongs: let the database judge
        raise _Unsupported(key) from error


def _evaluate(node: Any, instance: models.Model, exclude: set[str]) -> bool | None:
    """True, False or None (unknown) for a Q tree or one (lookup, value) child."""
    if isinstance(node, Q):
        results = [_evaluate(child, instance, exclude) for child in node.children]
        if node.connector == Q.AND:
            result = False if False in results else None if None in results else True
        elif node.connector == Q.OR:
            result = True if True in results else None if None in results else False
        else:
            raise _Unsupported(node.connector)
        if node.negated and result is not None:
            result = not result
        return result
    if isinstance(node, tuple) and len(node) == 2 and isinstance(node[0], str):
        return _lookup(instance, node[0], node[1], exclude)
    raise _Unsupported(repr(node))


def condition_holds(condition: Q, instance: models.Model, exclude=None) -> bool | None:
    """Whether `instance` satisfies `condition` as the database would judge it: True (holds or
    unknown), False (violated), or None when only the database can tell (or a field it reads
    was excluded)."""
    try:
        return _evaluate(condition, instance, set(exclude or ())) is not False
    except (_Unsupported, _Excluded):
        return None


class CheckConstraint(models.CheckConstraint):
    """`models.CheckConstraint`, validated in Python when its condition allows (see above)."""

    def validate(self, model, instance, exclude=None, using=DEFAULT_DB_ALIAS):
        try:
            holds = _evaluate(self.condition, instance, set(exclude or ())) is not False
        except _Excluded:
            return  # as Django does when a field of the condition was excluded
        except _Unsupported:
            return super().validate(model, instance, exclude=exclude, using=using)
        if not holds:
            raise ValidationError(
                self.get_violation_error_message(), code=self.violation_error_code
            )

    def deconstruct(self):
        # Migrations record the plain Django constraint: the database side is the same.
        path, args, kwargs = super().deconstruct()
        return "django.db.models.CheckConstraint", args, kwargs
