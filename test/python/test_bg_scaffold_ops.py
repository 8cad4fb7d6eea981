"""The runtime every generated PostgreSQL migration imports (python/runtime/).

Runs against a real PostgreSQL and a real Django, in a throwaway project built in a temp
directory. Run it with the venv's python:

    BG_OPS_DATABASE_URL=postgres://postgres@127.0.0.1:5432/scratch \\
        python -m unittest discover -s test/python -v

BG_OPS_DATABASE_URL names a database this suite may fill with tables (it drops them
again). BG_OPS_MODULE may name the runtime's copy as bg-scaffold writes it (the vitest
wrapper writes one); without it, the suite reads the one file in python/runtime/.
"""

import ast
import contextlib
import importlib
import importlib.util
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import unittest
from pathlib import Path
from unittest import mock
from urllib.parse import unquote, urlsplit

import django
import psycopg

REPO = Path(__file__).resolve().parents[2]
RUNTIME_DIR = REPO / "python" / "runtime"
DATABASE_URL = os.environ.get("BG_OPS_DATABASE_URL", "")
APP = "shop_ops"
ORDERS = "shop_orders"  # an app whose migrations use Django's operations, concurrently
ORDER_TABLE = "shop_orders_order"

_project = tempfile.TemporaryDirectory(prefix="bg-ops-")
PROJECT = Path(_project.name)
MIGRATIONS = PROJECT / APP / "migrations"


def runtime_file():
    """The runtime as bg-scaffold writes it: its name carries its version."""
    if os.environ.get("BG_OPS_MODULE"):
        return Path(os.environ["BG_OPS_MODULE"])
    (shipped,) = RUNTIME_DIR.glob("_bg_scaffold_v*.py")
    return shipped


RUNTIME = runtime_file()
MODULE = RUNTIME.stem  # _bg_scaffold_v3


def rendered_module():
    """The module's text as bg-scaffold writes it."""
    return RUNTIME.read_text()


def write_project():
    """A Django app whose migrations folder holds the ops module and two migrations."""
    (PROJECT / APP).mkdir()
    (PROJECT / APP / "__init__.py").write_text("")
    (PROJECT / APP / "models.py").write_text("")
    MIGRATIONS.mkdir()
    (MIGRATIONS / "__init__.py").write_text("")
    (MIGRATIONS / RUNTIME.name).write_text(rendered_module())
    (MIGRATIONS / "0001_initial.py").write_text(INITIAL_MIGRATION)
    (MIGRATIONS / "0002_enforce_sku.py").write_text(ENFORCE_MIGRATION)
    (MIGRATIONS / "0003_relax_sku.py").write_text(RELAX_MIGRATION)
    orders = PROJECT / ORDERS / "migrations"
    orders.mkdir(parents=True)
    for path in (PROJECT / ORDERS / "__init__.py", PROJECT / ORDERS / "models.py"):
        path.write_text("")
    (orders / "__init__.py").write_text("")
    (orders / RUNTIME.name).write_text(rendered_module())
    (orders / "0001_initial.py").write_text(ORDERS_INITIAL)
    (orders / "0002_concurrently.py").write_text(ORDERS_CONCURRENTLY)
    (orders / "0003_remove.py").write_text(ORDERS_REMOVE)


INITIAL_MIGRATION = textwrap.dedent(
    """\
    from django.db import migrations, models


    class Migration(migrations.Migration):
        initial = True
        dependencies = []
        operations = [
            migrations.CreateModel(
                name="Product",
                fields=[
                    ("id", models.BigAutoField(primary_key=True)),
                    ("name", models.CharField(max_length=50)),
                    ("sku", models.CharField(max_length=50, null=True)),
                ],
            ),
            migrations.RunSQL(
                "INSERT INTO shop_ops_product (name) "
                "SELECT 'p' || i FROM generate_series(1, 25) i",
                migrations.RunSQL.noop,
            ),
        ]
    """
)

# Phase 2/2 of an add-column change, as bg-scaffold generates it.
ENFORCE_MIGRATION = textwrap.dedent(
    """\
    from django.db import migrations, models

    from ._bg_scaffold_vN import BackfillInBatches, CreateIndexConcurrently, SetNotNull


    class Migration(migrations.Migration):
        atomic = False
        dependencies = [("shop_ops", "0001_initial")]
        operations = [
            BackfillInBatches(
                "shop_ops_product",
                set_sql="sku = upper(name)",
                where_sql="sku IS NULL",
                batch_size=10,
            ),
            SetNotNull("shop_ops_product", "sku"),
            CreateIndexConcurrently("shop_ops_product", "sku", suffix="_uniq", unique=True),
            CreateIndexConcurrently(
                "shop_ops_product", "sku", suffix="_like", opclass="varchar_pattern_ops"
            ),
            migrations.SeparateDatabaseAndState(
                state_operations=[
                    migrations.AlterField(
                        model_name="product",
                        name="sku",
                        field=models.CharField(max_length=50, unique=True),
                    ),
                ],
            ),
        ]
    """
).replace("_bg_scaffold_vN", MODULE)

# A later, ordinary Django migration: it must find the constraint and index by name.
RELAX_MIGRATION = textwrap.dedent(
    """\
    from django.db import migrations, models


    class Migration(migrations.Migration):
        dependencies = [("shop_ops", "0002_enforce_sku")]
        operations = [
            migrations.AlterField(
                model_name="product",
                name="sku",
                field=models.CharField(max_length=50, null=True),
            ),
        ]
    """
)


ORDERS_INITIAL = textwrap.dedent(
    """\
    from django.db import migrations, models


    class Migration(migrations.Migration):
        initial = True
        dependencies = []
        operations = [
            migrations.CreateModel(
                name="Order",
                fields=[
                    ("id", models.BigAutoField(primary_key=True)),
                    ("reference", models.CharField(max_length=20, null=True)),
                    ("customer", models.IntegerField(null=True)),
                    ("status", models.CharField(max_length=10, default="new")),
                    ("amount", models.IntegerField(default=0)),
                    ("placed_at", models.DateTimeField(null=True)),
                ],
            ),
            migrations.RunSQL(
                "INSERT INTO shop_orders_order"
                " (reference, customer, status, amount, placed_at)"
                " SELECT 'R-' || i, i % 5,"
                " CASE WHEN i % 2 = 0 THEN 'paid' ELSE 'new' END, i, now()"
                " FROM generate_series(1, 30) i",
                migrations.RunSQL.noop,
            ),
        ]
    """
)

# Each new operation, as bg-scaffold generates it.
ORDERS_CONCURRENTLY = textwrap.dedent(
    """\
    from django.db import migrations, models
    from django.db.models.functions import Upper

    from ._bg_scaffold_vN import (
        AddConstraintConcurrently,
        AddIndexConcurrently,
        CreateIndexConcurrently,
    )


    class Migration(migrations.Migration):
        atomic = False
        dependencies = [("shop_orders", "0001_initial")]
        operations = [
            AddIndexConcurrently(
                "order",
                models.Index(fields=["placed_at"], name="order_placed_at_idx"),
                lock_timeout="1s",
                retries=10,
            ),
            AddIndexConcurrently(
                "order",
                models.Index(
                    fields=["customer"],
                    condition=models.Q(status="paid"),
                    name="order_paid_customer_idx",
                ),
            ),
            AddIndexConcurrently(
                "order", models.Index(Upper("reference"), name="order_upper_ref_idx")
            ),
            AddConstraintConcurrently(
                "order",
                models.UniqueConstraint(fields=["reference"], name="order_reference_uniq"),
            ),
            AddConstraintConcurrently(
                "order",
                models.UniqueConstraint(
                    fields=["customer", "reference"],
                    condition=models.Q(status="paid"),
                    name="order_paid_reference_uniq",
                ),
            ),
            AddConstraintConcurrently(
                "order",
                models.CheckConstraint(
                    condition=models.Q(amount__gte=0), name="order_amount_gte_0"
                ),
            ),
            # Database only: the index of a field given db_index=True.
            CreateIndexConcurrently("shop_orders_order", "amount"),
        ]
    """
).replace("_bg_scaffold_vN", MODULE)

# Django's own RemoveConstraint must find what AddConstraintConcurrently built.
ORDERS_REMOVE = textwrap.dedent(
    """\
    from django.db import migrations

    from ._bg_scaffold_vN import DropIndexConcurrently, RemoveIndexConcurrently


    class Migration(migrations.Migration):
        atomic = False
        dependencies = [("shop_orders", "0002_concurrently")]
        operations = [
            RemoveIndexConcurrently("order", "order_placed_at_idx"),
            migrations.RemoveConstraint("order", "order_reference_uniq"),
            migrations.RemoveConstraint("order", "order_paid_reference_uniq"),
            DropIndexConcurrently("shop_orders_order", "amount"),
        ]
    """
).replace("_bg_scaffold_vN", MODULE)


def django_database():
    url = urlsplit(DATABASE_URL)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(url.path.lstrip("/")),
        "USER": unquote(url.username or ""),
        "PASSWORD": unquote(url.password or ""),
        "HOST": url.hostname or "",
        "PORT": str(url.port or ""),
    }


def setUpModule():
    from django.conf import settings

    if not DATABASE_URL:
        raise unittest.SkipTest("set BG_OPS_DATABASE_URL to a PostgreSQL database")
    write_project()
    sys.path.insert(0, str(PROJECT))
    settings.configure(
        INSTALLED_APPS=[APP, ORDERS],
        DATABASES={
            "default": django_database(),
            "lite": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
        },
        USE_TZ=True,
    )
    django.setup()
    global ops
    ops = importlib.import_module(f"{APP}.migrations.{MODULE}")


def tearDownModule():
    from django.db import connections

    connections.close_all()
    _project.cleanup()


ops = None  # the rendered module, imported by setUpModule


# --- helpers -----------------------------------------------------------------------


def side_connection():
    """A connection of its own, like another process's: a blocker, a writer, a spy."""
    return psycopg.connect(DATABASE_URL, autocommit=True)


def sql(statement, params=None):
    with side_connection() as conn:
        cursor = conn.execute(statement, params)
        return cursor.fetchall() if cursor.description else None


def value(statement, params=None):
    rows = sql(statement, params)
    return rows[0][0] if rows else None


def run(operation, direction="forwards", atomic=False, collect_sql=False):
    """Run one operation the way Django's executor does, on the default database."""
    from django.db import connection
    from django.db.migrations.state import ProjectState

    with connection.schema_editor(atomic=atomic, collect_sql=collect_sql) as editor:
        method = getattr(operation, f"database_{direction}")
        method(APP, editor, ProjectState(), ProjectState())
    return editor


def django_name(table, column, suffix):
    from django.db import connection

    return connection.schema_editor()._create_index_name(table, [column], suffix=suffix)


def index_is_valid(name):
    return value(
        "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", [name]
    )


def constraint(table, name):
    """(contype, convalidated, condeferrable) or None."""
    rows = sql(
        "SELECT contype, convalidated, condeferrable FROM pg_constraint "
        "WHERE conrelid = to_regclass(%s) AND conname = %s",
        [table, name],
    )
    return rows[0] if rows else None


def is_not_null(table, column):
    return value(
        "SELECT attnotnull FROM pg_attribute WHERE attrelid = to_regclass(%s) "
        "AND attname = %s",
        [table, column],
    )


def columns(table):
    rows = sql(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s",
        [table],
    )
    return {row[0] for row in rows}


class Blocker:
    """Another session runs `statement` and keeps its transaction open for `seconds`.

    Like a long report (ACCESS SHARE) or a slow request holding row locks.
    """

    def __init__(self, statement, seconds):
        self.statement, self.seconds = statement, seconds
        self.locked = threading.Event()

    def __enter__(self):
        self.thread = threading.Thread(target=self._hold)
        self.thread.start()
        self.locked.wait(10)
        return self

    def _hold(self):
        with side_connection() as conn, conn.transaction():
            conn.execute(self.statement)
            self.locked.set()
            time.sleep(self.seconds)

    def __exit__(self, *exc):
        self.thread.join()


class Writer:
    """Inserts a row every 20 ms and records the slowest insert (the write stall)."""

    def __init__(self, table):
        self.table, self.worst, self.stop = table, 0.0, threading.Event()

    def __enter__(self):
        self.thread = threading.Thread(target=self._write)
        self.thread.start()
        return self

    def _write(self):
        with side_connection() as conn:
            while not self.stop.is_set():
                started = time.monotonic()
                conn.execute(f"INSERT INTO {self.table} (v) VALUES (1)")
                self.worst = max(self.worst, time.monotonic() - started)
                time.sleep(0.02)

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


class OpsTestCase(unittest.TestCase):
    """Each test gets fresh tables: t (id, v) with 25 rows, and parent/child."""

    def setUp(self):
        sql(
            "DROP TABLE IF EXISTS t, child, parent CASCADE;"
            "CREATE TABLE t (id bigserial PRIMARY KEY, v integer, w integer,"
            " name varchar(20));"
            "INSERT INTO t (v, name) SELECT i, 'n' || i FROM generate_series(1, 25) i;"
            "CREATE TABLE parent (id bigserial PRIMARY KEY);"
            "CREATE TABLE child (id bigserial PRIMARY KEY, parent_id bigint);"
            "INSERT INTO parent DEFAULT VALUES; INSERT INTO child (parent_id) VALUES (1);"
        )

    def stderr_of(self, function):
        captured = io.StringIO()
        with contextlib.redirect_stderr(captured):
            function()
        return captured.getvalue()


# --- the module itself -------------------------------------------------------------


