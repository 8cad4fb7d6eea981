"""bg-scaffold verify: one release's code, driven through its own ORM against the live schema.

`bg-scaffold verify` (and the project's blue-green matrix, which uses the same engine) runs one
long-lived server per release, inside a copy of the project tree as it stands at that release
(`django.setup()` once, instead of a Python start per check):

    python bg_scaffold_verify.py --project DIR serve

It reads one JSON command a line on stdin and answers each with one JSON line on stdout, in order:

    {"command": "describe"}                                 the target model's fields, in the order
                                                            a check prefers them
    {"command": "exercise", "field": "qty", "sets": {"weight": 11}, "fills": ["weight"]}
    {"command": "read", "field": "qty", "expect": {"17": 42}}
    {"command": "load", "field": "qty", "writer": "new", "ops": 600, "pks": [...], "seed": 3}
    {"command": "load-start", ... as load, "warmup": 50}   the writer runs in a thread of its own;
    {"command": "load-stop"}                                the answer once it has stopped
    {"command": "verify-audit", "field": "quantity"}
    {"command": "seed", "field": "quantity", "rows": 1000}
    {"command": "manage", "args": ["migrate", "--no-input"]}   manage.py in this process:
                                                                {"code", "stdout", "stderr"}

Its first line says whether Django started: {"ready": true, "django": "5.2.8"}, or the errors.

The environment names what to drive: BG_VERIFY_TARGET ("app_label.Model"), BG_VERIFY_DATABASE_URL
(the scratch database, put into DATABASES["default"] whatever the settings read), and optionally
BG_VERIFY_EXTENSION, a Python file whose hooks add checks of a project's own (the example shop's
cascades, in bg-scaffold's tests). It needs Django and the project's database driver only: nothing
is installed into the project's environment.

Every command answers one JSON object. Failures of the code under test are reported in it
("errors"), so each shows in its cell. The ORM commands never touch the schema; only `manage`
(migrate) does. A release whose code no longer has the target model answers {"absent": true}.
"""

import argparse
import contextlib
import datetime
import decimal
import importlib.util
import io
import json
import os
import random
import re
import sys
import threading
import time
import traceback
import uuid

AUDIT_TABLE = "bg_scaffold_verify_audit"

# A writer that is never told to stop gives up after this long (the matrix's own limit is far longer
# than any phase on a busy machine; this only ends a writer whose matrix is gone).
LOAD_LIMIT_SECONDS = 30 * 60

# Per thread: the fields this release's code sets on every row it creates, beyond the field
# (from --set, or a command's "sets"). A writer thread keeps its own.
_state = threading.local()

# The model the releases write, "app_label.Model". Its rows are filled by fill(), from what its
# fields require, unless an extension fills them its own way.
TARGET = os.environ.get("BG_VERIFY_TARGET", "")

DEBUG = bool(os.environ.get("BG_VERIFY_DEBUG"))

# A project's own checks (see load_extension).
EXTENSION = None

# Text fields a check can write any short string to.
TEXT_KINDS = ("CharField", "TextField", "SlugField", "EmailField", "URLField")

# Values an integer field of each type takes (the random writes stay inside every type's range).
INTEGER_RANGES = {
    "IntegerField": (1, 2_000_000_000),
    "BigIntegerField": (1, 2_000_000_000),
    "PositiveIntegerField": (1, 2_000_000_000),
    "PositiveBigIntegerField": (1, 2_000_000_000),
    "SmallIntegerField": (1, 30_000),
    "PositiveSmallIntegerField": (1, 30_000),
}


def extra():
    return getattr(_state, "extra", {})


def setup_django(project):
    """Django for the release's tree, on the scratch database whatever its settings read."""
    sys.path.insert(0, project)
    if "DJANGO_SETTINGS_MODULE" not in os.environ:
        # As manage.py sets it: os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        with open(os.path.join(project, "manage.py"), encoding="utf-8") as manage_py:
            found = re.search(
                r"DJANGO_SETTINGS_MODULE[\"']\s*,\s*[\"']([\w.]+)", manage_py.read()
            )
        if found:
            os.environ["DJANGO_SETTINGS_MODULE"] = found.group(1)
    url = os.environ.get("BG_VERIFY_DATABASE_URL")
    from django.conf import settings

    if url:
        # Settings that read DATABASE_URL get it from the environment too; these do not need to.
        settings.DATABASES["default"].update(database_settings(url))
    import django

    django.setup()


