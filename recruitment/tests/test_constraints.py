"""Our CheckConstraint judges in Python exactly as Django's query (and PostgreSQL) would."""

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import F, Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from recruitment.constraints import CheckConstraint, condition_holds

# Conditions only the database can evaluate (they fall back to Django's query).
DATABASE_ONLY = {"accounts_suppression_email_lower"}


def _check_constraints():
    for model in apps.get_models():
        for constraint in model._meta.constraints:
            if isinstance(constraint, models.CheckConstraint):
                yield model, constraint


def _fields(node) -> set[str]:
    """The model fields a condition reads."""
    if isinstance(node, Q):
        return set().union(*(_fields(child) for child in node.children))
    key, value = node
    names = {key.split("__")[0]}
    if isinstance(value, F):
        names.add(value.name)
    return names


def _values(field: models.Field) -> list:
    """A few values of `field`'s type that sit on both sides of typical bounds."""
    values: list = [None] if field.null else []
    now = timezone.now()
    if field.choices:
        values += [value for value, _ in field.flatchoices]
    elif isinstance(field, models.BooleanField):
        values += [True, False]
    elif isinstance(field, models.DateTimeField):
        values += [now - timedelta(days=1), now, now + timedelta(days=1)]
    elif isinstance(field, models.DecimalField):
        values += [Decimal("-1"), Decimal("0"), Decimal("1.5"), Decimal("6")]
    elif isinstance(field, models.FloatField):
        values += [-0.5, 0.0, 0.5, 1.0, 1.5]
    elif isinstance(field, models.IntegerField):
        values += [0, 1, 3, 5, 6, 70, 71]
    elif isinstance(field, models.CharField):
        values += ["", "EUR", "Draft"]
    else:
        raise AssertionError(f"no test values for {field!r}")
    return values


CONSTRAINTS = list(_check_constraints())


def test_every_check_constraint_is_ours():
    """A plain models.CheckConstraint would cost a query per full_clean again."""
    plain = [c.name for _, c in CONSTRAINTS if not isinstance(c, CheckConstraint)]
    assert CONSTRAINTS and plain == []


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "constraint"), CONSTRAINTS, ids=[c.name for _, c in CONSTRAINTS])
def test_python_judgement_equals_the_database(model, constraint):
    names = sorted(_fields(constraint.condition))
    grids = [_values(model._meta.get_field(name)) for name in names]
    combinations = list(itertools.product(*grids))
    assert combinations
    for combination in combinations:
        instance = model()
        for name, value in zip(names, combination, strict=True):
            setattr(instance, model._meta.get_field(name).attname, value)
        # Django's own validation: a query against the database.
        try:
            models.CheckConstraint.validate(constraint, model, instance)
            expected = True
        except ValidationError:
            expected = False
        if constraint.name in DATABASE_ONLY:
            assert condition_holds(constraint.condition, instance) is None
            continue
        assert condition_holds(constraint.condition, instance) is expected, (
            constraint.name,
            dict(zip(names, combination, strict=True)),
        )
        with CaptureQueriesContext(connection) as queries:
            try:
                constraint.validate(model, instance)
                got = True
            except ValidationError:
                got = False
        assert got is expected
        assert len(queries) == 0


def test_an_excluded_field_skips_the_check_as_django_does():
    constraint = CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="x")
    model = apps.get_model("applications", "Interview")
    now = timezone.now()
    instance = model(starts_at=now, ends_at=now - timedelta(hours=1))
    with pytest.raises(ValidationError):
        constraint.validate(model, instance)
    constraint.validate(model, instance, exclude={"ends_at"})


def test_unknown_lookups_fall_back_to_the_database():
    model = apps.get_model("jobs", "Job")
    instance = model(title="Engineer")
    assert condition_holds(Q(title__icontains="eng"), instance) is None
    assert condition_holds(Q(title__startswith="Eng") | Q(pk=1), instance) is None
    assert condition_holds(Q(title="Engineer"), instance) is True
    assert condition_holds(~Q(title="Engineer"), instance) is False


def test_migrations_record_the_plain_django_constraint():
    constraint = CheckConstraint(condition=Q(pk__gt=0), name="x")
    path, _, kwargs = constraint.deconstruct()
    assert path == "django.db.models.CheckConstraint"
    assert kwargs["name"] == "x"