class TheModule(unittest.TestCase):
    def test_django_migration_loader_skips_it(self):
        from django.db import connection
        from django.db.migrations.loader import MigrationLoader

        disk = MigrationLoader(connection).disk_migrations
        names = {name for app, name in disk if app == APP}
        self.assertEqual(names, {"0001_initial", "0002_enforce_sku", "0003_relax_sku"})
        self.assertEqual(len([app for app, _ in disk if app == ORDERS]), 3)

    def test_imports_only_django_and_the_standard_library(self):
        # ...and, where it is installed, django-migration-linter's IgnoreMigration: an
        # import of anything else sits in a try whose handler takes ImportError.
        tree = ast.parse(rendered_module())
        roots, optional = set(), set()
        guarded = {
            id(statement)
            for node in ast.walk(tree)
            if isinstance(node, ast.Try)
            and any(
                isinstance(handler.type, ast.Name) and handler.type.id == "ImportError"
                for handler in node.handlers
            )
            for statement in node.body
        }
        for node in ast.walk(tree):
            found = set()
            if isinstance(node, ast.Import):
                found = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                self.assertEqual(node.level, 0, "no relative imports")
                found = {node.module.split(".")[0]}
            (optional if id(node) in guarded else roots).update(found)
        self.assertEqual(roots - set(sys.stdlib_module_names), {"django"})
        self.assertEqual(optional, {"django_migration_linter"})

    def test_is_a_static_file_whose_header_names_its_version(self):
        version = re.fullmatch(r"_bg_scaffold_v([1-9][0-9]*)", MODULE).group(1)
        first_line = rendered_module().split("\n")[0]
        self.assertIn(f"bg-scaffold runtime, version {version}:", first_line)
        self.assertNotIn("{{", rendered_module())

    def test_is_formatted_as_ruff_format_would_and_passes_ruff_check(self):
        if importlib.util.find_spec("ruff") is None:
            self.skipTest("ruff is not installed in this venv")
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / RUNTIME.name
            path.write_text(rendered_module())
            for args in (["format", "--check", "--diff"], ["check"]):
                result = subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "ruff",
                        *args,
                        "--isolated",
                        "--no-cache",
                        path,
                    ],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_every_operation_serializes_for_squashmigrations(self):
        from django.db.migrations.writer import MigrationWriter

        operations = [
            ops.RunDDL("SELECT 1", "", lock_timeout="2s", retries=3),
            ops.BackfillInBatches("t", "w = v", "w IS DISTINCT FROM v", batch_size=5),
            ops.SetNotNull("t", "v"),
            ops.DropNotNull("t", "v", lock_timeout="500ms"),
            ops.CreateIndexConcurrently("t", "name", suffix="_like", opclass="x_ops"),
            ops.DropIndexConcurrently("t", "v", suffix="_uniq", unique=True, retries=3),
            ops.AddForeignKey(
                "child", "parent_id", "parent", "id", on_delete="CASCADE"
            ),
            ops.Backwards(ops.SetNotNull("t", "w")),
            ops.SyncColumn(
                "t", "v", "w", function="f", value_sql='"v"', target_type="int"
            ),
            ops.MirrorColumn(
                "child", "parent_id", "p2", references={"parent": {"id": "i"}}
            ),
            ops.SwapColumns([{"table": "t", "column": "v"}], change="c", batch_size=5),
            ops.RegisterBackfill(
                "t-w", "c", "t", "w = v", "w IS NULL", pk="id", batch_size=5
            ),
            ops.RequireBackfillFinished("c", ["t-w"], lock_timeout="2s"),
        ]
        module = f"{APP}.migrations.{MODULE}"
        for operation in operations:
            source, imports = MigrationWriter.serialize(operation)
            self.assertEqual(imports, {f"import {module}"})
            rebuilt = eval(source, {APP: importlib.import_module(APP)})
            self.assertEqual(type(rebuilt), type(operation))
            self.assertEqual(MigrationWriter.serialize(rebuilt)[0], source)
            self.assertEqual(rebuilt.describe(), operation.describe())

    def test_djangos_operations_done_concurrently_serialize_with_their_lock_settings(
        self,
    ):
        from django.db import models
        from django.db.migrations.writer import MigrationWriter
        from django.db.models.functions import Upper

        operations = [
            ops.AddIndexConcurrently(
                "order",
                models.Index(fields=["placed_at"], name="order_placed_at_idx"),
                lock_timeout="2s",
                retries=3,
            ),
            ops.AddIndexConcurrently(
                "order", models.Index(Upper("reference"), name="order_upper_idx")
            ),
            ops.RemoveIndexConcurrently("order", "order_placed_at_idx", retries=4),
            ops.AddConstraintConcurrently(
                "order",
                models.UniqueConstraint(
                    fields=["reference"],
                    condition=models.Q(status="paid"),
                    name="order_paid_reference_uniq",
                ),
                lock_timeout="500ms",
            ),
            ops.AddConstraintConcurrently(
                "order",
                models.CheckConstraint(
                    condition=models.Q(amount__gte=0), name="order_amount_gte_0"
                ),
            ),
        ]
        module = f"{APP}.migrations.{MODULE}"
        for operation in operations:
            source, imports = MigrationWriter.serialize(operation)
            self.assertIn(f"import {module}", imports)
            self.assertIn(f"{module}.{type(operation).__name__}(", source)
            namespace = {APP: importlib.import_module(APP), "models": models}
            namespace["django"] = django
            rebuilt = eval(source, namespace)
            self.assertEqual(type(rebuilt), type(operation))
            self.assertEqual(MigrationWriter.serialize(rebuilt)[0], source)
            _, _, kwargs = rebuilt.deconstruct()
            settings = (kwargs["lock_timeout"], kwargs["retries"])
            self.assertEqual(settings, (operation.lock_timeout, operation.retries))
            self.assertEqual(rebuilt.describe(), operation.describe())
            self.assertNotIn("\n", operation.describe())
        self.assertEqual(
            operations[0].describe(),
            "Add index order_placed_at_idx on order concurrently",
        )

    def test_djangos_operations_done_concurrently_change_the_state_as_djangos_do(self):
        from django.db import migrations, models
        from django.db.migrations.state import ModelState, ProjectState

        state = ProjectState()
        state.add_model(
            ModelState(APP, "order", [("id", models.BigAutoField(primary_key=True))])
        )
        index = models.Index(fields=["id"], name="order_id_idx")
        unique = models.UniqueConstraint(fields=["id"], name="order_id_uniq")
        ops.AddIndexConcurrently("order", index).state_forwards(APP, state)
        ops.AddConstraintConcurrently("order", unique).state_forwards(APP, state)
        options = state.models[APP, "order"].options
        self.assertEqual(
            (options["indexes"], options["constraints"]), ([index], [unique])
        )
        ops.RemoveIndexConcurrently("order", "order_id_idx").state_forwards(APP, state)
        self.assertEqual(state.models[APP, "order"].options["indexes"], [])
        # squashmigrations: an index added, then removed, is no operation at all.
        add = ops.AddIndexConcurrently("order", index)
        self.assertIsInstance(add, migrations.AddIndex)
        remove = ops.RemoveIndexConcurrently("order", "order_id_idx")
        self.assertEqual(add.reduce(remove, APP), [])

    def test_operations_change_no_model_state_and_manage_their_own_transactions(self):
        from django.db.migrations.state import ProjectState

        state = ProjectState()
        for operation in (ops.SetNotNull("t", "v"), ops.RunDDL("SELECT 1")):
            operation.state_forwards(APP, state)
            self.assertEqual(state.models, {})
            self.assertIs(operation.atomic, False)

    def test_refuses_a_database_that_is_not_postgresql(self):
        from django.db import NotSupportedError, connections
        from django.db.migrations.state import ProjectState

        refused = self.assertRaisesRegex(NotSupportedError, "migration for PostgreSQL")
        with connections["lite"].schema_editor(atomic=False) as editor, refused:
            operation = ops.SetNotNull("t", "v")
            operation.database_forwards(APP, editor, ProjectState(), ProjectState())

    def test_rejects_a_lock_timeout_that_is_not_an_interval(self):
        with self.assertRaises(ValueError):
            ops.RunDDL("SELECT 1", lock_timeout="1s'; DROP TABLE t; --")


# --- RunDDL ------------------------------------------------------------------------


class RunDDLTests(OpsTestCase):
    def test_runs_forwards_and_backwards(self):
        add = ops.RunDDL(
            ["ALTER TABLE t ADD COLUMN x int", "ALTER TABLE t ADD COLUMN y int"],
            "ALTER TABLE t DROP COLUMN x, DROP COLUMN y",
        )
        run(add)
        self.assertLessEqual({"x", "y"}, columns("t"))
        run(add, "backwards")
        self.assertNotIn("x", columns("t"))

    def test_runs_each_direction_in_one_transaction(self):
        from django.db import ProgrammingError

        broken = ops.RunDDL(["ALTER TABLE t ADD COLUMN x int", "SELECT no_such_thing"])
        with self.assertRaisesRegex(ProgrammingError, "no_such_thing"):
            run(broken)
        self.assertNotIn("x", columns("t"))

    def test_is_safe_to_run_twice_when_its_sql_is(self):
        add = ops.RunDDL("ALTER TABLE t ADD COLUMN IF NOT EXISTS x int")
        run(add)
        run(add)
        self.assertIn("x", columns("t"))

    def test_without_reverse_sql_is_irreversible_and_says_so(self):
        from django.db.migrations.exceptions import IrreversibleError

        drop = ops.RunDDL("ALTER TABLE t DROP COLUMN w")
        self.assertFalse(drop.reversible)
        with self.assertRaisesRegex(IrreversibleError, "no reverse_sql"):
            run(drop, "backwards")

    def test_an_empty_reverse_sql_means_nothing_to_undo(self):
        for nothing in ("", []):
            operation = ops.RunDDL(
                "ALTER TABLE t ADD COLUMN IF NOT EXISTS x int", nothing
            )
            self.assertTrue(operation.reversible)
            run(operation, "backwards")

    def test_leaves_no_lock_timeout_behind(self):
        from django.db import connection

        run(ops.RunDDL("ALTER TABLE t ADD COLUMN x int", lock_timeout="300ms"))
        with connection.cursor() as cursor:
            cursor.execute("SHOW lock_timeout")
            self.assertEqual(cursor.fetchone()[0], "0")

    def test_in_an_atomic_migration_runs_as_a_savepoint_and_restores_lock_timeout(self):
        from django.db import connection

        with connection.schema_editor(atomic=True) as editor:
            from django.db.migrations.state import ProjectState

            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '7s'")
                cursor.execute("SET LOCAL statement_timeout = '9s'")
            step = ops.RunDDL("ALTER TABLE t ADD COLUMN x int", lock_timeout="300ms")
            step.database_forwards(APP, editor, ProjectState(), ProjectState())
            with connection.cursor() as cursor:
                cursor.execute("SHOW lock_timeout")
                self.assertEqual(cursor.fetchone()[0], "7s")
                cursor.execute("SHOW statement_timeout")
                self.assertEqual(cursor.fetchone()[0], "9s")
        self.assertIn("x", columns("t"))

    def test_a_step_holding_a_lock_writers_wait_for_is_stopped_by_statement_timeout(
        self,
    ):
        # Locked, a table whose step then runs on (a scan, a rewrite) stalls every
        # writer: lock_timeout + HOLD_LIMIT later the step is stopped, and undone.
        step = ops.RunDDL(
            ["ALTER TABLE t ADD COLUMN x int", "SELECT pg_sleep(3)"],
            lock_timeout="100ms",
        )
        started = time.monotonic()
        with self.assertRaises(ops.StepTimedOut) as failure:
            run(step)
        self.assertLess(time.monotonic() - started, 2.5)
        self.assertIn("stopped by its statement_timeout 1100ms", str(failure.exception))
        self.assertIn("run migrate again", str(failure.exception))
        self.assertNotIn("x", columns("t"))

    def test_a_step_that_blocks_no_writer_is_not_cut_short_by_a_statement_timeout(self):
        # A validation or a backfill batch on a large table takes its time: a role's or
        # a session's statement_timeout must not stop it halfway.
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = '100ms'")
        try:
            run(ops.RunDDL("SELECT pg_sleep(0.3)"))
            run(ops.RunDDL(["ALTER TABLE t ADD COLUMN x int", "SELECT pg_sleep(0.3)"]))
            with connection.cursor() as cursor:
                cursor.execute("SHOW statement_timeout")
                self.assertEqual(cursor.fetchone()[0], "100ms")
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET statement_timeout")
        self.assertIn("x", columns("t"))


# --- lock_timeout and retries ------------------------------------------------------