def database_settings(url):
    """DATABASES["default"] entries for a postgres:// URL, or a sqlite:///PATH file."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # Two releases write from two processes: each transaction takes the file's write lock when
        # it begins and waits for it (as a server's writer waits for a row), instead of failing at
        # once when a reader's transaction would have to become a writer (Django 5.1+).
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": unquote(parts.path),
            "OPTIONS": {"timeout": 60, "transaction_mode": "IMMEDIATE"},
        }
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
    }


def load_extension(path):
    """A project's own checks: a Python file with any of these hooks, each given this module.

    new_row(driver, model, values) -> the keyword arguments of a new row (instead of fill()),
    after_exercise(driver, run, pk, field, base) -> more steps on the row exercise() wrote,
    seed(driver, field, rows) -> {pk: value} of the starting rows it created (instead of fill()).
    """
    global EXTENSION
    spec = importlib.util.spec_from_file_location("bg_scaffold_verify_extension", path)
    EXTENSION = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(EXTENSION)


def hook(name):
    return getattr(EXTENSION, name, None) if EXTENSION is not None else None


class Absent(Exception):
    """This release's code has no target model (a change took it out of the code)."""


def target_model():
    """The model this release's code writes (its own class: a release may have changed it).

    TARGET may name it several ways, "shop.Order,shop.Purchase": the first this release's
    code has (a renamed model is known by its old name before the rename, by its new one after).
    """
    from django.apps import apps

    for candidate in TARGET.split(","):
        label, name = candidate.split(".")
        try:
            return apps.get_model(label, name)
        except LookupError:
            continue
    raise Absent(f"{TARGET} is not in this release's code")


def settings_use_tz():
    from django.conf import settings

    return settings.USE_TZ


def encode(value):
    """A value as JSON carries it, so that what one release wrote compares with what another reads."""
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        return value.astimezone(datetime.timezone.utc).isoformat()
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return str(value.normalize()) if value == value.to_integral() else str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).hex()
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
        return str(
            value
        )  # beyond what a JSON number carries exactly (JavaScript's doubles)
    return value


# The values at the edges of each integer type: the range of its PostgreSQL column.
INTEGER_EDGES = {
    "SmallIntegerField": (-32_768, 32_767),
    "IntegerField": (-2_147_483_648, 2_147_483_647),
    "BigIntegerField": (-9_223_372_036_854_775_808, 9_223_372_036_854_775_807),
    "PositiveSmallIntegerField": (0, 32_767),
    "PositiveIntegerField": (0, 2_147_483_647),
    "PositiveBigIntegerField": (0, 9_223_372_036_854_775_807),
}


def edge_values(model, name):
    """Values at the edges of a field's type, and NULL where it takes one: the starting rows
    carry them, so that a copy, a cast or a trigger that mishandles one shows in a read."""
    field = model._meta.get_field(name)
    kind = field.get_internal_type()
    edges = [None] if field.null else []
    if kind in INTEGER_EDGES:
        low, high = INTEGER_EDGES[kind]
        edges += [low, high, 0, 1] + ([-1] if low < 0 else [])
    elif kind in TEXT_KINDS:
        longest = field.max_length or 1000
        edges += [
            "",
            "ü✓🐍"[:longest],
            "x" * longest,
        ]
    elif kind == "BooleanField":
        edges += [True, False]
    elif kind == "DateField":
        edges += [datetime.date(1, 1, 1), datetime.date(9999, 12, 31)]
    elif kind == "DecimalField":
        places = field.decimal_places or 0
        largest = decimal.Decimal(10**field.max_digits - 1).scaleb(-places)
        edges += [largest, -largest, decimal.Decimal(0).scaleb(-places)]
    elif kind == "UUIDField":
        edges += [uuid.UUID(int=0), uuid.UUID(int=2**128 - 1)]
    return edges


def integer_range(kind):
    """The range of an integer field's values, within BG_VERIFY_INTEGER_RANGE (`low:high`) when
    set: a type change's old range, so that values written after it can be taken back."""
    given = os.environ.get("BG_VERIFY_INTEGER_RANGE")
    if not given:
        return INTEGER_RANGES[kind]
    least, most = (int(part) for part in given.split(":"))
    low, high = INTEGER_EDGES[kind]
    return max(low, least), min(high, most)


class Values:
    """Distinct values for one field of this release's model, as the field's type takes them."""

    def __init__(self, model, name, rng=random):
        self.field = model._meta.get_field(name)
        self.kind = self.field.get_internal_type()
        self.rng = rng

    @property
    def integer(self):
        return self.kind in INTEGER_RANGES

    def random(self):
        rng = self.rng
        if self.integer:
            low, high = integer_range(self.kind)
            if os.environ.get("BG_VERIFY_INTEGER_RANGE") and rng.random() < 0.25:
                # At the ends of the range (a type change's old type): what overflows shows.
                return rng.choice(
                    [low + rng.randint(0, 100), high - rng.randint(0, 100)]
                )
            return rng.randint(low, high)
        if self.kind == "DateField":
            return datetime.date(2000, 1, 1) + datetime.timedelta(
                days=rng.randint(0, 20_000)
            )
        if self.kind == "BooleanField":
            return rng.random() < 0.5
        if self.kind == "UUIDField":
            return uuid.UUID(int=rng.getrandbits(128))
        if self.kind == "DecimalField":
            places = self.field.decimal_places or 0
            whole = min(self.field.max_digits - places, 9)
            units = rng.randint(0, 10**whole - 1) if whole > 0 else 0
            return decimal.Decimal(
                units * 10**places + rng.randint(0, 10**places - 1)
            ).scaleb(-places)
        if self.kind == "FloatField":
            return rng.randint(0, 10**6) / 8  # exact in binary: reads back equal
        if self.kind == "DateTimeField":
            moment = datetime.datetime(2000, 1, 1) + datetime.timedelta(
                seconds=rng.randint(0, 10**9)
            )
            return (
                moment.replace(tzinfo=datetime.timezone.utc)
                if settings_use_tz()
                else moment
            )
        if self.kind == "TimeField":
            return datetime.time(
                rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)
            )
        if self.kind == "DurationField":
            return datetime.timedelta(seconds=rng.randint(0, 10**6))
        if self.kind == "JSONField":
            return {"bg-scaffold": f"{rng.getrandbits(32):08x}"}
        if self.kind == "BinaryField":
            return rng.getrandbits(64).to_bytes(8, "big")
        if self.kind == "GenericIPAddressField":
            return (
                f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
            )
        token = f"{rng.getrandbits(48):012x}"
        if self.kind == "URLField":
            text = f"https://example.com/{token}"
        elif self.kind == "EmailField":
            text = f"{token}@example.com"
        else:
            text = f"v{token} ü"  # not only ASCII
        # The last characters are the random ones: a short column keeps those.
        return text[-self.field.max_length :] if self.field.max_length else text


def fill(model, given, only=None):
    """`given`, and a value for every other field a row of `model` cannot be created without.

    Those are the fields that are not null, have no default and are not set by Django itself:
    random text, numbers and dates, and for a foreign key a new row of the model it points at
    (filled the same way; a ContentType is the model's own). With `only`, that one field's value.
    """
    try:
        from django.contrib.contenttypes.models import ContentType
    except (ImportError, RuntimeError):  # a project without django.contrib.contenttypes
        ContentType = None

    values = dict(given)
    for field in [only] if only is not None else model._meta.concrete_fields:
        if field.name in values or field.attname in values:
            continue
        automatic = field.get_internal_type() in (
            "AutoField",
            "BigAutoField",
            "SmallAutoField",
        )
        if only is None and (
            automatic or field.auto_created or field.has_default() or field.null
        ):
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            continue
        if field.is_relation:
            related = field.related_model
            if ContentType is not None and related is ContentType:
                values[field.name] = ContentType.objects.get_for_model(model)
            else:
                values[field.name] = related._base_manager.create(**fill(related, {}))
        elif field.choices:
            values[field.name] = field.flatchoices[0][0]
        else:
            values[field.name] = Values(model, field.name).random()
    return values


def error_text(exc):
    return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"


def has_field(model, name):
    """True when this release's model has the field (a release may have removed it)."""
    return any(f.name == name for f in model._meta.get_fields())


def own_fields(model, **values):
    """Only the values this release's model has fields for (remove-column takes some away)."""
    return {name: value for name, value in values.items() if has_field(model, name)}