class LockRetries(OpsTestCase):
    def test_a_step_blocked_by_a_long_transaction_retries_until_it_gets_the_lock(self):
        step = ops.RunDDL("ALTER TABLE t ADD COLUMN x int", lock_timeout="200ms")
        with Blocker("SELECT count(*) FROM t", 2.0), Writer("t") as writer:
            started = time.monotonic()
            stderr = self.stderr_of(lambda: run(step))
            elapsed = time.monotonic() - started
            time.sleep(0.2)  # the writer writes on after the step
        self.assertIn("x", columns("t"))
        self.assertGreater(elapsed, 1.5)
        self.assertRegex(stderr, r"no lock in 200ms \(try 1/10\), wait 0\.\ds")
        # Without lock_timeout the writer would wait the whole 2 s behind the ALTER.
        self.assertLess(writer.worst, 1.0, "writers stalled")

    def test_a_step_blocked_longer_than_all_its_tries_fails_and_changes_nothing(self):
        from django.db import connection

        step = ops.RunDDL(
            [
                "ALTER TABLE t ADD COLUMN x int",
                "ALTER TABLE t ALTER COLUMN v SET NOT NULL",
            ],
            lock_timeout="100ms",
            retries=3,
        )
        blocker = Blocker("SELECT count(*) FROM t", 3.0)
        with blocker, self.assertRaises(ops.StepTimedOut) as failure:
            self.stderr_of(lambda: run(step))
        message = str(failure.exception)
        self.assertIn("3 times", message)
        self.assertIn("pg_stat_activity", message)
        self.assertIn("run migrate again", message)
        self.assertNotIn("x", columns("t"))
        self.assertFalse(is_not_null("t", "v"))
        with connection.cursor() as cursor:
            cursor.execute("SHOW lock_timeout")
            self.assertEqual(cursor.fetchone()[0], "0")

    def test_waits_out_a_long_transaction_instead_of_queueing_writers_behind_it(self):
        # Quoted names, as generated migrations write them, tell the step its tables.
        step = ops.RunDDL('ALTER TABLE "t" ADD COLUMN x int', lock_timeout="1s")
        with Blocker("SELECT count(*) FROM t", 1.5), Writer("t") as writer:
            started = time.monotonic()
            stderr = self.stderr_of(lambda: run(step))
            elapsed = time.monotonic() - started
            time.sleep(0.2)
        self.assertIn("x", columns("t"))
        self.assertGreater(elapsed, 1.0)  # it did wait for the reader to end
        self.assertRegex(stderr, r"waiting for pid \d+ to end its transaction on t ")
        self.assertNotIn("no lock in", stderr)  # and never queued behind it
        # Queued behind the reader, the ALTER would have held writers for lock_timeout.
        self.assertLess(writer.worst, 0.2, "writers stalled")

    def test_waits_for_a_transaction_on_a_table_tied_by_a_foreign_key(self):
        sql(
            "ALTER TABLE child ADD CONSTRAINT child_parent"
            " FOREIGN KEY (parent_id) REFERENCES parent (id)"
        )
        # Dropping child drops its constraint's triggers on parent: parent gets locked too.
        step = ops.RunDDL('DROP TABLE IF EXISTS "child"', lock_timeout="1s")
        with Blocker("SELECT count(*) FROM parent", 1.0):
            stderr = self.stderr_of(lambda: run(step))
        self.assertRegex(
            stderr, r"waiting for pid \d+ to end its transaction on parent"
        )
        self.assertNotIn("no lock in", stderr)

    def test_in_an_atomic_migration_sees_transactions_begun_after_its_first_read(self):
        # PostgreSQL keeps a transaction's first read of pg_stat_activity: in an atomic
        # migration, a later step would wait on sessions as they were (or miss new ones).
        from django.db import transaction

        first = ops.RunDDL('ALTER TABLE "t" ADD COLUMN x int', lock_timeout="1s")
        second = ops.RunDDL('ALTER TABLE "parent" ADD COLUMN y int', lock_timeout="1s")
        with transaction.atomic():
            run(first)  # reads pg_stat_activity before the reader below began
            with Blocker("SELECT count(*) FROM parent", 1.0):
                time.sleep(0.2)
                stderr = self.stderr_of(lambda: run(second))
        self.assertRegex(
            stderr, r"waiting for pid \d+ to end its transaction on parent"
        )
        self.assertNotIn("no lock in", stderr)

    def test_does_not_wait_for_a_transaction_that_waits_for_this_migration(self):
        # An atomic migration keeps what its earlier steps locked. A writer queued behind
        # them, holding a lock on a table tied by a foreign key, cannot end first: waiting
        # for it stalled both for the whole patience (measured: 60 s in the matrix).
        from django.db import transaction

        sql(
            "ALTER TABLE child ADD CONSTRAINT child_parent"
            " FOREIGN KEY (parent_id) REFERENCES parent (id)"
        )
        first = ops.RunDDL('ALTER TABLE "child" ADD COLUMN x int', lock_timeout="1s")
        second = ops.RunDDL('ALTER TABLE "child" ADD COLUMN y int', lock_timeout="1s")
        locked = threading.Event()

        def writer():
            with side_connection() as conn, conn.transaction():
                conn.execute("SELECT * FROM parent FOR KEY SHARE")
                locked.set()
                conn.execute("INSERT INTO child (parent_id) VALUES (1)")  # queues

        with transaction.atomic():
            run(first)  # ACCESS EXCLUSIVE on child, until the migration commits
            thread = threading.Thread(target=writer)
            thread.start()
            locked.wait(10)
            time.sleep(0.3)  # queued, and open for longer than LONG_TRANSACTION
            stderr = self.stderr_of(lambda: run(second))
        thread.join(10)
        self.assertNotIn("waiting for pid", stderr)
        self.assertIn("y", columns("child"))

    def test_waits_no_longer_than_its_tries_would_take_then_tries_and_fails(self):
        step = ops.RunDDL(
            'ALTER TABLE "t" ADD COLUMN x int', lock_timeout="100ms", retries=3
        )
        started = time.monotonic()
        with Blocker("SELECT count(*) FROM t", 4.0):
            with self.assertRaises(ops.StepTimedOut):
                self.stderr_of(lambda: run(step))
            elapsed = time.monotonic() - started
        # 3 tries of 100 ms with backoffs of 0.1 and 0.2 s: 0.6 s of waiting, then the tries.
        self.assertLess(elapsed, 2.5)
        self.assertNotIn("x", columns("t"))

    def test_behind_autovacuum_a_try_waits_past_deadlock_timeout_so_it_gives_way(self):
        # Autovacuum is cancelled for a lock request queued behind it for deadlock_timeout
        # (1 s): a try that gave up at 500 ms would never get the lock. No test can make
        # autovacuum hold a table on cue, so the holder found is said to be autovacuum.
        found = ops._Steps.wait_out_long_transactions
        ops._Steps.wait_out_long_transactions = lambda *args: (0.0, True)
        try:
            step = ops.RunDDL(
                'ALTER TABLE "t" ADD COLUMN x int', lock_timeout="500ms", retries=1
            )
            with Blocker("SELECT count(*) FROM t", 1.2):
                self.stderr_of(lambda: run(step))
        finally:
            ops._Steps.wait_out_long_transactions = found
        self.assertIn("x", columns("t"))

    def test_only_steps_that_block_writers_wait_for_long_transactions(self):
        names = ops._locked_names(
            [
                'UPDATE "t" SET "w" = 1 WHERE "id" < 10',
                'ALTER TABLE "t" VALIDATE CONSTRAINT "t_check"',
                'ALTER TABLE "parent" ADD COLUMN "x" int',
                'DROP TABLE IF EXISTS "a", "b"',
            ]
        )
        self.assertEqual(names, ['"a"', '"b"', '"parent"', '"x"'])

    def test_retries_inside_an_atomic_migration_too(self):
        step = ops.RunDDL("ALTER TABLE t ADD COLUMN x int", lock_timeout="100ms")
        with Blocker("SELECT count(*) FROM t", 1.0):
            self.stderr_of(lambda: run(step, atomic=True))
        self.assertIn("x", columns("t"))

    def test_a_writer_in_a_deadlock_with_a_step_on_two_tables_is_never_the_one_cancelled(
        self,
    ):
        # Dropping a foreign key locks child, then parent. A writer that read parent and
        # queued for child behind the step is in a deadlock with it once the step holds
        # child; PostgreSQL cancels the waiter that reaches deadlock_timeout first. With
        # lock_timeout = deadlock_timeout, that was the writer (it queued first): the
        # previous release's INSERT failed in the blue-green matrix.
        from django.db import connection

        sql(
            "ALTER TABLE child ADD CONSTRAINT child_parent"
            " FOREIGN KEY (parent_id) REFERENCES parent (id)"
        )
        step = ops.RunDDL(
            'ALTER TABLE "child" DROP CONSTRAINT child_parent',
            lock_timeout="3s",
            retries=3,
        )
        writer_error, queued = [], threading.Event()

        def writer():
            # The step is queued for child (behind the blocker): so is this INSERT.
            while not value(
                "SELECT count(*) FROM pg_locks WHERE NOT granted AND mode = %s",
                ["AccessExclusiveLock"],
            ):
                time.sleep(0.01)
            with side_connection() as conn:
                conn.execute("SET deadlock_timeout = '3s'")
                try:
                    with conn.transaction():
                        conn.execute("SELECT * FROM parent")
                        queued.set()
                        conn.execute("INSERT INTO child (parent_id) VALUES (1)")
                except psycopg.Error as error:
                    writer_error.append(error)
                queued.set()

        # Long transactions are waited out before a try; this deadlock needs a writer
        # that begins just after, which no test can time: the wait is skipped.
        found = ops._Steps.wait_out_long_transactions
        ops._Steps.wait_out_long_transactions = lambda *args: (0.0, False)
        thread = threading.Thread(target=writer)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET deadlock_timeout = '3s'")
            with Blocker("SELECT count(*) FROM child", 0.6):
                thread.start()
                stderr = self.stderr_of(lambda: run(step))
        finally:
            ops._Steps.wait_out_long_transactions = found
            with connection.cursor() as cursor:
                cursor.execute("RESET deadlock_timeout")
            thread.join(20)
        self.assertEqual(writer_error, [])
        self.assertEqual(value("SELECT count(*) FROM child"), 2)
        self.assertFalse(
            value("SELECT count(*) FROM pg_constraint WHERE conname = 'child_parent'")
        )
        # Each of the try's two waits under a third of deadlock_timeout, with more tries.
        self.assertRegex(stderr, r"no lock in 1000ms \(try 1/\d+\)")

    def test_shorter_tries_keep_the_patience_of_the_steps_own(self):
        # An index's step waits up to 1min a try, 10 tries: ~10.5 minutes in all.
        patience = ops._patience("1min", 10)
        tries = ops._tries_within(patience, 0.2)
        self.assertLessEqual(patience, ops._patience("200ms", tries))
        self.assertLess(ops._patience("200ms", tries - 1), patience)
        self.assertLess(tries, 200)

    def test_other_errors_are_not_retried(self):
        step = ops.RunDDL("ALTER TABLE t ADD COLUMN v int")  # v exists
        started = time.monotonic()
        with self.assertRaisesRegex(Exception, "already exists"):
            run(step)
        self.assertLess(time.monotonic() - started, 0.5)


# --- BackfillInBatches -------------------------------------------------------------


@contextlib.contextmanager
def batch_seconds(seconds):
    """Batches aim at this long (so that tests know their batches' sizes)."""
    ops.BATCH_SECONDS, before = seconds, ops.BATCH_SECONDS
    try:
        yield
    finally:
        ops.BATCH_SECONDS = before


@contextlib.contextmanager
def patched(**constants):
    """The runtime's module constants set for the duration (batch sizes, the version
    from which it walks pages), so that tests know what its batches are."""
    before = {name: getattr(ops, name) for name in constants}
    for name, setting in constants.items():
        setattr(ops, name, setting)
    try:
        yield
    finally:
        for name, setting in before.items():
            setattr(ops, name, setting)


def wide_table(rows, order="ASC"):
    """t again, three rows to a page (pad is stored as it is, not compressed), its rows
    written in the order of id, or reversed: a walk of pages then has batches of a few
    rows, and a physical order that is not the key's."""
    sql(
        "DROP TABLE t CASCADE; CREATE TABLE t (id bigint PRIMARY KEY, v integer,"
        " w integer, xid bigint, pad char(2500));"
        "ALTER TABLE t ALTER COLUMN pad SET STORAGE PLAIN;"
        "INSERT INTO t (id, v, pad) SELECT i, i, 'x'"
        f" FROM generate_series(1, {rows}) i ORDER BY i {order}"
    )
    per_page = "SELECT count(*) n FROM t GROUP BY (ctid::text::point)[0]"
    assert value(f"SELECT max(n) FROM ({per_page}) p") == 3


def batches_by_id():
    """The ids each transaction updated, in the order the transactions ran."""
    rows = sql(
        "SELECT array_agg(id ORDER BY id) FROM t WHERE xid IS NOT NULL"
        " GROUP BY xid ORDER BY xid"
    )
    return [ids for (ids,) in rows]


class Backfilling:
    """What a backfill does whichever way it walks the table (mixed into the two
    classes below: the page walk, and the keyset walk of PostgreSQL 13 and older)."""

    def backfill(self, **options):
        options.setdefault("batch_size", 10)
        return ops.BackfillInBatches(
            "t", "w = v * 2", "w IS DISTINCT FROM v * 2", **options
        )

    def test_fills_every_row(self):
        run(self.backfill())
        self.assertEqual(value("SELECT count(*) FROM t WHERE w = v * 2"), 25)

    def test_a_second_run_updates_nothing(self):
        run(self.backfill())
        sql(
            "CREATE TABLE audit (n int); CREATE FUNCTION audit() RETURNS trigger "
            "LANGUAGE plpgsql AS 'BEGIN INSERT INTO audit VALUES (1); RETURN NEW; END';"
            "CREATE TRIGGER audit AFTER UPDATE ON t FOR EACH ROW EXECUTE FUNCTION audit()"
        )
        try:
            run(self.backfill())
            self.assertEqual(value("SELECT count(*) FROM audit"), 0)
        finally:
            sql("DROP TABLE audit; DROP FUNCTION audit() CASCADE")

    def test_a_run_after_an_interruption_updates_only_the_rows_left(self):
        # Batches of 3 rows (a page of wide_table); the batch with id 20 fails while
        # "fuse" has a row: the 18 rows before it stay filled.
        wide_table(30)
        sql(
            "CREATE TABLE fuse (); INSERT INTO fuse DEFAULT VALUES;"
            "CREATE FUNCTION fill(i bigint, v int) RETURNS int LANGUAGE plpgsql AS"
            " 'BEGIN IF i = 20 AND EXISTS (SELECT FROM fuse) THEN"
            " RAISE EXCEPTION ''interrupted''; END IF; RETURN v * 2; END';"
            "CREATE TABLE audit (n int); CREATE FUNCTION audit() RETURNS trigger "
            "LANGUAGE plpgsql AS 'BEGIN INSERT INTO audit VALUES (1); RETURN NEW; END';"
        )
        backfill = ops.BackfillInBatches(
            "t", "w = fill(id, v)", "w IS NULL", batch_size=3
        )
        try:
            with self.assertRaisesRegex(Exception, "interrupted"):
                run(backfill)
            filled = value("SELECT count(w) FROM t")
            self.assertEqual(filled, 18)
            sql(
                "DELETE FROM fuse; CREATE TRIGGER audit AFTER UPDATE ON t"
                " FOR EACH ROW EXECUTE FUNCTION audit()"
            )
            run(backfill)
            self.assertEqual(value("SELECT count(*) FROM t WHERE w = v * 2"), 30)
            self.assertEqual(value("SELECT count(*) FROM audit"), 30 - filled)
        finally:
            sql(
                "DROP TABLE IF EXISTS fuse, audit; DROP FUNCTION fill;"
                " DROP FUNCTION audit() CASCADE"
            )

    def test_walks_a_uuid_primary_key_which_has_no_min_or_max(self):
        sql(
            "DROP TABLE IF EXISTS u; CREATE TABLE u (id uuid PRIMARY KEY"
            " DEFAULT gen_random_uuid(), v integer, w integer, xid bigint);"
            "INSERT INTO u (v) SELECT i FROM generate_series(1, 25) i"
        )
        run(ops.BackfillInBatches("u", "w = v", "w IS NULL", batch_size=10))
        self.assertEqual(value("SELECT count(*) FROM u WHERE w = v"), 25)

    def test_walks_a_text_primary_key_in_the_databases_order(self):
        sql(
            "DROP TABLE IF EXISTS s; CREATE TABLE s (code varchar(10) PRIMARY KEY,"
            " v integer, w integer);"
            "INSERT INTO s SELECT chr(65 + i % 26) || i, i FROM generate_series(1, 25) i;"
            "INSERT INTO s VALUES ('', 0), ('a b', 26), ('%', 27)"
        )
        run(ops.BackfillInBatches("s", "w = v", "w IS NULL", pk="code", batch_size=4))
        self.assertEqual(value("SELECT count(*) FROM s WHERE w = v"), 28)

    def test_takes_percent_signs_in_its_sql_literally(self):
        run(ops.BackfillInBatches("t", "name = name || '%'", "name NOT LIKE '%\\%'"))
        self.assertEqual(value("SELECT count(*) FROM t WHERE name LIKE '%\\%'"), 25)

    def test_does_nothing_on_an_empty_table_and_backwards(self):
        run(self.backfill(), "backwards")
        self.assertEqual(value("SELECT count(w) FROM t"), 0)
        sql("DELETE FROM t")
        run(self.backfill())

    def test_then_vacuums_and_analyzes_the_table(self):
        # Autovacuum would otherwise soon hold the table, and the next step's lock
        # request queue writers behind it for deadlock_timeout (measured: 1 s stalls).
        run(self.backfill())
        stats = "SELECT n_dead_tup, last_vacuum, last_analyze FROM pg_stat_user_tables"
        # Before PostgreSQL 15, a statistics process publishes them, up to a second later.
        deadline = time.monotonic() + 10
        while True:
            dead, vacuumed, analyzed = sql(f"{stats} WHERE relid = 't'::regclass")[0]
            if vacuumed is not None or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(dead, 0)
        self.assertIsNotNone(vacuumed)
        self.assertIsNotNone(analyzed)

    def test_neither_its_batches_nor_its_vacuum_wait_for_a_long_reader(self):
        started = time.monotonic()
        with Blocker("SELECT count(*) FROM t", 1.5):
            run(self.backfill())
            finished = time.monotonic() - started
        self.assertLess(finished, 1.0)
        self.assertEqual(value("SELECT count(*) FROM t WHERE w = v * 2"), 25)

    def test_in_an_atomic_migration_leaves_the_vacuum_to_autovacuum(self):
        run(self.backfill(), atomic=True)  # VACUUM cannot run in a transaction
        self.assertEqual(value("SELECT count(*) FROM t WHERE w = v * 2"), 25)
        vacuumed = (
            "SELECT last_vacuum FROM pg_stat_user_tables WHERE relid = 't'::regclass"
        )
        self.assertIsNone(value(vacuumed))