def describe():
    """The target model as a check needs it.

    fields: the fields a check can write and read back, best first: plain editable columns that
    are not keys and have no choices, numbers first (F() expressions add to them), unique last.
    relations: its foreign keys, with the table, column and on_delete the database must keep
    honouring once a release's code no longer has them.
    """
    Model = target_model()
    candidates = []
    relations = []
    for field in Model._meta.concrete_fields:
        if field.is_relation and (field.many_to_one or field.one_to_one):
            relations.append(
                {
                    "field": field.name,
                    "table": Model._meta.db_table,
                    "column": field.column,
                    "parent": field.related_model._meta.label,
                    "onDelete": field.remote_field.on_delete.__name__,
                }
            )
        if field.primary_key or field.is_relation or field.choices:
            continue
        if (
            not field.editable
            or getattr(field, "auto_now", False)
            or getattr(field, "auto_now_add", False)
        ):
            continue
        kind = field.get_internal_type()
        if (
            kind not in INTEGER_RANGES
            and kind not in TEXT_KINDS
            and kind not in ("DateField", "BooleanField", "UUIDField")
        ):
            continue
        rank = 0 if kind in INTEGER_RANGES else 1 if kind in TEXT_KINDS else 2
        # A unique field only when nothing else will do: random values rarely collide.
        candidates.append((rank + 3 if field.unique else rank, field.name))
    fields = [name for _, name in sorted(candidates, key=lambda c: c[0])]
    return {"fields": fields, "relations": relations, "errors": []}


def delete_referenced(table, column, parent, on_delete):
    """Deletes a `parent` row that a row of `table` points at, through this release's ORM, which
    no longer knows that reference: the database must do what on_delete said (DESIGN: a foreign
    key that leaves the code is replaced in the database, not dropped)."""
    from django.apps import apps
    from django.db import IntegrityError, connection

    run = Run()
    Parent = apps.get_model(parent)
    q = connection.ops.quote_name

    def referenced():
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {q(column)} FROM {q(table)} WHERE {q(column)} IS NOT NULL LIMIT 1"
            )
            row = cursor.fetchone()
        return row[0] if row else None

    key = run.step("find-referenced-row", referenced)
    if key is None:
        return run.result()

    def delete():
        try:
            Parent._base_manager.filter(pk=key).delete()
        except IntegrityError:
            if on_delete in ("PROTECT", "RESTRICT"):
                return  # the database refuses, as Django did
            raise
        if on_delete in ("PROTECT", "RESTRICT"):
            raise AssertionError(
                f"{parent} {key} was deleted though {table} rows point at it ({on_delete})"
            )

    run.step(f"delete-{parent}", delete)

    def left_behind():
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*) FROM {q(table)} WHERE {q(column)} = %s", [key]
            )
            left = cursor.fetchone()[0]
        if left and on_delete in ("CASCADE", "SET_NULL"):
            raise AssertionError(
                f"{left} {table} rows still point at deleted {parent} {key} (orphans)"
            )

    if on_delete in ("CASCADE", "SET_NULL"):
        run.step("referencing-rows-follow", left_behind)
    return run.result()


class Run:
    """Collects what a command wrote and which operations failed."""

    def __init__(self):
        self.written = {}
        self.deleted = []
        self.errors = []
        self.ops = 0

    def step(self, name, fn):
        from django.db import transaction

        self.ops += 1
        try:
            with transaction.atomic():
                return fn()
        except Exception as exc:  # noqa: BLE001 - every failure is a finding
            self.errors.append({"op": name, "error": error_text(exc)})
            if DEBUG:
                traceback.print_exc()
            return None

    def result(self, **extra):
        return {
            "ops": self.ops,
            "written": {str(k): v for k, v in self.written.items()},
            "deleted": self.deleted,
            "errors": self.errors,
            **extra,
        }


def new_row(model, field, value):
    """The keyword arguments of a new row of the target whose `field` is `value`.

    The fields this release's code sets on every row it creates ("fills": a column the release
    added and must write) get a value of their type too, null or not.
    """
    given = {**extra(), field: value}
    for name in fills():
        if name not in given and has_field(model, name):
            given[name] = generated(model, model._meta.get_field(name))
    own = hook("new_row")
    return own(sys.modules[__name__], model, given) if own else fill(model, given)


def fills():
    return getattr(_state, "fills", [])


def generated(model, field):
    """A value of a field's type (a new row for a foreign key), as fill() gives one."""
    return fill(model, {}, only=field)[field.name]


def exercise(field):
    """Every kind of ORM read and write a release performs on the field."""
    from django.db.models import F

    Model = target_model()
    run = Run()
    values = Values(Model, field)
    # Integers count up from a random base (F() expressions add to them), inside the field's range;
    # other types draw a value each.
    top = integer_range(values.kind)[1] - 100 if values.integer else 1_000_000
    base = random.randint(1, min(1_000_000, top))
    if values.integer and os.environ.get("BG_VERIFY_INTEGER_RANGE"):
        base = top - 1_000  # F() expressions then add up to the old type's limit

    def value(step):
        return base + step if values.integer else values.random()

    def create():
        first = value(0)
        row = Model.objects.create(**new_row(Model, field, first))
        run.written[row.pk] = encode(first)
        return row

    row = run.step("create", create)
    if row is None:
        return run.result()
    pk = row.pk

    def get():
        got = encode(getattr(Model.objects.get(pk=pk), field))
        if got != run.written[pk]:
            raise AssertionError(f"get read {got!r}, expected {run.written[pk]!r}")

    run.step("get", get)

    def get_set_fields():
        # The fields this release sets on create (--set) read back as written, from a fresh row.
        obj = Model.objects.get(pk=pk)
        for name, expected in extra().items():
            got = getattr(obj, name)
            if got != expected:
                raise AssertionError(f"{name} read {got!r}, expected {expected!r}")

    if extra():
        run.step("get-set-fields", get_set_fields)
    written = getattr(row, field)
    run.step("filter", lambda: Model.objects.filter(**{field: written, "pk": pk}).get())
    run.step(
        "filter-gte", lambda: Model.objects.filter(**{f"{field}__gte": written}).count()
    )
    run.step("values", lambda: list(Model.objects.filter(pk=pk).values("pk", field)))
    run.step("only", lambda: [getattr(o, field) for o in Model.objects.only(field)[:5]])
    run.step("order-by", lambda: list(Model.objects.order_by(field)[:5]))
    keys = [
        f.name for f in Model._meta.concrete_fields if f.many_to_one or f.one_to_one
    ]
    if keys:
        run.step(
            "select-related",
            lambda: [
                getattr(o, keys[0]) for o in Model.objects.select_related(keys[0])[:5]
            ],
        )

    def save():
        obj = Model.objects.get(pk=pk)
        new = value(1)
        setattr(obj, field, new)
        obj.save()
        run.written[pk] = encode(new)

    run.step("save", save)

    def save_update_fields():
        obj = Model.objects.get(pk=pk)
        new = value(2)
        setattr(obj, field, new)
        obj.save(update_fields=[field])
        run.written[pk] = encode(new)

    run.step("save-update-fields", save_update_fields)

    def update():
        new = value(3)
        Model.objects.filter(pk=pk).update(**{field: new})
        run.written[pk] = encode(new)

    run.step("queryset-update", update)

    def update_f():
        Model.objects.filter(pk=pk).update(**{field: F(field) + 1})
        run.written[pk] = base + 4

    if values.integer:
        run.step("queryset-update-F", update_f)

    def bulk_create():
        news = [value(10 + i) for i in range(3)]
        # Unique fields are filled at random, so three rows in one statement do not collide.
        objs = [Model(**new_row(Model, field, new)) for new in news]
        created = Model.objects.bulk_create(objs)
        for obj, new in zip(created, news):
            if obj.pk is None:
                raise AssertionError("bulk_create returned no primary key")
            run.written[obj.pk] = encode(new)
        return created

    created = run.step("bulk-create", bulk_create) or []

    def bulk_update():
        objs = list(Model.objects.filter(pk__in=[o.pk for o in created]))
        for i, obj in enumerate(objs):
            new = value(20 + i)
            setattr(obj, field, new)
            run.written[obj.pk] = encode(new)
        Model.objects.bulk_update(objs, [field])

    if created:
        run.step("bulk-update", bulk_update)

    def delete():
        doomed = Model.objects.create(**new_row(Model, field, value(30)))
        doomed_pk = doomed.pk
        doomed.delete()
        if Model.objects.filter(pk=doomed_pk).exists():
            raise AssertionError("deleted row still there")
        run.deleted.append(encode(doomed_pk))

    run.step("delete", delete)
    more = hook("after_exercise")
    if more:
        more(sys.modules[__name__], run, pk, field, base)
    return run.result()