class BackfillTests(Backfilling, OpsTestCase):
    """PostgreSQL 14+: the table's pages in physical order, then a sweep by key."""

    def setUp(self):
        super().setUp()
        if int(value("SHOW server_version_num")) < 140000:
            self.skipTest("the page walk needs PostgreSQL 14+ (Tid Range Scan)")

    def test_walks_the_pages_in_physical_order_each_batch_committed(self):
        # Ids written in reverse, three to a page; batches of 6 rows are 2 pages.
        wide_table(30, "DESC")
        backfill = ops.BackfillInBatches(
            "t", "w = v, xid = txid_current()", "w IS NULL", batch_size=6
        )
        with patched(PAGE_BATCH_SECONDS=60):
            run(backfill)
        self.assertEqual(
            batches_by_id(),
            [list(range(first, first + 6)) for first in (25, 19, 13, 7, 1)],
        )

    def test_batches_shrink_at_once_to_their_aim(self):
        # The first batch, 12 rows of 20 ms, takes 0.24 s against 0.02 s: the next are
        # one page (3 rows), the smallest a page walk has.
        wide_table(30)
        sql(
            "CREATE OR REPLACE FUNCTION slow(i int) RETURNS int "
            "LANGUAGE sql AS 'SELECT i FROM pg_sleep(0.02)'"
        )
        backfill = ops.BackfillInBatches(
            "t", "w = slow(v), xid = txid_current()", "w IS NULL"
        )
        with patched(FIRST_BATCH_ROWS=12):
            run(backfill)
        batches = batches_by_id()
        self.assertEqual(batches[0], list(range(1, 13)))
        self.assertEqual({len(ids) for ids in batches[1:]}, {3})

    def test_a_row_a_writer_holds_is_skipped_then_filled_by_the_sweep(self):
        sql("ALTER TABLE t ADD COLUMN xid bigint")
        backfill = ops.BackfillInBatches(
            "t", "w = v * 2, xid = txid_current()", "w IS NULL", lock_timeout="100ms"
        )
        with Blocker("SELECT * FROM t WHERE id = 3 FOR UPDATE", 0.6):
            stderr = self.stderr_of(lambda: run(backfill))
        # The walk did not wait for row 3 (it would have said "no lock"): the sweep did.
        self.assertNotRegex(stderr, r"backfill t pages \d+\.\.\d+: no lock")
        self.assertIn("backfill t rows left, id 3..3: no lock in 100ms", stderr)
        self.assertIn("backfill t: 1 rows the page walk left", stderr)
        self.assertEqual(value("SELECT count(*) FROM t WHERE w = v * 2"), 25)
        ids = [
            ids
            for (ids,) in sql("SELECT array_agg(id) FROM t GROUP BY xid ORDER BY xid")
        ]
        self.assertEqual(ids[-1], [3])

    def test_a_row_held_past_the_sweeps_tries_fails_the_step_and_a_rerun_fills_it(self):
        backfill = self.backfill(lock_timeout="100ms", retries=2)
        started = time.monotonic()
        with Blocker("SELECT * FROM t WHERE id = 3 FOR UPDATE", 2.0):
            with self.assertRaisesRegex(
                ops.StepTimedOut, "rows left, id 3..3: no lock"
            ):
                self.stderr_of(lambda: run(backfill))
            # Two tries of 100 ms and a backoff: the walk itself waited for nothing.
            self.assertLess(time.monotonic() - started, 1.5)
            self.assertEqual(value("SELECT array_agg(id) FROM t WHERE w IS NULL"), [3])
        run(backfill)
        self.assertEqual(value("SELECT count(*) FROM t WHERE w = v * 2"), 25)

    def test_a_row_moved_by_a_rewrite_during_the_walk_is_filled_by_the_sweep(self):
        # The walk covers the pages the table had at its start; VACUUM FULL after the
        # first block moves the rest to pages the walk will not read as they were.
        wide_table(30, "DESC")
        backfill = ops.BackfillInBatches("t", "w = v", "w IS NULL", batch_size=3)
        run_block = ops.BackfillInBatches.run_block

        def then_rewrite(operation, *args):
            done = run_block(operation, *args)
            sql("VACUUM FULL t")
            return done

        with (
            patched(BLOCK_SECONDS=0.0),
            mock.patch.object(ops.BackfillInBatches, "run_block", then_rewrite),
        ):
            stderr = self.stderr_of(lambda: run(backfill))
        self.assertEqual(value("SELECT count(*) FROM t WHERE w = v"), 30)
        self.assertRegex(stderr, r"backfill t: \d+ rows the page walk left")

    def test_reports_progress_on_long_runs(self):
        with patched(PROGRESS_EVERY=0.0):
            stderr = self.stderr_of(lambda: run(self.backfill()))
        self.assertRegex(
            stderr,
            r"backfill t: 25 rows updated, 1 of 1 pages walked \(100%\), \d+ rows/s\n",
        )

    def test_says_how_long_is_left_from_the_pages_walked(self):
        stderr = self.stderr_of(lambda: self.backfill().report_pages(10, 4, 10, 2.0))
        self.assertIn(
            "10 rows updated, 4 of 10 pages walked (40%), 5 rows/s, ~3s left", stderr
        )

    def test_sets_its_session_settings_back(self):
        from django.db import connection

        settings = (
            "SELECT current_setting('lock_timeout'), current_setting('statement_timeout'),"
            " current_setting('client_min_messages')"
        )
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = '7s'")
            cursor.execute(settings)
            before = cursor.fetchone()
            run(self.backfill(lock_timeout="300ms"))
            cursor.execute(settings)
            self.assertEqual(cursor.fetchone(), before)
            cursor.execute("RESET statement_timeout")

    def test_sqlmigrate_shows_the_walk_the_sweep_and_the_keyset_walk_then_the_vacuum(
        self,
    ):
        shown = run(self.backfill(), collect_sql=True).collected_sql
        self.assertEqual(shown[-1], 'VACUUM (ANALYZE) "t";')
        self.assertTrue(
            shown[-4].startswith("PREPARE bg_scaffold_backfill AS UPDATE"), shown
        )
        comments = [line for line in shown if line.startswith("-- bg-scaffold: ")]
        self.assertRegex(
            comments[0], r"^-- bg-scaffold: on PostgreSQL 14\+, the table's pages"
        )
        self.assertRegex(
            comments[1], r"^-- bg-scaffold: then the rows the page walk left"
        )
        self.assertRegex(
            comments[2],
            r"^-- bg-scaffold: on PostgreSQL 13 and older, instead of both: keyset",
        )
        self.assertIn(
            "PREPARE bg_scaffold_sweep AS UPDATE", shown[shown.index(comments[1]) + 4]
        )

    def test_the_block_sqlmigrate_shows_runs_and_scans_only_its_pages(self):
        # The shown block with its placeholders given: pages 0 and 1, a page a batch.
        # (On a table of a few pages, the planner rightly reads them all instead.)
        wide_table(300)
        shown = run(self.backfill(), collect_sql=True).collected_sql
        (block,) = [s for s in shown if s.startswith("DO $")]
        for placeholder, number in (("$1", 0), ("$2", 2), ("$3", 1), ("$4", 1)):
            block = block.replace(placeholder, str(number))
        plans = []
        with side_connection() as conn:
            conn.add_notice_handler(lambda notice: plans.append(notice.message_primary))
            try:
                conn.execute("LOAD 'auto_explain'")
            except psycopg.Error:
                loaded = False  # not a superuser: the rows are checked, not the plan
            else:
                loaded = True
                conn.execute(
                    "SET auto_explain.log_min_duration = 0;"
                    "SET auto_explain.log_nested_statements = on;"
                    "SET client_min_messages = log"
                )
            conn.execute(block.rstrip(";"))
        self.assertEqual(
            value("SELECT array_agg(id ORDER BY id) FROM t WHERE w = v * 2"),
            list(range(1, 7)),
        )
        self.assertIn("bg_scaffold_block rows=6 step=1 batches=2", plans)
        if loaded:
            updates = [plan for plan in plans if "Update on t" in plan]
            self.assertEqual(len(updates), 2, plans)
            for plan in updates:
                self.assertIn("Tid Range Scan on t", plan)
                self.assertNotIn("Seq Scan", plan)


class KeysetBackfillTests(Backfilling, OpsTestCase):
    """As on PostgreSQL 13 and older, which have no Tid Range Scan: keyset batches."""

    def setUp(self):
        super().setUp()
        keyset = patched(PAGE_WALK_SINCE=10**9)
        keyset.__enter__()
        self.addCleanup(keyset.__exit__, None, None, None)

    def test_commits_each_batch_in_its_own_transaction(self):
        sql("ALTER TABLE t ADD COLUMN xid bigint")
        backfill = ops.BackfillInBatches(
            "t", "w = v, xid = txid_current()", "w IS NULL", batch_size=10
        )
        with batch_seconds(60):
            run(backfill)
        # ids 1-25 in batches of 10: three transactions.
        self.assertEqual(value("SELECT count(DISTINCT xid) FROM t"), 3)

    def test_walks_the_keys_in_order_whatever_the_physical_order(self):
        wide_table(30, "DESC")
        backfill = ops.BackfillInBatches(
            "t", "w = v, xid = txid_current()", "w IS NULL", batch_size=6
        )
        with batch_seconds(60), patched(MIN_BATCH=1):
            run(backfill)
        self.assertEqual(
            batches_by_id(),
            [list(range(first, first + 6)) for first in (1, 7, 13, 19, 25)],
        )

    def test_finished_batches_are_visible_to_others_while_it_runs(self):
        sql(
            "CREATE OR REPLACE FUNCTION slow(i int) RETURNS int "
            "LANGUAGE sql AS 'SELECT i FROM pg_sleep(0.05)'"
        )
        backfill = ops.BackfillInBatches("t", "w = slow(v)", "w IS NULL", batch_size=5)
        seen = set()

        def backfill_in_a_thread():
            from django.db import connection

            try:
                with batch_seconds(60):
                    run(backfill)
            finally:
                connection.close()

        worker = threading.Thread(target=backfill_in_a_thread)
        worker.start()
        while worker.is_alive():
            seen.add(value("SELECT count(w) FROM t"))
            time.sleep(0.02)
        worker.join()
        self.assertTrue(seen & {5, 10, 15, 20}, f"saw only {sorted(seen)}")

    def test_batches_shrink_to_hold_their_row_locks_briefly(self):
        sql(
            "ALTER TABLE t ADD COLUMN xid bigint;"
            "CREATE OR REPLACE FUNCTION slow(i int) RETURNS int "
            "LANGUAGE sql AS 'SELECT i FROM pg_sleep(0.02)'"
        )
        backfill = ops.BackfillInBatches(
            "t", "w = slow(v), xid = txid_current()", "w IS NULL", batch_size=10
        )
        # A batch of 10 rows takes 0.2 s: the next batches are smaller.
        with batch_seconds(0.05), patched(MIN_BATCH=1):
            run(backfill)
        self.assertEqual(value("SELECT count(w) FROM t"), 25)
        largest = (
            "SELECT max(n) FROM (SELECT count(*) n FROM t WHERE id > 10 GROUP BY xid) b"
        )
        self.assertLessEqual(value(largest), 5)

    def test_the_update_scans_only_its_range(self):
        # Found by the write-stall benchmark: each batch scanned the whole table.
        sql("INSERT INTO t (v) SELECT i FROM generate_series(1, 20000) i; ANALYZE t")
        shown = run(self.backfill(), collect_sql=True).collected_sql
        prepared = next(
            s for s in shown if s.startswith("PREPARE bg_scaffold_backfill")
        )
        update = prepared.rstrip(";").split(" AS ", 1)[1]
        update = update.replace("$1", "1").replace("$2", "11")
        plan = "\n".join(row[0] for row in sql(f"EXPLAIN {update}"))
        self.assertNotIn("Seq Scan", plan)

    def test_walks_a_uuid_key_in_batches_of_the_next_keys(self):
        sql(
            "DROP TABLE IF EXISTS u; CREATE TABLE u (id uuid PRIMARY KEY"
            " DEFAULT gen_random_uuid(), v integer, w integer, xid bigint);"
            "INSERT INTO u (v) SELECT i FROM generate_series(1, 25) i"
        )
        backfill = ops.BackfillInBatches(
            "u", "w = v, xid = txid_current()", "w IS NULL", batch_size=10
        )
        with batch_seconds(60):
            run(backfill)
        self.assertEqual(value("SELECT count(*) FROM u WHERE w = v"), 25)
        self.assertEqual(value("SELECT count(DISTINCT xid) FROM u"), 3)

    def test_waits_out_row_locks_with_retries(self):
        with Blocker("SELECT * FROM t WHERE id = 3 FOR UPDATE", 0.6):
            stderr = self.stderr_of(lambda: run(self.backfill(lock_timeout="100ms")))
        self.assertIn("backfill t id 1..10: no lock in 100ms", stderr)
        self.assertEqual(value("SELECT count(*) FROM t WHERE w = v * 2"), 25)

    def test_reports_progress_on_long_runs(self):
        with patched(PROGRESS_EVERY=0.0):
            stderr = self.stderr_of(lambda: run(self.backfill()))
        self.assertRegex(
            stderr,
            r"backfill t: 25 rows updated, 25 walked by id( \(~\d+%\))?, \d+ rows/s"
            r"(, ~\d+s left)?",
        )

    def test_says_how_long_is_left(self):
        # From the planner's estimate (25 rows) and the pace so far (10 in 2 s).
        backfill = self.backfill()
        stderr = self.stderr_of(lambda: backfill.report(10, 10, 25, 2.0))
        self.assertIn("10 walked by id (~40%), 5 rows/s, ~3s left", stderr)
        self.assertEqual(
            [ops._duration(s) for s in (0.2, 42, 425, 7980)],
            ["0s", "42s", "7m05s", "2h13m"],
        )


# --- SetNotNull / DropNotNull ------------------------------------------------------


class NotNullTests(OpsTestCase):
    check = property(lambda self: django_name("t", "v", "_bg_notnull"))

    def test_sets_not_null_through_a_check_and_leaves_no_check_behind(self):
        run(ops.SetNotNull("t", "v"))
        self.assertTrue(is_not_null("t", "v"))
        self.assertIsNone(constraint("t", self.check))

    def test_set_not_null_trusts_the_validated_check_instead_of_scanning(self):
        from django.db import connection

        connection.ensure_connection()
        notices = []

        def notice(diagnostic):
            notices.append(diagnostic.message_primary)

        connection.connection.add_notice_handler(notice)
        with connection.cursor() as cursor:
            cursor.execute("SET client_min_messages = debug1")
        try:
            run(ops.SetNotNull("t", "v"))
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET client_min_messages")
            connection.connection.remove_notice_handler(notice)
        self.assertTrue(
            any(
                "sufficient to prove that it does not contain nulls" in n
                for n in notices
            ),
            notices,
        )

    def test_is_safe_to_run_twice(self):
        run(ops.SetNotNull("t", "v"))
        run(ops.SetNotNull("t", "v"))
        self.assertTrue(is_not_null("t", "v"))

    def test_picks_up_after_a_failure_halfway(self):
        # A run that stopped after adding the check, before validating it.
        sql(
            f'ALTER TABLE t ADD CONSTRAINT "{self.check}" CHECK (v IS NOT NULL) NOT VALID'
        )
        run(ops.SetNotNull("t", "v"))
        self.assertTrue(is_not_null("t", "v"))
        self.assertIsNone(constraint("t", self.check))

    def test_drops_a_check_left_over_on_a_column_that_is_already_not_null(self):
        sql(
            f'ALTER TABLE t ALTER v SET NOT NULL, ADD CONSTRAINT "{self.check}" CHECK (v > 0)'
        )
        run(ops.SetNotNull("t", "v"))
        self.assertIsNone(constraint("t", self.check))

    def test_fails_on_nulls_and_leaves_the_column_nullable(self):
        with self.assertRaisesRegex(Exception, "still has NULL rows"):
            run(ops.SetNotNull("t", "w"))
        self.assertFalse(is_not_null("t", "w"))
        # A NOT VALID check would still refuse new NULLs from the serving code: it is gone.
        self.assertIsNone(constraint("t", self.check))
        sql("INSERT INTO t (w) VALUES (NULL)")
        sql("DELETE FROM t WHERE w IS NULL AND id = (SELECT max(id) FROM t)")
        sql("UPDATE t SET w = 0")
        run(ops.SetNotNull("t", "w"))  # the re-run finishes the job
        self.assertTrue(is_not_null("t", "w"))

    def test_backwards_drops_not_null(self):
        run(ops.SetNotNull("t", "v"))
        run(ops.SetNotNull("t", "v"), "backwards")
        self.assertFalse(is_not_null("t", "v"))

    def test_drop_not_null_forwards_and_backwards(self):
        sql("ALTER TABLE t ALTER v SET NOT NULL")
        run(ops.DropNotNull("t", "v"))
        self.assertFalse(is_not_null("t", "v"))
        run(ops.DropNotNull("t", "v"))
        run(ops.DropNotNull("t", "v"), "backwards")
        self.assertTrue(is_not_null("t", "v"))
        self.assertIsNone(constraint("t", self.check))


# --- CreateIndexConcurrently -------------------------------------------------------


class IndexTests(OpsTestCase):
    def test_creates_the_index_under_djangos_own_name(self):
        run(ops.CreateIndexConcurrently("t", "v"))
        self.assertTrue(index_is_valid(django_name("t", "v", "")))

    def test_creates_a_pattern_ops_like_index(self):
        run(
            ops.CreateIndexConcurrently(
                "t", "name", suffix="_like", opclass="varchar_pattern_ops"
            )
        )
        name = django_name("t", "name", "_like")
        definition = value("SELECT pg_get_indexdef(to_regclass(%s))", [name])
        self.assertIn("varchar_pattern_ops", definition)

    def test_is_safe_to_run_twice(self):
        run(ops.CreateIndexConcurrently("t", "v"))
        run(ops.CreateIndexConcurrently("t", "v"))
        self.assertTrue(index_is_valid(django_name("t", "v", "")))

    def test_rebuilds_an_invalid_index_left_by_a_failed_build(self):
        name = django_name("t", "v", "")
        sql("UPDATE t SET v = 1")
        with self.assertRaises(psycopg.errors.UniqueViolation):
            sql(f'CREATE UNIQUE INDEX CONCURRENTLY "{name}" ON t (v)')
        self.assertIs(index_is_valid(name), False)
        run(ops.CreateIndexConcurrently("t", "v"))
        self.assertIs(index_is_valid(name), True)
        self.assertNotIn(
            "UNIQUE", value("SELECT pg_get_indexdef(to_regclass(%s))", [name])
        )

    def test_unique_becomes_a_real_unique_constraint(self):
        run(ops.CreateIndexConcurrently("t", "v", suffix="_uniq", unique=True))
        name = django_name("t", "v", "_uniq")
        self.assertEqual(constraint("t", name), ("u", True, False))
        run(ops.CreateIndexConcurrently("t", "v", suffix="_uniq", unique=True))
        run(
            ops.CreateIndexConcurrently("t", "v", suffix="_uniq", unique=True),
            "backwards",
        )
        self.assertIsNone(constraint("t", name))
        self.assertIsNone(index_is_valid(name))

    def test_backwards_drops_the_index(self):
        run(ops.CreateIndexConcurrently("t", "v"))
        run(ops.CreateIndexConcurrently("t", "v"), "backwards")
        run(ops.CreateIndexConcurrently("t", "v"), "backwards")
        self.assertIsNone(index_is_valid(django_name("t", "v", "")))

    def test_refuses_to_run_in_an_atomic_migration(self):
        with self.assertRaisesRegex(Exception, "needs atomic = False"):
            run(ops.CreateIndexConcurrently("t", "v"), atomic=True)

    def test_unique_names_the_duplicate_values_before_building_anything(self):
        from django.db import IntegrityError

        sql("UPDATE t SET v = 1 WHERE id <= 3; UPDATE t SET v = 2 WHERE id IN (4, 5)")
        with self.assertRaises(IntegrityError) as raised:
            run(ops.CreateIndexConcurrently("t", "v", suffix="_uniq", unique=True))
        self.assertEqual(
            str(raised.exception),
            "bg-scaffold: t.v has duplicate values, so it cannot be made unique: "
            "'1' (3 rows), '2' (2 rows); make them unique (or narrow the constraint) "
            "and run migrate again",
        )
        self.assertIsNone(index_is_valid(django_name("t", "v", "_uniq")))

    def test_unique_names_ten_duplicated_values_and_counts_the_rest(self):
        from django.db import IntegrityError

        sql("UPDATE t SET v = id % 12")  # 12 values, each in 2 or 3 rows
        with self.assertRaisesRegex(IntegrityError, r"\(2 rows\) and 2 more; make"):
            run(ops.CreateIndexConcurrently("t", "v", suffix="_uniq", unique=True))

    def test_unique_does_not_count_nulls_as_duplicates(self):
        sql("UPDATE t SET v = NULL WHERE id <= 3")
        run(ops.CreateIndexConcurrently("t", "v", suffix="_uniq", unique=True))
        self.assertEqual(constraint("t", django_name("t", "v", "_uniq"))[0], "u")

    def test_a_duplicate_written_during_a_unique_build_drops_the_invalid_index(self):
        from django.db import IntegrityError

        sql("UPDATE t SET v = 1 WHERE id <= 2")
        name = django_name("t", "v", "_uniq")
        # As if the duplicate was written after the search for duplicates found none.
        found_none = mock.patch.object(ops._UniqueKey, "refuse_duplicates")
        expected = (
            r"^bg-scaffold: t.v has duplicate values, so it cannot be made unique: "
            r"Key \(v\)=\(1\) is duplicated \(the unfinished index was dropped again\)"
        )
        with found_none, self.assertRaisesRegex(IntegrityError, expected):
            run(ops.CreateIndexConcurrently("t", "v", suffix="_uniq", unique=True))
        self.assertIsNone(index_is_valid(name))

    def test_sqlmigrate_shows_the_search_for_duplicates_before_the_build(self):
        editor = run(
            ops.CreateIndexConcurrently("t", "v", suffix="_uniq", unique=True),
            collect_sql=True,
        )
        shown = "\n".join(editor.collected_sql)
        search = (
            'SELECT quote_nullable("v"), count(*), count(*) OVER () FROM "t" WHERE'
            ' "v" IS NOT NULL GROUP BY "v" HAVING count(*) > 1'
            ' ORDER BY count(*) DESC, "v" LIMIT 10;'
        )
        self.assertLess(shown.index(search), shown.index("CREATE UNIQUE INDEX"))
        sql(search)  # it parses and runs

    def test_drop_index_drops_it_and_builds_it_again_backwards(self):
        name = django_name("t", "v", "")
        drop = ops.DropIndexConcurrently("t", "v")
        self.assertEqual(drop.describe(), "Drop index on t.v concurrently")
        run(ops.CreateIndexConcurrently("t", "v"))
        run(drop)
        run(drop)
        self.assertIsNone(index_is_valid(name))
        run(drop, "backwards")
        run(drop, "backwards")
        self.assertTrue(index_is_valid(name))

    def test_drop_unique_index_drops_the_constraint_and_builds_it_again_backwards(self):
        name = django_name("t", "v", "_uniq")
        drop = ops.DropIndexConcurrently("t", "v", suffix="_uniq", unique=True)
        run(ops.CreateIndexConcurrently("t", "v", suffix="_uniq", unique=True))
        run(drop)
        self.assertIsNone(constraint("t", name))
        self.assertIsNone(index_is_valid(name))
        run(drop, "backwards")
        self.assertEqual(constraint("t", name), ("u", True, False))
        run(drop)
        sql("UPDATE t SET v = 1 WHERE id <= 2")
        with self.assertRaisesRegex(Exception, "t.v has duplicate values"):
            run(drop, "backwards")

    def test_drop_unique_index_drops_the_constraint_postgresql_named_itself(self):
        # A field created unique=True: Django writes UNIQUE into the column's definition.
        sql("ALTER TABLE t ADD COLUMN code integer UNIQUE")
        self.assertEqual(constraint("t", "t_code_key")[0], "u")
        run(ops.DropIndexConcurrently("t", "code", suffix="_uniq", unique=True))
        self.assertIsNone(constraint("t", "t_code_key"))
        sql("INSERT INTO t (code) VALUES (1), (1)")  # no longer unique

    def test_waits_out_an_open_writing_transaction_with_retries(self):
        # The build waits for transactions that wrote to the table; each timeout
        # leaves an INVALID index that the next try drops.
        step = ops.CreateIndexConcurrently("t", "v", lock_timeout="100ms")
        with Blocker("UPDATE t SET w = 1 WHERE id = 1", 1.0):
            stderr = self.stderr_of(lambda: run(step))
        self.assertIn("no lock in 100ms", stderr)
        self.assertTrue(index_is_valid(django_name("t", "v", "")))


# --- AddForeignKey -----------------------------------------------------------------


class ForeignKeyTests(OpsTestCase):
    name = property(lambda self: django_name("child", "parent_id", "_fk_parent_id"))

    def test_adds_a_validated_deferrable_foreign_key_under_djangos_name(self):
        run(
            ops.AddForeignKey("child", "parent_id", "parent", "id", on_delete="CASCADE")
        )
        self.assertEqual(constraint("child", self.name), ("f", True, True))
        sql("DELETE FROM parent")
        self.assertEqual(value("SELECT count(*) FROM child"), 0)

    def test_is_safe_to_run_twice_and_validates_a_not_valid_leftover(self):
        sql(
            f'ALTER TABLE child ADD CONSTRAINT "{self.name}" FOREIGN KEY (parent_id) '
            "REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED NOT VALID"
        )
        run(ops.AddForeignKey("child", "parent_id", "parent", "id"))
        run(ops.AddForeignKey("child", "parent_id", "parent", "id"))
        self.assertEqual(constraint("child", self.name), ("f", True, True))

    def test_rows_that_point_at_nothing_are_named_before_any_lock_and_nothing_is_added(
        self,
    ):
        from django.db import IntegrityError

        sql("INSERT INTO child (parent_id) VALUES (99), (99), (98)")
        with self.assertRaises(IntegrityError) as raised:
            run(ops.AddForeignKey("child", "parent_id", "parent", "id"))
        self.assertEqual(
            str(raised.exception),
            "bg-scaffold: child.parent_id holds values that no parent.id has, so the "
            "foreign key cannot be added: '99' (2 rows), '98' (1 rows); delete those rows, "
            "point them at existing ones or set them NULL, then run migrate again",
        )
        self.assertIsNone(constraint("child", self.name))

    def test_a_row_written_after_the_search_fails_validation_and_the_constraint_goes(
        self,
    ):
        from unittest import mock

        from django.db import IntegrityError

        sql("INSERT INTO child (parent_id) VALUES (97)")
        # As if the row came after the search: validation meets it.
        with mock.patch.object(ops.AddForeignKey, "refuse_orphans"):
            with self.assertRaisesRegex(
                IntegrityError,
                r'\(parent_id\)=\(97\) is not present in table "parent" '
                r"\(the constraint was removed again\)",
            ):
                run(ops.AddForeignKey("child", "parent_id", "parent", "id"))
        self.assertIsNone(constraint("child", self.name))

    def test_backwards_drops_it(self):
        operation = ops.AddForeignKey("child", "parent_id", "parent", "id")
        run(operation)
        run(operation, "backwards")
        run(operation, "backwards")
        self.assertIsNone(constraint("child", self.name))


# --- Backwards ---------------------------------------------------------------------


class BackwardsTests(OpsTestCase):
    def test_does_nothing_forwards_and_runs_the_forward_step_backwards(self):
        operation = ops.Backwards(ops.SetNotNull("t", "v"))
        self.assertIn("backwards", operation.describe())
        run(operation)
        self.assertFalse(is_not_null("t", "v"))
        run(operation, "backwards")
        self.assertTrue(is_not_null("t", "v"))


# --- sqlmigrate --------------------------------------------------------------------


class ShowingSQL(OpsTestCase):
    def collected(self, operation, direction="forwards"):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            editor = run(operation, direction, collect_sql=True)
        self.assertEqual(len(queries), 0, "touched the database")
        return "\n".join(editor.collected_sql)

    def test_shows_the_statements_with_their_lock_settings_and_runs_nothing(self):
        shown = self.collected(ops.SetNotNull("t", "v", lock_timeout="2s", retries=4))
        check = django_name("t", "v", "_bg_notnull")
        self.assertIn(
            "-- bg-scaffold: in one transaction, lock_timeout 2s, up to 4 tries", shown
        )
        self.assertIn("SET LOCAL lock_timeout = '2s';", shown)
        self.assertIn(
            f'ALTER TABLE "t" ADD CONSTRAINT "{check}" CHECK ("v" IS NOT NULL) NOT VALID;',
            shown,
        )
        self.assertIn(f'ALTER TABLE "t" VALIDATE CONSTRAINT "{check}";', shown)
        self.assertIn('ALTER TABLE "t" ALTER COLUMN "v" SET NOT NULL;', shown)
        self.assertFalse(is_not_null("t", "v"))

    def test_shows_every_operation(self):
        shown = "\n".join(
            self.collected(operation)
            for operation in (
                ops.RunDDL("ALTER TABLE t ADD COLUMN x int"),
                ops.BackfillInBatches("t", "w = v", "w IS NULL", batch_size=7),
                ops.CreateIndexConcurrently("t", "v", unique=True, suffix="_uniq"),
                ops.AddForeignKey("child", "parent_id", "parent", "id"),
            )
        )
        index = django_name("t", "v", "_uniq")
        for expected in (
            "ALTER TABLE t ADD COLUMN x int;",
            (
                'PREPARE bg_scaffold_backfill AS UPDATE "t" SET w = v WHERE "id" >= $1'
                ' AND "id" <= $2 AND "id" IN (SELECT "id" FROM "t" WHERE "id" >= $1'
                ' AND "id" <= $2 AND (w IS NULL) ORDER BY "id" FOR UPDATE);'
            ),
            f'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "{index}" ON "t" ("v");',
            f'ALTER TABLE "t" ADD CONSTRAINT "{index}" UNIQUE USING INDEX "{index}";',
            "DEFERRABLE INITIALLY DEFERRED NOT VALID;",
            "first DROP INDEX CONCURRENTLY IF EXISTS",
        ):
            self.assertIn(expected, shown)
        self.assertNotIn("x", columns("t"))

    def test_what_it_shows_parses_as_sql_with_one_line_descriptions(self):
        # Linters (squawk) read sqlmigrate's output: a description over two lines left
        # SQL outside its "--" comment, and placeholders were no SQL.
        ddl = ops.RunDDL(
            ["CREATE FUNCTION f() RETURNS int\nLANGUAGE sql AS 'SELECT 1'", "SELECT 1"]
        )
        self.assertEqual(
            ddl.describe(),
            "Run DDL under lock_timeout: CREATE FUNCTION f() RETURNS int LANGUAGE sql"
            " AS 'SELECT 1' (+1 more)",
        )
        self.assertNotIn("\n", ddl.describe())
        shown = self.collected(ops.BackfillInBatches("t", "w = v", "w IS NULL"))
        prepared = [s for s in shown.split("\n") if s.startswith("PREPARE")]
        self.assertEqual(len(prepared), 2)  # the sweep's and the keyset walk's
        # PostgreSQL itself takes them: PREPARE parses and plans without running.
        for statement in prepared:
            sql(statement)
        # The page walk's DO block runs only with its pages given (BackfillTests runs
        # it); squawk, where installed beside this python, parses all of it.
        squawk = Path(sys.executable).parent / "squawk"
        if squawk.exists():
            with tempfile.NamedTemporaryFile("w", suffix=".sql") as file:
                file.write(shown)
                file.flush()
                found = subprocess.run(
                    [squawk, "--reporter", "json", file.name],
                    capture_output=True,
                    text=True,
                    check=False,
                ).stdout
            syntax = [v for v in json.loads(found) if v["rule_name"] == "syntax-error"]
            self.assertEqual(syntax, [], shown)

    def test_shows_backwards_steps(self):
        shown = self.collected(ops.Backwards(ops.SetNotNull("t", "v")), "backwards")
        self.assertIn("SET NOT NULL", shown)
        self.assertEqual(self.collected(ops.Backwards(ops.SetNotNull("t", "v"))), "")

    def test_shows_each_step_in_its_own_transaction_under_its_timeouts(self):
        # As it runs: BEGIN, the step's SET LOCALs, its statements, COMMIT. squawk reads
        # the transaction (a step that fails leaves nothing) and the statement_timeout.
        add = ops.RunDDL('ALTER TABLE "t" ADD COLUMN "x" int', lock_timeout="2s")
        self.assertEqual(
            self.collected(add).split("\n"),
            [
                "-- bg-scaffold: in one transaction, lock_timeout 2s, up to 10 tries,"
                " statement_timeout 5000ms",
                "BEGIN;",
                "SET LOCAL lock_timeout = '2s';",
                "SET LOCAL statement_timeout = '5000ms';",
                'ALTER TABLE "t" ADD COLUMN "x" int;',
                "COMMIT;",
            ],
        )
        validate = self.collected(ops.RunDDL("ALTER TABLE t VALIDATE CONSTRAINT c"))
        self.assertIn("no statement_timeout: it blocks no writer", validate)
        self.assertIn("SET LOCAL statement_timeout = '0';", validate)
        index = self.collected(ops.CreateIndexConcurrently("t", "v"))
        self.assertIn("SET statement_timeout = '0';", index)
        self.assertTrue(index.endswith("RESET lock_timeout;\nRESET statement_timeout;"))

    def test_in_an_atomic_migration_shows_no_transaction_of_its_own(self):
        # Django shows the migration's BEGIN and COMMIT; each step is a savepoint.
        from django.db import connection
        from django.db.migrations.state import ProjectState

        with connection.schema_editor(atomic=True, collect_sql=True) as editor:
            step = ops.RunDDL("ALTER TABLE t ADD COLUMN x int")
            step.database_forwards(APP, editor, ProjectState(), ProjectState())
        self.assertNotIn("BEGIN;", editor.collected_sql)
        self.assertIn("SET LOCAL lock_timeout = '1s';", editor.collected_sql)

    def test_shows_squawks_ignore_before_a_drop_it_makes_on_purpose(self):
        shown = self.collected(ops.SetNotNull("t", "v")).split("\n")
        check = django_name("t", "v", "_bg_notnull")
        drop = shown.index(f'ALTER TABLE "t" DROP CONSTRAINT IF EXISTS "{check}";')
        self.assertEqual(
            shown[drop - 1],
            "-- squawk-ignore ban-drop-constraint -- the temporary check added above:"
            " the column itself enforces it now",
        )
        replaced = self.collected(
            ops.ReplaceForeignKey("child", "parent_id", "parent", "id")
        )
        ours = django_name("child", "parent_id", "_bg_fk")
        djangos = django_name("child", "parent_id", "_fk_parent_id")
        self.assertIn(
            "-- squawk-ignore ban-drop-constraint -- Django's foreign key, replaced by"
            f' {ours} above\nALTER TABLE "child" DROP CONSTRAINT IF EXISTS "{djangos}";',
            replaced,
        )

    def test_every_operation_describes_itself_in_one_line(self):
        # sqlmigrate shows a description as one "--" comment: a second line would be
        # outside it, and no SQL.
        from django.db import models
        from django.db.migrations.operations.base import Operation

        two_lines = "CREATE FUNCTION f() RETURNS int\nLANGUAGE sql AS 'SELECT 1'"
        operations = [
            ops.RunDDL([two_lines]),
            ops.BackfillInBatches("t", "w =\n v", "w IS\n NULL"),
            ops.SetNotNull("t", "v"),
            ops.DropNotNull("t", "v"),
            ops.CreateIndexConcurrently("t", "v"),
            ops.DropIndexConcurrently("t", "v"),
            ops.AddForeignKey("child", "parent_id", "parent", "id"),
            ops.Backwards(ops.RunDDL([two_lines])),
            ops.ReplaceForeignKey("child", "parent_id", "parent", "id"),
            ops.DropTable("t"),
            ops.SyncColumn(
                "t", "v", "w", function="f", value_sql="v\n * 2", target_type="bigint"
            ),
            ops.MirrorColumn("t", "v", "w"),
            ops.SwapColumns([{"table": "t", "column": "v"}]),
            ops.AddIndexConcurrently("t", models.Index(fields=["v"], name="t_v_idx")),
            ops.RemoveIndexConcurrently("t", "t_v_idx"),
            ops.AddConstraintConcurrently(
                "t", models.CheckConstraint(condition=models.Q(v__gte=0), name="c")
            ),
            ops.SquawkIgnore(["ban-drop-column"], because="the reason,\n on two lines"),
            ops.MigrationLinterIgnore(["DROP_COLUMN"], because="two\n lines"),
            ops.RegisterBackfill("t-w", "c", "t", "w =\n v", "w IS\n NULL"),
            ops.RequireBackfillFinished("c", ["t-w", "t-x"]),
        ]
        public = {
            value
            for name, value in vars(ops).items()
            if isinstance(value, type)
            and issubclass(value, Operation)
            and value.__module__ == ops.__name__
            and not name.startswith("_")
        } - {ops.BlueGreenOperation}
        self.assertEqual(public - {type(operation) for operation in operations}, set())
        for operation in operations:
            self.assertNotIn("\n", operation.describe(), type(operation).__name__)