def read(field, expected, allow_missing=False):
    """Reads rows another release wrote ({pk: value}) and compares them with what it says it wrote.

    With allow_missing, a row that is gone is no mismatch (a check deleted it since)."""
    Model = target_model()
    mismatches = []
    errors = []
    try:
        rows = {
            str(pk): encode(value)
            for pk, value in Model.objects.filter(pk__in=list(expected)).values_list(
                "pk", field
            )
        }
        for pk, value in expected.items():
            if allow_missing and pk not in rows:
                continue
            got = rows.get(pk, "<missing>")
            if got != value:
                mismatches.append({"pk": pk, "expected": value, "got": got})
    except Exception as exc:  # noqa: BLE001
        errors.append({"op": "read", "error": error_text(exc)})
    errors.extend(relations_hold())
    return {
        "checked": len(expected),
        "mismatches": mismatches[:20],
        "mismatchCount": len(mismatches),
        "errors": errors,
    }


def relations_hold():
    """Every row of every model of the target's app follows its foreign keys, as this release's ORM sees them.

    A row whose key points at nothing (an orphan) vanishes from select_related() where the
    join is INNER, and reads as None where it is LEFT OUTER (a nullable key): both are what
    the release's code would show its users.
    """
    from django.apps import apps

    errors = []
    for model in apps.get_app_config(TARGET.split(".")[0]).get_models():
        keys = [
            f
            for f in model._meta.concrete_fields
            if f.is_relation and (f.many_to_one or f.one_to_one)
        ]
        if not keys:
            continue
        try:
            rows = list(model._base_manager.select_related(*[f.name for f in keys]))
            total = model._base_manager.count()
            if len(rows) != total:
                names = ", ".join(f.name for f in keys)
                raise AssertionError(
                    f"{total - len(rows)} of {total} {model.__name__} rows vanish from select_related({names})"
                )
            for row in rows:
                for key in keys:
                    if (
                        getattr(row, key.attname) is not None
                        and getattr(row, key.name) is None
                    ):
                        raise AssertionError(
                            f"{model.__name__} {row.pk}: {key.name} points at a missing row"
                        )
        except Exception as exc:  # noqa: BLE001
            errors.append(
                {"op": f"relations of {model.__name__}", "error": error_text(exc)}
            )
    return errors


def ensure_audit_table():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {AUDIT_TABLE} ("
            + (
                "id bigserial PRIMARY KEY"
                if connection.vendor == "postgresql"
                else "id integer PRIMARY KEY AUTOINCREMENT"
            )
            + ", row_pk text NOT NULL, value text NOT NULL, writer text NOT NULL)"
        )


def audit(rows, writer):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {AUDIT_TABLE} (row_pk, value, writer) VALUES (%s, %s, %s)",
            [(str(pk), json.dumps(encode(value)), writer) for pk, value in rows],
        )


def load(field, writer, ops, pks, seed, stop=None, progress=None):
    """Concurrent writer: random writes to shared rows, each audited in the same transaction.

    The audit row is inserted after the write, while the write's row lock is held, so for any
    one row the audit ids follow the order in which the writes committed. With `stop`, it
    writes on after `ops` until stop() is true; `progress(done)` follows each operation.
    """
    from django.db.models import F

    Model = target_model()
    ensure_audit_table()
    rng = random.Random(seed)
    values = Values(Model, field, rng)
    run = Run()
    started = time.monotonic()

    def save(pk):
        obj = Model.objects.get(pk=pk)
        v = values.random()
        setattr(obj, field, v)
        obj.save()
        audit([(pk, v)], writer)

    def update(pk):
        v = values.random()
        Model.objects.filter(pk=pk).update(**{field: v})
        audit([(pk, v)], writer)

    def update_f(pk):
        Model.objects.filter(pk=pk).update(**{field: F(field) - 1})
        audit([(pk, Model.objects.values_list(field, flat=True).get(pk=pk))], writer)

    def bulk(pk):
        chosen = sorted(set([pk] + rng.sample(pks, 3)))
        objs = list(
            Model.objects.select_for_update().filter(pk__in=chosen).order_by("pk")
        )
        for obj in objs:
            setattr(obj, field, values.random())
        Model.objects.bulk_update(objs, [field])
        audit([(obj.pk, getattr(obj, field)) for obj in objs], writer)

    def create(_pk):
        v = values.random()
        obj = Model.objects.create(**new_row(Model, field, v))
        audit([(obj.pk, v)], writer)

    # F() expressions only where the field is a number.
    kinds = [save, save, update, update_f if values.integer else update, bulk, create]
    done = 0
    while True:
        if stop is not None:
            if stop() and done >= ops:
                break
        elif done >= ops:
            break
        if time.monotonic() - started > LOAD_LIMIT_SECONDS:
            run.errors.append(
                {"op": "load", "error": f"gave up after {LOAD_LIMIT_SECONDS} s"}
            )
            break
        kind = rng.choice(kinds)
        run.step(kind.__name__, lambda: kind(rng.choice(pks)))
        done += 1
        if progress is not None:
            progress(done)
    return run.result(seconds=round(time.monotonic() - started, 2))


def verify_audit(field):
    """Every audited row holds the last value written to it, read through this release's field."""
    from django.db import connection

    Model = target_model()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT ON (row_pk) row_pk, value FROM {AUDIT_TABLE} ORDER BY row_pk, id DESC"
            if connection.vendor == "postgresql"
            else f"SELECT row_pk, value FROM {AUDIT_TABLE} a WHERE id = "
            f"(SELECT max(id) FROM {AUDIT_TABLE} b WHERE b.row_pk = a.row_pk)"
        )
        last = {pk: json.loads(value) for pk, value in cursor.fetchall()}
    rows = {
        str(pk): encode(value)
        for pk, value in Model.objects.filter(pk__in=list(last)).values_list(
            "pk", field
        )
    }
    wrong = [
        {"pk": pk, "expected": value, "got": rows.get(pk, "<missing>")}
        for pk, value in last.items()
        if rows.get(pk) != value
    ]
    return {
        "checked": len(last),
        "mismatchCount": len(wrong),
        "mismatches": wrong[:20],
        "errors": [],
    }


def seed(field, rows):
    """Starting data; `shared` names the rows the concurrent writers share (not the first 100,
    which an extension may give related rows of its own)."""
    from django.db import transaction

    Model = target_model()
    own = hook("seed")
    if own:
        written = own(sys.modules[__name__], field, rows)
    else:
        values = Values(Model, field, random.Random(0))
        edges = edge_values(Model, field)
        # Every fourth row leaves its other nullable fields NULL; the rest take their defaults.
        nullable = [
            f.name
            for f in Model._meta.concrete_fields
            if f.null and f.editable and not f.primary_key and f.name != field
        ]

        def row(i):
            kwargs = new_row(
                Model, field, edges[i] if i < len(edges) else values.random()
            )
            if i % 4 == 1:
                kwargs.update({name: None for name in nullable if name not in fills()})
            return Model(**kwargs)

        with transaction.atomic():
            created = Model.objects.bulk_create([row(i) for i in range(rows)])
        written = {str(obj.pk): encode(getattr(obj, field)) for obj in created}
    pks = sorted(written, key=lambda pk: (len(pk), pk))
    # The first 100 rows no writer touches: each release reads them back after the phase.
    before = {pk: written[pk] for pk in pks[:100]}
    return {"written": written, "before": before, "shared": pks[100:400], "errors": []}


class Writer:
    """A load running in a thread of its own (load-start), until load-stop."""

    def __init__(self, request):
        self.stop_requested = threading.Event()
        self.warm = threading.Event()
        self.result = None
        warmup = int(request.get("warmup", 0))

        def progress(done):
            if done >= warmup:
                self.warm.set()

        def write():
            from django.db import connections

            _state.extra = request.get("sets") or {}
            _state.fills = request.get("fills") or []
            try:
                self.result = load(
                    request["field"],
                    request["writer"],
                    int(request["ops"]),
                    request["pks"],
                    request.get("seed", 1),
                    stop=self.stop_requested.is_set,
                    progress=progress,
                )
            except Exception as exc:  # noqa: BLE001
                self.result = {"errors": [{"op": "load", "error": error_text(exc)}]}
            finally:
                connections.close_all()  # this thread's connection
                self.warm.set()

        self.thread = threading.Thread(
            target=write, name=f"writer-{request['writer']}", daemon=True
        )
        self.thread.start()

    def stop(self):
        self.stop_requested.set()
        self.thread.join()
        return self.result