# --- the linters' ignores ----------------------------------------------------------


class LinterIgnores(OpsTestCase):
    def test_squawk_ignore_shows_squawks_file_ignore_with_the_reason(self):
        ignore = ops.SquawkIgnore(
            ["ban-drop-column", "ban-drop-function"],
            because="release 1 took them\n  out of use",
        )
        self.assertEqual(
            run(ignore, collect_sql=True).collected_sql,
            [
                "-- squawk-ignore-file ban-drop-column, ban-drop-function"
                " -- release 1 took them out of use"
            ],
        )
        self.assertEqual(
            ignore.describe(),
            "squawk passes ban-drop-column, ban-drop-function here on purpose (why: below)",
        )
        columns_before = columns("t")
        run(ignore)
        run(ignore, "backwards")
        self.assertEqual(columns("t"), columns_before)

    def test_migration_linter_ignore_is_the_linters_own_ignore_where_installed(self):
        from django.db.migrations.operations.base import Operation

        ignore = ops.MigrationLinterIgnore(
            ["DROP_COLUMN"], because="release 1\n took it"
        )
        if importlib.util.find_spec("django_migration_linter"):
            from django_migration_linter import IgnoreMigration

            self.assertIsInstance(ignore, IgnoreMigration)
        else:  # production need not install a linter: then it does nothing
            self.assertEqual(type(ignore).__mro__[-2:], (Operation, object))
        self.assertEqual(
            ignore.describe(),
            "django-migration-linter skips this migration: DROP_COLUMN on purpose."
            " release 1 took it",
        )
        self.assertEqual(run(ignore, collect_sql=True).collected_sql, [])
        self.assertTrue(ignore.reversible)
        run(ignore, "backwards")

    def test_squashmigrations_writes_them_back_with_their_reasons(self):
        from django.db.migrations.writer import OperationWriter

        for ignore in (
            ops.SquawkIgnore(["ban-drop-column"], because="why"),
            ops.MigrationLinterIgnore(["DROP_COLUMN"], because="why"),
        ):
            self.assertFalse(ignore.elidable)
            name, args, kwargs = ignore.deconstruct()
            rebuilt = getattr(ops, name)(*args, **kwargs)
            self.assertEqual(rebuilt.describe(), ignore.describe())
            written, _ = OperationWriter(ignore, indentation=0).serialize()
            self.assertIn("because='why'", written)


# --- a generated migration, end to end ---------------------------------------------


class GeneratedMigration(unittest.TestCase):
    """0002 is phase 2/2 of an add-column change: backfill, NOT NULL, unique + _like."""

    def manage(self, *args):
        from django.core.management import call_command

        out, err = io.StringIO(), io.StringIO()
        call_command(*args, stdout=out, stderr=err, verbosity=1)
        return out.getvalue()

    def tearDown(self):
        self.manage("migrate", APP, "zero")

    def test_migrates_forwards_and_backwards(self):
        from django.db import connection

        table = "shop_ops_product"
        uniq, like = (
            django_name(table, "sku", "_uniq"),
            django_name(table, "sku", "_like"),
        )
        self.manage("migrate", APP, "0002")
        self.assertEqual(
            value(f"SELECT count(*) FROM {table} WHERE sku = upper(name)"), 25
        )
        self.assertTrue(is_not_null(table, "sku"))
        with connection.cursor() as cursor:
            found = connection.introspection.get_constraints(cursor, table)
        self.assertTrue(found[uniq]["unique"])
        self.assertIn(like, found)

        self.manage("migrate", APP, "0001")
        self.assertFalse(is_not_null(table, "sku"))
        self.assertIsNone(index_is_valid(uniq))
        self.assertIsNone(index_is_valid(like))

    def test_djangos_own_later_operations_find_the_constraint_and_index(self):
        table = "shop_ops_product"
        uniq, like = (
            django_name(table, "sku", "_uniq"),
            django_name(table, "sku", "_like"),
        )
        self.manage("migrate", APP)  # 0003: Django drops unique and the _like index
        self.assertIsNone(index_is_valid(uniq))
        self.assertIsNone(index_is_valid(like))
        self.manage("migrate", APP, "0002")  # Django adds them back, same names
        self.assertTrue(index_is_valid(uniq))
        self.manage("migrate", APP, "0001")
        self.assertIsNone(index_is_valid(uniq))

    def test_a_migration_that_failed_halfway_finishes_when_migrate_runs_again(self):
        self.manage("migrate", APP, "0001")
        like = django_name("shop_ops_product", "sku", "_like")
        # As if 0002 had stopped halfway: 10 rows filled, the _like build failed.
        sql("UPDATE shop_ops_product SET sku = upper(name) WHERE id <= 10")
        with self.assertRaises(psycopg.errors.UniqueViolation):
            sql(f'CREATE UNIQUE INDEX CONCURRENTLY "{like}" ON shop_ops_product ((1))')
        self.assertIs(index_is_valid(like), False)
        self.manage("migrate", APP, "0002")
        self.assertEqual(
            value("SELECT count(*) FROM shop_ops_product WHERE sku IS NULL"), 0
        )
        self.assertTrue(index_is_valid(like))
        definition = value("SELECT pg_get_indexdef(to_regclass(%s))", [like])
        self.assertIn("varchar_pattern_ops", definition)

    def test_a_migration_that_stops_halfway_says_how_to_finish_or_undo_it(self):
        self.manage("migrate", APP, "0001")
        table = "shop_ops_product"
        # upper("P1") is upper("p1"): the unique index fails after the backfill and NOT NULL.
        sql(f"INSERT INTO {table} (name) VALUES ('P1')")
        from django.db import IntegrityError

        stderr = io.StringIO()
        duplicates = (
            f"{table}.sku has duplicate values, so it cannot be made unique: 'P1'"
        )
        with (
            contextlib.redirect_stderr(stderr),
            self.assertRaisesRegex(IntegrityError, duplicates),
        ):
            self.manage("migrate", APP, "0002")
        self.assertIn(
            "shop_ops.0002_enforce_sku stopped halfway and is not recorded as applied. "
            "To finish it, fix the cause and run manage.py migrate again",
            stderr.getvalue(),
        )
        undo = (
            "manage.py migrate shop_ops 0002_enforce_sku --fake, "
            "then manage.py migrate shop_ops 0001_initial."
        )
        self.assertIn(undo, stderr.getvalue())
        self.assertTrue(is_not_null(table, "sku"))

        # Undo as told: every step's undo runs, whether or not its step had run.
        self.manage("migrate", APP, "0002", "--fake")
        self.manage("migrate", APP, "0001")
        self.assertFalse(is_not_null(table, "sku"))
        self.assertIsNone(index_is_valid(django_name(table, "sku", "_uniq")))

        # Or finish: with the cause fixed, migrate again.
        sql(f"DELETE FROM {table} WHERE name = 'P1'")
        self.manage("migrate", APP, "0002")
        self.assertTrue(index_is_valid(django_name(table, "sku", "_uniq")))

    def test_sqlmigrate_shows_the_sql_of_every_step(self):
        shown = self.manage("sqlmigrate", APP, "0002")
        self.assertNotIn("CANNOT BE WRITTEN AS SQL", shown)
        self.assertIn('UPDATE "shop_ops_product" SET sku = upper(name)', shown)
        self.assertIn("VALIDATE CONSTRAINT", shown)
        self.assertIn("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS", shown)
        self.assertIn("-- bg-scaffold: ", shown)
        backwards = self.manage("sqlmigrate", APP, "0002", "--backwards")
        self.assertIn('ALTER COLUMN "sku" DROP NOT NULL', backwards)


# --- ReplaceForeignKey (remove-column, drop-table) ---------------------------------


def foreign_keys(table):
    """{name: (on delete action, validated, deferrable)} of a table's foreign keys."""
    rows = sql(
        "SELECT conname, confdeltype, convalidated, condeferrable FROM pg_constraint "
        "WHERE conrelid = to_regclass(%s) AND contype = 'f'",
        [table],
    )
    return {
        name: (action, valid, deferrable) for name, action, valid, deferrable in rows
    }


class ReplaceForeignKeyTests(OpsTestCase):
    """child.parent_id starts with Django's constraint, as Django creates it."""

    django = property(lambda self: django_name("child", "parent_id", "_fk_parent_id"))
    ours = property(lambda self: django_name("child", "parent_id", "_bg_fk"))

    def setUp(self):
        super().setUp()
        run(ops.AddForeignKey("child", "parent_id", "parent", "id"))

    def replace(self, on_delete="CASCADE"):
        return ops.ReplaceForeignKey(
            "child", "parent_id", "parent", "id", on_delete=on_delete
        )

    def test_replaces_djangos_constraint_by_a_validated_deferrable_one(self):
        run(self.replace())
        # "c": ON DELETE CASCADE
        self.assertEqual(foreign_keys("child"), {self.ours: ("c", True, True)})

    def test_cascade_deletes_the_rows_that_pointed_at_a_deleted_row(self):
        run(self.replace("CASCADE"))
        sql("DELETE FROM parent")
        self.assertEqual(value("SELECT count(*) FROM child"), 0)

    def test_set_null_keeps_the_rows_and_clears_the_column(self):
        run(self.replace("SET NULL"))
        sql("DELETE FROM parent")
        self.assertEqual(sql("SELECT parent_id FROM child"), [(None,)])

    def test_no_action_still_refuses_to_orphan_rows_at_commit(self):
        run(self.replace("NO ACTION"))
        with self.assertRaises(psycopg.errors.ForeignKeyViolation):
            sql("DELETE FROM parent")
        self.assertEqual(value("SELECT count(*) FROM child"), 1)

    def test_is_safe_to_run_twice(self):
        run(self.replace())
        run(self.replace())
        self.assertEqual(foreign_keys("child"), {self.ours: ("c", True, True)})

    def test_picks_up_after_a_failure_before_validation(self):
        sql(
            f'ALTER TABLE child ADD CONSTRAINT "{self.ours}" FOREIGN KEY (parent_id) '
            "REFERENCES parent (id) ON DELETE CASCADE "
            "DEFERRABLE INITIALLY DEFERRED NOT VALID"
        )
        run(self.replace())
        self.assertEqual(foreign_keys("child"), {self.ours: ("c", True, True)})

    def test_finds_djangos_constraint_whatever_its_name(self):
        sql(f'ALTER TABLE child RENAME CONSTRAINT "{self.django}" TO child_parent_old')
        run(self.replace())
        self.assertEqual(set(foreign_keys("child")), {self.ours})

    def test_keeps_djangos_constraint_when_the_new_one_does_not_validate(self):
        sql(f'ALTER TABLE child DROP CONSTRAINT "{self.django}"')
        sql("INSERT INTO child (parent_id) VALUES (99)")
        run(ops.AddForeignKey("child", "parent_id", "parent", "id"), "backwards")
        with self.assertRaisesRegex(Exception, "violates foreign key"):
            run(self.replace())
        self.assertFalse(foreign_keys("child")[self.ours][1])

    def test_leaves_foreign_keys_of_other_columns_alone(self):
        sql("ALTER TABLE child ADD COLUMN other_id bigint REFERENCES parent (id)")
        run(self.replace())
        self.assertEqual(len(foreign_keys("child")), 2)

    def test_backwards_restores_djangos_constraint_then_drops_its_own(self):
        run(self.replace())
        run(self.replace(), "backwards")
        run(self.replace(), "backwards")
        # "a": NO ACTION, as Django creates it; its on_delete runs in Python.
        self.assertEqual(foreign_keys("child"), {self.django: ("a", True, True)})

    def test_refuses_an_on_delete_the_database_cannot_do_for_django(self):
        with self.assertRaises(ValueError):
            self.replace("SET DEFAULT")

    def test_serializes_for_squashmigrations(self):
        from django.db.migrations.writer import MigrationWriter

        source, _ = MigrationWriter.serialize(self.replace("SET NULL"))
        self.assertIn("on_delete='SET NULL'", source.replace('"', "'"))

    def test_sqlmigrate_shows_every_step_and_runs_nothing(self):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            editor = run(self.replace(), collect_sql=True)
        shown = "\n".join(editor.collected_sql)
        self.assertEqual(len(queries), 0)
        self.assertIn(
            "ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED NOT VALID", shown
        )
        self.assertIn(f'VALIDATE CONSTRAINT "{self.ours}"', shown)
        self.assertIn(f'DROP CONSTRAINT IF EXISTS "{self.django}"', shown)
        self.assertIn(self.django, foreign_keys("child"))


# --- DropTable (drop-table) --------------------------------------------------------


class DropTableTests(OpsTestCase):
    """A model "Gadget" that has left the state: a foreign key to parent, a many-to-many."""

    table, through = "shop_ops_gadget", "shop_ops_gadget_parents"

    def setUp(self):
        super().setUp()
        sql(f"DROP TABLE IF EXISTS {self.through}, {self.table}")
        self.addCleanup(sql, f"DROP TABLE IF EXISTS {self.through}, {self.table}")

    def state(self):
        """The project state after the model left it: only the parent is there."""
        from django.db import migrations, models
        from django.db.migrations.state import ProjectState

        state = ProjectState()
        parent = migrations.CreateModel(
            "Parent",
            fields=[("id", models.BigAutoField(primary_key=True))],
            options={"db_table": "parent"},
        )
        parent.state_forwards(APP, state)
        return state

    def gadget(self):
        from django.db import migrations, models

        return migrations.CreateModel(
            "Gadget",
            fields=[
                ("name", models.CharField(max_length=20, db_index=True)),
                (
                    "parent",
                    models.ForeignKey(
                        on_delete=models.CASCADE, to="shop_ops.parent", related_name="+"
                    ),
                ),
                (
                    "parents",
                    models.ManyToManyField(to="shop_ops.parent", related_name="+"),
                ),
            ],
        )

    def run_drop(self, operation, direction="forwards", collect_sql=False):
        from django.db import connection

        state = self.state()
        with connection.schema_editor(atomic=False, collect_sql=collect_sql) as editor:
            method = getattr(operation, f"database_{direction}")
            method(APP, editor, state, state)
        return editor

    def test_backwards_recreates_the_tables_empty_with_djangos_own_sql(self):
        self.run_drop(ops.DropTable(self.table, model=self.gadget()), "backwards")
        self.assertEqual(columns(self.table), {"id", "name", "parent_id"})
        self.assertEqual(columns(self.through), {"id", "gadget_id", "parent_id"})
        self.assertEqual(len(foreign_keys(self.table)), 1)
        index = django_name(self.table, "name", "")
        self.assertTrue(index_is_valid(index))

    def test_drops_the_table_and_its_many_to_many_table(self):
        operation = ops.DropTable(self.table, model=self.gadget())
        self.run_drop(operation, "backwards")
        self.run_drop(operation)
        self.assertEqual(columns(self.table), set())
        self.assertEqual(columns(self.through), set())
        self.assertEqual(foreign_keys("parent"), {})

    def test_is_safe_to_run_twice_in_each_direction(self):
        operation = ops.DropTable(self.table, model=self.gadget())
        for direction in ("backwards", "backwards", "forwards", "forwards"):
            self.run_drop(operation, direction)
        self.assertEqual(columns(self.table), set())

    def test_drops_foreign_keys_to_other_tables_in_steps_before_the_table(self):
        operation = ops.DropTable(self.table, model=self.gadget(), lock_timeout="100ms")
        self.run_drop(operation, "backwards")
        # A long reader of the parent table: the foreign key's own step waits it out.
        with Blocker("SELECT count(*) FROM parent", 0.6):
            stderr = self.stderr_of(lambda: self.run_drop(operation))
        self.assertRegex(stderr, r"drop \w+_fk_parent_id: waiting for pid \d+")
        self.assertEqual(columns(self.table), set())

    def test_without_the_model_drops_only_the_table_and_cannot_go_back(self):
        from django.db.migrations.exceptions import IrreversibleError

        self.run_drop(ops.DropTable(self.table, model=self.gadget()), "backwards")
        operation = ops.DropTable(self.table)
        self.assertFalse(operation.reversible)
        with self.assertRaisesRegex(Exception, "depends on it|other objects depend"):
            self.run_drop(operation)  # the many-to-many table still points at it
        sql(f"DROP TABLE {self.through}")
        self.run_drop(operation)
        self.assertEqual(columns(self.table), set())
        with self.assertRaisesRegex(IrreversibleError, "cannot be recreated"):
            self.run_drop(operation, "backwards")

    def test_serializes_for_squashmigrations(self):
        from django.db.migrations.writer import MigrationWriter

        source, imports = MigrationWriter.serialize(
            ops.DropTable(self.table, model=self.gadget())
        )
        self.assertIn("migrations.CreateModel(", source)
        self.assertIn("from django.db import models", imports)

    def test_sqlmigrate_shows_the_drop_and_the_recreation(self):
        operation = ops.DropTable(self.table, model=self.gadget())
        shown = "\n".join(self.run_drop(operation, collect_sql=True).collected_sql)
        self.assertIn(f'DROP TABLE IF EXISTS "{self.through}", "{self.table}";', shown)
        back = self.run_drop(operation, "backwards", collect_sql=True).collected_sql
        self.assertIn(f'CREATE TABLE "{self.table}"', "\n".join(back))
        self.assertEqual(columns(self.table), set())


# --- change-column-type: SyncColumn, MirrorColumn, SwapColumns -----------------------


class ColumnSwapTests(OpsTestCase):
    """A key of 32 bits (an identity, as Django makes it) with a foreign key to it, swapped
    for bigint the way change-column-type's three releases do it."""

    def setUp(self):
        super().setUp()
        sql(
            "DROP TABLE IF EXISTS inv, acct CASCADE;"
            "CREATE TABLE acct (id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
            " code varchar(20) NOT NULL UNIQUE);"
            "CREATE TABLE inv (id bigserial PRIMARY KEY, acct_id integer NOT NULL"
            " REFERENCES acct (id) DEFERRABLE INITIALLY DEFERRED,"
            " amount integer CHECK (amount >= 0));"
            "CREATE INDEX inv_acct_id_idx ON inv (acct_id);"
            "INSERT INTO acct (code) SELECT 'c' || i FROM generate_series(1, 30) i;"
            "INSERT INTO inv (acct_id, amount) SELECT id, id FROM acct;"
        )
        self.columns = [
            {
                "table": table,
                "column": column,
                "new": f"{column}_bg_new",
                "park": f"{column}_bg_old",
                "sync": f"bg_sync_{table}_{column}",
                "pk": "id",
                "not_null": True,
                "rollback": f'"{column}"',
                "value": f'"{column}"',
                "type": "bigint",
                "checked": False,
            }
            for table, column in (("acct", "id"), ("inv", "acct_id"))
        ]

    def expand(self):
        """Release 1: the bigint columns, filled, NOT NULL, with the old ones' objects."""
        for c in self.columns:
            add = (
                f'ALTER TABLE {c["table"]} ADD COLUMN IF NOT EXISTS "{c["new"]}" bigint'
            )
            run(ops.RunDDL(add, f'ALTER TABLE {c["table"]} DROP COLUMN "{c["new"]}"'))
            run(ops.SwapColumns([c]).sync(c, {}))
            set_sql, where = f'"{c["new"]}" = "{c["column"]}"', f'"{c["new"]}" IS NULL'
            run(ops.BackfillInBatches(c["table"], set_sql, where, batch_size=7))
            run(ops.SetNotNull(c["table"], c["new"]))
        run(ops.MirrorColumn("acct", "id", "id_bg_new"))
        references = {"acct": {"id": "id_bg_new"}}
        run(ops.MirrorColumn("inv", "acct_id", "acct_id_bg_new", references=references))

    def type_of(self, table, column):
        return value(
            "SELECT format_type(atttypid, NULL) FROM pg_attribute WHERE attrelid ="
            " to_regclass(%s) AND attname = %s AND NOT attisdropped",
            [table, column],
        )

    def keys_to_acct(self):
        """(name, referencing column, referenced column, validated) of inv's keys."""
        return sql(
            "SELECT c.conname, a.attname, r.attname, c.convalidated FROM pg_constraint c"
            " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]"
            " JOIN pg_attribute r ON r.attrelid = c.confrelid AND r.attnum = c.confkey[1]"
            " WHERE c.conrelid = 'inv'::regclass AND c.contype = 'f' ORDER BY 1"
        )

    def test_a_value_the_new_type_cannot_hold_fails_the_write_naming_it(self):
        sql("ALTER TABLE acct ADD COLUMN code_bg_new integer")
        sync = ops.SyncColumn(
            "acct",
            "code",
            "code_bg_new",
            function="bg_sync_acct_code",
            value_sql='"code"::integer',
            target_type="integer",
            checked=True,
            change="acct-code-to-integer",
        )
        run(sync)
        sql("INSERT INTO acct (code) VALUES ('42')")
        self.assertEqual(value("SELECT code_bg_new FROM acct WHERE code = '42'"), 42)
        message = "bg-scaffold acct-code-to-integer: acct.code = abc cannot be stored as integer"
        with self.assertRaisesRegex(psycopg.errors.DataError, re.escape(message)):
            sql("INSERT INTO acct (code) VALUES ('abc')")
        self.assertIsNone(value("SELECT id FROM acct WHERE code = 'abc'"))

    def test_swaps_a_key_and_the_foreign_key_to_it_and_swaps_them_back(self):
        keys = self.keys_to_acct()
        next_id = value("SELECT max(id) FROM acct") + 1
        self.expand()
        sql("INSERT INTO acct (code) VALUES ('during release 1')")
        swap = ops.SwapColumns(self.columns, change="acct-id-to-bigint", batch_size=7)
        run(swap)
        self.assertEqual(self.type_of("acct", "id"), "bigint")
        self.assertEqual(self.type_of("inv", "acct_id"), "bigint")
        self.assertEqual(self.keys_to_acct(), keys)  # the same name, on the new columns
        self.assertEqual(constraint("acct", "acct_pkey")[:2], ("p", True))
        self.assertIn(
            "inv_acct_id_idx",
            {
                r[0]
                for r in sql(
                    "SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = 'inv'::regclass"
                )
            },
        )
        # The identity goes on where the old one was; rows written now leave the old column empty.
        created = value("INSERT INTO acct (code) VALUES ('after') RETURNING id")
        self.assertEqual(created, next_id + 1)
        sql(f"INSERT INTO inv (acct_id, amount) VALUES ({created}, 1)")
        self.assertIsNone(value(f"SELECT id_bg_old FROM acct WHERE id = {created}"))
        with self.assertRaises(psycopg.errors.ForeignKeyViolation):
            sql("INSERT INTO inv (acct_id, amount) VALUES (999999, 1)")
        with self.assertRaises(psycopg.errors.CheckViolation):
            sql(f"INSERT INTO inv (acct_id, amount) VALUES ({created}, -1)")

        run(swap, "backwards")
        self.assertEqual(self.type_of("acct", "id"), "integer")
        self.assertEqual(self.type_of("inv", "acct_id"), "integer")
        self.assertEqual(self.keys_to_acct()[0][:2], keys[0][:2])
        self.assertIsNone(self.type_of("acct", "id_bg_old"))
        # Release 1's state is whole again: its trigger fills the bigint column, ready to swap.
        again = value("INSERT INTO acct (code) VALUES ('back') RETURNING id")
        self.assertEqual(again, created + 1)
        self.assertEqual(value(f"SELECT id_bg_new FROM acct WHERE id = {again}"), again)
        self.assertTrue(is_not_null("acct", "id_bg_new"))
        run(swap)
        self.assertEqual(self.type_of("acct", "id"), "bigint")
        self.assertEqual(value("SELECT count(*) FROM inv WHERE acct_id IS NULL"), 0)

    def test_a_rollback_stops_at_a_value_the_old_type_cannot_hold(self):
        self.expand()
        swap = ops.SwapColumns(self.columns, change="acct-id-to-bigint", batch_size=7)
        run(swap)
        sql("INSERT INTO acct (id, code) VALUES (3000000000, 'big')")
        from django.db import DataError

        stopped = "acct-id-to-bigint: acct.id holds a value that id_bg_old cannot hold"
        with self.assertRaisesRegex(DataError, stopped):
            run(swap, "backwards")


# --- Django's index and constraint operations, concurrently ----------------------------


def manage(*args):
    from django.core.management import call_command

    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO(), verbosity=0)
    return out.getvalue()


def orders_state():
    """The project state after shop_orders 0001_initial: the Order model."""
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    return MigrationLoader(connection).project_state((ORDERS, "0001_initial"))


def run_on_orders(
    operation, direction="forwards", *, before=None, atomic=False, using="default"
):
    """Run one operation on the Order model the way Django's executor does: from
    ``before`` (the state after 0001_initial) to the state the operation leads to."""
    from django.db import connections

    before = before or orders_state()
    after = before.clone()
    operation.state_forwards(ORDERS, after)
    with connections[using].schema_editor(atomic=atomic) as editor:
        if direction == "forwards":
            operation.database_forwards(ORDERS, editor, before, after)
        else:
            operation.database_backwards(ORDERS, editor, after, before)


def index_definition(name):
    return value("SELECT pg_get_indexdef(to_regclass(%s))", [name])


class OrdersTestCase(unittest.TestCase):
    """shop_orders at 0001_initial: the Order table, 30 rows, every other one "paid"."""

    def setUp(self):
        manage("migrate", ORDERS, "0001_initial")
        self.addCleanup(manage, "migrate", ORDERS, "zero")