def manage(args):
    """manage.py ARGS in this process: exit code and output, as the command line gives them.

    As manage.py does, the system checks run (call_command alone skips them).
    """
    from django.core.management import call_command
    from django.core.management.base import CommandError

    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        # What the migrations print (the operations module's messages go to sys.stderr) is part of
        # the command's output, as it was of manage.py's.
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            call_command(*args, skip_checks=False, stdout=out, stderr=err)
    except SystemExit as exc:  # makemigrations --check exits 1 when changes are missing
        code = exc.code if isinstance(exc.code, int) else 1
    except CommandError as exc:
        code = exc.returncode
        err.write(f"CommandError: {exc}\n")
    except Exception:  # noqa: BLE001 - manage.py prints the traceback and exits 1
        code = 1
        err.write(traceback.format_exc())
    return {
        "code": code,
        "stdout": out.getvalue(),
        "stderr": err.getvalue(),
        "errors": [],
    }


def handle(request, writers):
    command = request.get("command")
    field = request.get("field")
    _state.extra = request.get("sets") or {}
    _state.fills = request.get("fills") or []
    if command == "manage":
        return manage(request["args"])
    if command == "delete-referenced":
        return delete_referenced(
            request["table"], request["column"], request["parent"], request["onDelete"]
        )
    try:
        target_model()
    except Absent as absent:
        if command == "load-stop" and writers:
            return writers.pop().stop()
        return {"absent": True, "detail": str(absent), "errors": []}
    if command == "describe":
        return describe()
    if command == "exercise":
        return exercise(field)
    if command == "read":
        return read(field, request["expect"], bool(request.get("allowMissing")))
    if command == "verify-audit":
        return verify_audit(field)
    if command == "seed":
        return seed(field, int(request.get("rows", 1000)))
    if command == "load":
        return load(
            field,
            request["writer"],
            int(request["ops"]),
            request["pks"],
            request.get("seed", 1),
        )
    if command == "load-start":
        if writers:
            raise RuntimeError("a writer is already running")
        writer = Writer(request)
        writers.append(writer)
        writer.warm.wait()
        if (
            writer.result is not None
        ):  # it ended before its warm-up: the answer is its result
            writers.remove(writer)
            return {"started": False, **writer.result}
        return {"started": True, "errors": []}
    if command == "load-stop":
        if not writers:
            raise RuntimeError("no writer is running")
        return writers.pop().stop()
    raise ValueError(f"unknown command {command!r}")


def serve(project):
    """One release's server: JSON commands on stdin, one JSON answer a line on stdout."""
    # The commands and the answers keep descriptors of their own. What the code under test prints
    # (migrate's progress, the operations module's messages) goes to stderr, and stdin reads as
    # empty, as it did when manage.py ran on its own: a question (input()) meets EOF.
    commands = os.fdopen(os.dup(0), "r", encoding="utf-8")
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    empty = os.open(os.devnull, os.O_RDONLY)
    os.dup2(empty, 0)
    os.close(empty)
    os.dup2(2, 1)

    def answer(payload):
        answers.write(json.dumps(payload) + "\n")
        answers.flush()

    try:
        setup_django(project)
    except Exception as exc:  # noqa: BLE001
        failure = [{"op": "django.setup", "error": error_text(exc)}]
        answer({"ready": False, "errors": failure})
        for (
            _
        ) in commands:  # every command gets the reason, as every run of the script did
            answer(
                {
                    "errors": failure,
                    "code": 1,
                    "stdout": "",
                    "stderr": failure[0]["error"],
                }
            )
        return
    import django
    from django.db import connections

    answer({"ready": True, "django": django.get_version(), "errors": []})
    writers = []
    for line in commands:
        if not line.strip():
            continue
        request = json.loads(line)
        if request.get("command") == "quit":
            break
        try:
            result = handle(request, writers)
        except Exception as exc:  # noqa: BLE001 - a broken command is a finding of its cell
            if DEBUG:
                traceback.print_exc()
            result = {
                "errors": [
                    {"op": request.get("command", "?"), "error": error_text(exc)}
                ]
            }
        finally:
            # A fresh connection for the next command, as a new process had: nothing a command set
            # on its session (a migration's lock_timeout, say) carries over.
            connections.close_all()
        answer(result)
    for writer in writers:
        writer.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--project", required=True, help="the release's tree, the folder with manage.py"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="answer JSON commands on stdin, one a line")
    args = parser.parse_args()
    extension = os.environ.get("BG_VERIFY_EXTENSION")
    if extension:
        load_extension(extension)
    serve(args.project)


if __name__ == "__main__":
    main()