class AddIndexConcurrentlyTests(OrdersTestCase):
    def index(self, *expressions, **options):
        from django.db import models

        return models.Index(*expressions, name="order_test_idx", **options)

    def test_builds_djangos_index_on_fields_and_drops_it_backwards(self):
        operation = ops.AddIndexConcurrently("order", self.index(fields=["-placed_at"]))
        run_on_orders(operation)
        run_on_orders(operation)  # a valid index of that name: the step ran before
        self.assertTrue(index_is_valid("order_test_idx"))
        self.assertEqual(
            index_definition("order_test_idx"),
            f"CREATE INDEX order_test_idx ON public.{ORDER_TABLE}"
            " USING btree (placed_at DESC)",
        )
        run_on_orders(operation, "backwards")
        run_on_orders(operation, "backwards")
        self.assertIsNone(index_is_valid("order_test_idx"))

    def test_builds_a_partial_index_with_djangos_condition(self):
        from django.db import models

        index = self.index(fields=["customer"], condition=models.Q(status="paid"))
        run_on_orders(ops.AddIndexConcurrently("order", index))
        self.assertTrue(index_is_valid("order_test_idx"))
        self.assertIn(
            "(customer) WHERE ((status)::text = 'paid'::text)",
            index_definition("order_test_idx"),
        )

    def test_builds_an_index_on_an_expression(self):
        from django.db.models.functions import Upper

        run_on_orders(ops.AddIndexConcurrently("order", self.index(Upper("reference"))))
        self.assertTrue(index_is_valid("order_test_idx"))
        self.assertIn("(upper((reference)::text))", index_definition("order_test_idx"))

    def test_rebuilds_an_invalid_index_of_the_same_name_left_by_a_failed_build(self):
        with self.assertRaises(psycopg.errors.UniqueViolation):
            sql(
                f"CREATE UNIQUE INDEX CONCURRENTLY order_test_idx ON {ORDER_TABLE} (status)"
            )
        self.assertIs(index_is_valid("order_test_idx"), False)
        run_on_orders(
            ops.AddIndexConcurrently("order", self.index(fields=["placed_at"]))
        )
        self.assertIs(index_is_valid("order_test_idx"), True)
        self.assertTrue(index_definition("order_test_idx").endswith("(placed_at)"))

    def test_refuses_an_atomic_migration_and_builds_nothing(self):
        from django.db import NotSupportedError

        operation = ops.AddIndexConcurrently("order", self.index(fields=["placed_at"]))
        with self.assertRaisesRegex(NotSupportedError, "needs atomic = False"):
            run_on_orders(operation, atomic=True)
        self.assertIsNone(index_is_valid("order_test_idx"))

    def test_refuses_a_database_that_is_not_postgresql(self):
        from django.db import NotSupportedError

        operation = ops.AddIndexConcurrently("order", self.index(fields=["placed_at"]))
        with self.assertRaisesRegex(NotSupportedError, "migration for PostgreSQL"):
            run_on_orders(operation, using="lite")

    def test_remove_index_drops_it_and_builds_it_again_from_the_state_backwards(self):
        from django.db import models

        index = self.index(fields=["customer"], condition=models.Q(status="paid"))
        add = ops.AddIndexConcurrently("order", index)
        with_index = orders_state()
        add.state_forwards(ORDERS, with_index)
        run_on_orders(add)
        built = index_definition("order_test_idx")
        remove = ops.RemoveIndexConcurrently("order", "order_test_idx")
        self.assertEqual(
            remove.describe(), "Remove index order_test_idx from order concurrently"
        )
        run_on_orders(remove, before=with_index)
        run_on_orders(remove, before=with_index)
        self.assertIsNone(index_is_valid("order_test_idx"))
        run_on_orders(remove, "backwards", before=with_index)
        run_on_orders(remove, "backwards", before=with_index)
        self.assertTrue(index_is_valid("order_test_idx"))
        self.assertEqual(index_definition("order_test_idx"), built)

    def test_waits_out_an_open_writing_transaction_with_retries(self):
        operation = ops.AddIndexConcurrently(
            "order", self.index(fields=["placed_at"]), lock_timeout="100ms"
        )
        with Blocker(f"UPDATE {ORDER_TABLE} SET amount = 1 WHERE id = 1", 1.0):
            captured = io.StringIO()
            with contextlib.redirect_stderr(captured):
                run_on_orders(operation)
        self.assertIn("no lock in 100ms", captured.getvalue())
        self.assertTrue(index_is_valid("order_test_idx"))


class AddConstraintConcurrentlyTests(OrdersTestCase):
    def unique(self, *expressions, **options):
        from django.db import models

        options.setdefault("name", "order_test_uniq")
        return ops.AddConstraintConcurrently(
            "order", models.UniqueConstraint(*expressions, **options)
        )

    def check(self, **condition):
        from django.db import models

        return ops.AddConstraintConcurrently(
            "order",
            models.CheckConstraint(
                condition=models.Q(**condition), name="order_test_check"
            ),
        )

    def test_unique_on_fields_becomes_a_real_unique_constraint(self):
        operation = self.unique(fields=["reference"])
        self.assertEqual(
            operation.describe(),
            "Add unique constraint order_test_uniq on order concurrently",
        )
        run_on_orders(operation)
        run_on_orders(operation)
        self.assertEqual(constraint(ORDER_TABLE, "order_test_uniq"), ("u", True, False))
        with self.assertRaises(psycopg.errors.UniqueViolation):
            sql(
                f"INSERT INTO {ORDER_TABLE} (reference, status, amount) VALUES ('R-1', 'new', 1)"
            )
        run_on_orders(operation, "backwards")
        run_on_orders(operation, "backwards")
        self.assertIsNone(constraint(ORDER_TABLE, "order_test_uniq"))
        self.assertIsNone(index_is_valid("order_test_uniq"))

    def test_unique_keeps_django_deferrable_and_nulls_not_distinct(self):
        from django.db import models

        deferred = models.Deferrable.DEFERRED
        run_on_orders(self.unique(fields=["reference"], deferrable=deferred))
        self.assertEqual(constraint(ORDER_TABLE, "order_test_uniq"), ("u", True, True))
        self.assertIn(
            "DEFERRABLE INITIALLY DEFERRED",
            value(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = %s",
                ["order_test_uniq"],
            ),
        )
        run_on_orders(self.unique(fields=["reference"]), "backwards")
        sql(f"UPDATE {ORDER_TABLE} SET placed_at = NULL")
        run_on_orders(self.unique(fields=["placed_at"]))  # NULLs are distinct
        run_on_orders(self.unique(fields=["placed_at"]), "backwards")
        sql(
            f"UPDATE {ORDER_TABLE} SET placed_at = now() + id * interval '1s' WHERE id > 2"
        )
        if int(value("SHOW server_version_num")) < 150000:
            # NULLS NOT DISTINCT is PostgreSQL 15+: Django creates no constraint it cannot
            # express there (models.W047 says so), and neither does the runtime.
            run_on_orders(self.unique(fields=["placed_at"], nulls_distinct=False))
            self.assertIsNone(constraint(ORDER_TABLE, "order_test_uniq"))
            return
        with self.assertRaisesRegex(Exception, r"placed_at .*: NULL \(2 rows\); make"):
            run_on_orders(self.unique(fields=["placed_at"], nulls_distinct=False))
        sql(f"UPDATE {ORDER_TABLE} SET placed_at = now() + id * interval '1s'")
        run_on_orders(self.unique(fields=["placed_at"], nulls_distinct=False))
        self.assertIn(
            "UNIQUE NULLS NOT DISTINCT",
            value(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = %s",
                ["order_test_uniq"],
            ),
        )

    def test_unique_on_fields_with_duplicates_names_them_and_builds_nothing(self):
        from django.db import IntegrityError

        sql(
            f"UPDATE {ORDER_TABLE} SET reference = 'R-1' WHERE id IN (2, 3);"
            f"UPDATE {ORDER_TABLE} SET reference = 'R-4' WHERE id = 5"
        )
        with self.assertRaises(IntegrityError) as raised:
            run_on_orders(self.unique(fields=["reference"]))
        self.assertEqual(
            str(raised.exception),
            f"bg-scaffold: {ORDER_TABLE}.reference has duplicate values, so unique "
            "constraint order_test_uniq cannot be added: 'R-1' (3 rows), 'R-4' (2 "
            "rows); make them unique (or narrow the constraint) and run migrate again",
        )
        self.assertIsNone(constraint(ORDER_TABLE, "order_test_uniq"))
        self.assertIsNone(index_is_valid("order_test_uniq"))

    def test_a_conditional_unique_constraint_is_a_unique_index_only(self):
        from django.db import models

        operation = self.unique(
            fields=["customer", "reference"], condition=models.Q(status="paid")
        )
        run_on_orders(operation)
        run_on_orders(operation)
        self.assertIsNone(constraint(ORDER_TABLE, "order_test_uniq"))
        self.assertTrue(index_is_valid("order_test_uniq"))
        self.assertIn(
            "CREATE UNIQUE INDEX order_test_uniq",
            index_definition("order_test_uniq"),
        )
        self.assertIn(
            "WHERE ((status)::text = 'paid'::text)", index_definition("order_test_uniq")
        )
        run_on_orders(operation, "backwards")
        self.assertIsNone(index_is_valid("order_test_uniq"))

    def test_a_conditional_unique_constraint_counts_only_the_rows_it_covers(self):
        from django.db import IntegrityError, models

        operation = self.unique(
            fields=["customer", "reference"], condition=models.Q(status="paid")
        )
        # Rows 1 and 3 are "new": not covered, not duplicates.
        sql(
            f"UPDATE {ORDER_TABLE} SET customer = 1, reference = 'X' WHERE id IN (1, 3)"
        )
        run_on_orders(operation)
        run_on_orders(operation, "backwards")
        sql(
            f"UPDATE {ORDER_TABLE} SET customer = 2, reference = 'Y' WHERE id IN (2, 4)"
        )
        expected = (
            f"{ORDER_TABLE} (customer, reference) (where \"status\" = 'paid') has "
            "duplicate values, so unique constraint order_test_uniq cannot be added: "
            "('2', 'Y') (2 rows); "
        )
        with self.assertRaisesRegex(IntegrityError, re.escape(expected)):
            run_on_orders(operation)
        self.assertIsNone(index_is_valid("order_test_uniq"))

    def test_a_unique_expression_with_duplicates_leaves_no_invalid_index(self):
        from django.db import IntegrityError
        from django.db.models.functions import Upper

        sql(f"UPDATE {ORDER_TABLE} SET reference = 'r-1' WHERE id = 2")
        expected = (
            "Key (upper(reference::text))=(R-1) is duplicated (the unfinished index"
            " was dropped again)"
        )
        with self.assertRaisesRegex(IntegrityError, re.escape(expected)):
            run_on_orders(self.unique(Upper("reference")))
        self.assertIsNone(index_is_valid("order_test_uniq"))
        sql(f"UPDATE {ORDER_TABLE} SET reference = 'R-2' WHERE id = 2")
        run_on_orders(self.unique(Upper("reference")))
        self.assertTrue(index_is_valid("order_test_uniq"))
        self.assertIsNone(constraint(ORDER_TABLE, "order_test_uniq"))

    def test_check_is_added_not_valid_then_validated(self):
        operation = self.check(customer__gte=0)
        self.assertEqual(
            operation.describe(),
            "Add check constraint order_test_check on order NOT VALID, then validate it",
        )
        sql(f"UPDATE {ORDER_TABLE} SET customer = NULL WHERE id <= 3")  # NULL passes
        run_on_orders(operation)
        run_on_orders(operation)
        self.assertEqual(
            constraint(ORDER_TABLE, "order_test_check"), ("c", True, False)
        )
        with self.assertRaises(psycopg.errors.CheckViolation):
            sql(
                f"INSERT INTO {ORDER_TABLE} (customer, status, amount) VALUES (-1, 'new', 1)"
            )
        run_on_orders(operation, "backwards")
        run_on_orders(operation, "backwards")
        self.assertIsNone(constraint(ORDER_TABLE, "order_test_check"))

    def test_check_with_violating_rows_counts_them_and_adds_nothing(self):
        from django.db import IntegrityError

        sql(f"UPDATE {ORDER_TABLE} SET amount = -id WHERE id <= 3")
        with self.assertRaises(IntegrityError) as raised:
            run_on_orders(self.check(amount__gte=0))
        self.assertEqual(
            str(raised.exception),
            f"bg-scaffold: 3 rows violate check constraint order_test_check on "
            f'{ORDER_TABLE} ("amount" >= 0), so it cannot be added; fix them and run '
            "migrate again",
        )
        self.assertIsNone(constraint(ORDER_TABLE, "order_test_check"))

    def test_check_validates_a_not_valid_leftover_of_an_earlier_run(self):
        sql(
            f"ALTER TABLE {ORDER_TABLE} ADD CONSTRAINT order_test_check"
            " CHECK (amount >= 0) NOT VALID"
        )
        run_on_orders(self.check(amount__gte=0))
        self.assertEqual(
            constraint(ORDER_TABLE, "order_test_check"), ("c", True, False)
        )

    def test_check_that_fails_validation_is_removed_again(self):
        from django.db import IntegrityError

        sql(f"UPDATE {ORDER_TABLE} SET amount = -1 WHERE id = 1")
        # As if the row was written after the count found none.
        found_none = mock.patch.object(ops._Steps, "select", return_value=[])
        with (
            found_none,
            self.assertRaisesRegex(IntegrityError, "was validated violate"),
        ):
            run_on_orders(self.check(amount__gte=0))
        self.assertIsNone(constraint(ORDER_TABLE, "order_test_check"))

    def test_refuses_other_kinds_of_constraint_naming_them(self):
        from django.contrib.postgres.constraints import ExclusionConstraint
        from django.db import NotSupportedError

        exclusion = ExclusionConstraint(
            name="order_excl", expressions=[("customer", "=")]
        )
        operation = ops.AddConstraintConcurrently("order", exclusion)
        for direction in ("forwards", "backwards"):
            with self.assertRaisesRegex(NotSupportedError, "not ExclusionConstraint"):
                run_on_orders(operation, direction)


class ConcurrentlyGeneratedMigration(unittest.TestCase):
    """shop_orders 0002 adds an index of each kind, unique constraints and a check;
    0003 removes some, with Django's own RemoveConstraint among them."""

    def tearDown(self):
        manage("migrate", ORDERS, "zero")

    def assert_built_as_0002_builds(self):
        for name in ("order_placed_at_idx", "order_paid_customer_idx"):
            self.assertTrue(index_is_valid(name), name)
        self.assertIn(
            "upper((reference)::text)", index_definition("order_upper_ref_idx")
        )
        self.assertTrue(index_is_valid(django_name(ORDER_TABLE, "amount", "")))
        self.assertEqual(
            constraint(ORDER_TABLE, "order_reference_uniq"), ("u", True, False)
        )
        self.assertIsNone(constraint(ORDER_TABLE, "order_paid_reference_uniq"))
        self.assertTrue(index_is_valid("order_paid_reference_uniq"))
        self.assertEqual(
            constraint(ORDER_TABLE, "order_amount_gte_0"), ("c", True, False)
        )

    def test_migrates_forwards_and_backwards_and_django_finds_what_it_built(self):
        manage("migrate", ORDERS, "0002")
        self.assert_built_as_0002_builds()
        manage("migrate", ORDERS, "0003")
        self.assertIsNone(index_is_valid("order_placed_at_idx"))
        self.assertIsNone(index_is_valid("order_reference_uniq"))
        self.assertIsNone(index_is_valid("order_paid_reference_uniq"))
        self.assertIsNone(index_is_valid(django_name(ORDER_TABLE, "amount", "")))
        manage("migrate", ORDERS, "0002")
        self.assert_built_as_0002_builds()
        manage("migrate", ORDERS, "0001")
        indexes = sql(
            "SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = %s::regclass",
            [ORDER_TABLE],
        )
        self.assertEqual(indexes, [(f"{ORDER_TABLE}_pkey",)])
        self.assertIsNone(constraint(ORDER_TABLE, "order_amount_gte_0"))

    def shown(self, *args):
        """sqlmigrate's statements, after checking that each is SQL as it stands."""
        shown = manage("sqlmigrate", ORDERS, *args)
        self.assertNotIn("CANNOT BE WRITTEN AS SQL", shown)
        self.assertNotRegex(shown, r"%s|%\(|\{\{")
        statements = [
            line for line in shown.splitlines() if line and not line.startswith("--")
        ]
        for statement in statements:
            self.assertTrue(statement.endswith(";"), statement)
        return statements

    def test_sqlmigrate_shows_sql_that_builds_what_migrate_builds(self):
        for args in (["0003"], ["0003", "--backwards"], ["0002", "--backwards"]):
            self.assertTrue(self.shown(*args))
        manage("migrate", ORDERS, "0001")
        statements = self.shown("0002")
        self.assertIn(
            f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "order_placed_at_idx"'
            f' ON "{ORDER_TABLE}" ("placed_at");',
            statements,
        )
        for statement in statements:  # by hand, one by one, as an operator would
            sql(statement)
        self.assert_built_as_0002_builds()


if __name__ == "__main__":
    unittest.main()
