"""Background backfills in the runtime: RegisterBackfill, the bg_scaffold_backfill command
(BackfillCommand) and RequireBackfillFinished, on a real PostgreSQL.

Django runs in subprocesses here, in a small project written to a temp directory: an app
whose migrations folder holds the runtime and two migrations (the registration, then the
next phase beginning with the guard), and the command module bg-scaffold generates. The
worker is a process as it is in production: killed with SIGKILL, run twice at once. This
file also shares a process with test_bg_scaffold_ops.py (which configures Django in its own
process) and takes its database helpers. Run it as that file is run:

    BG_OPS_DATABASE_URL=postgres://postgres@127.0.0.1:5432/scratch \\
        python -m unittest discover -s test/python -p 'test_bg_scaffold_*.py' -v
"""

import itertools
import os
import re
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import unittest
from pathlib import Path

import test_bg_scaffold_ops as base
from test_bg_scaffold_ops import side_connection, sql, value

APP = "shop_bg"
CHANGE = "item-add-weight"
# Each test's tables; the runtime's tracking tables.
TABLES = ("bg_item", "bg_uuid_item", "bg_text_item", "bg_empty_item")
TRACKING = ("bg_scaffold_backfill_batch", "bg_scaffold_backfill")

_project = tempfile.TemporaryDirectory(prefix="bg-background-")
PROJECT = Path(_project.name)
ENV = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "bg_settings",
    "PYTHONPATH": str(PROJECT),
    "PYTHONDONTWRITEBYTECODE": "1",
}

REGISTER_MIGRATION = textwrap.dedent(
    """\
    from django.db import migrations

    from ._bg_scaffold_vN import RegisterBackfill


    class Migration(migrations.Migration):
        atomic = False
        dependencies = []
        operations = [
            RegisterBackfill(
                "item-weight",
                "item-add-weight",
                "bg_item",
                set_sql="w = v * 2, touched = touched + 1",
                where_sql="w IS NULL",
                batch_size=10,
            ),
        ]
    """
)

# The next phase: the guard first, then what needs every row filled.
ENFORCE_MIGRATION = textwrap.dedent(
    """\
    from django.db import migrations

    from ._bg_scaffold_vN import RequireBackfillFinished, SetNotNull


    class Migration(migrations.Migration):
        atomic = False
        dependencies = [("shop_bg", "0001_register")]
        operations = [
            RequireBackfillFinished("item-add-weight", ["item-weight"]),
            SetNotNull("bg_item", "w"),
        ]
    """
)

# Runs one operation of the runtime (a Python expression) through a schema editor, as
# migrate does; "-sql" after the direction prints what sqlmigrate would show instead.
OPERATE = textwrap.dedent(
    """\
    import sys

    import django

    django.setup()
    from django.db import connection
    from django.db.migrations.state import ProjectState

    from shop_bg.migrations import _bg_scaffold_vN as ops

    operation = eval(sys.argv[1], vars(ops))
    direction, _, showing = sys.argv[2].partition("-")
    with connection.schema_editor(atomic=False, collect_sql=bool(showing)) as editor:
        method = getattr(operation, f"database_{direction}")
        method("shop_bg", editor, ProjectState(), ProjectState())
    if showing:
        print("\\n".join(editor.collected_sql))
    """
)

# The command, with the replica's replay lag it reads faked: 90s, 45s, then no replica.
LAGGING = textwrap.dedent(
    """\
    import sys
    from unittest import mock

    import django

    django.setup()
    from django.core.management import call_command

    from shop_bg.migrations import _bg_scaffold_vN as ops

    readings = iter([90.0, 45.0])
    with mock.patch.object(
        ops._Worker, "replication_lag", lambda self: next(readings, None)
    ):
        call_command("bg_scaffold_backfill", *sys.argv[1:])
    """
)


def write_project():
    module = base.RUNTIME.stem
    app = PROJECT / APP
    migrations, commands = app / "migrations", app / "management" / "commands"
    for folder in (migrations, commands):
        folder.mkdir(parents=True)
    for path in (
        app / "__init__.py",
        app / "models.py",
        migrations / "__init__.py",
        app / "management" / "__init__.py",
        commands / "__init__.py",
    ):
        path.write_text("")
    (migrations / base.RUNTIME.name).write_text(base.rendered_module())
    (migrations / "0001_register.py").write_text(
        REGISTER_MIGRATION.replace("_bg_scaffold_vN", module)
    )
    (migrations / "0002_enforce.py").write_text(
        ENFORCE_MIGRATION.replace("_bg_scaffold_vN", module)
    )
    # The command module bg-scaffold generates beside the migrations.
    (commands / "bg_scaffold_backfill.py").write_text(
        f"from ...migrations.{module} import BackfillCommand as Command\n"
    )
    (PROJECT / "bg_settings.py").write_text(
        f"DATABASES = {{'default': {base.django_database()!r}}}\n"
        f"INSTALLED_APPS = [{APP!r}]\n"
        "USE_TZ = True\n"
        "SECRET_KEY = 'test'\n"
        "DEFAULT_AUTO_FIELD = 'django.db.models.BigAutoField'\n"
    )
    (PROJECT / "operate.py").write_text(OPERATE.replace("_bg_scaffold_vN", module))
    (PROJECT / "lagging.py").write_text(LAGGING.replace("_bg_scaffold_vN", module))


def setUpModule():
    if not base.DATABASE_URL:
        raise unittest.SkipTest("set BG_OPS_DATABASE_URL to a PostgreSQL database")
    write_project()


def tearDownModule():
    _project.cleanup()


# --- helpers -----------------------------------------------------------------------


def python(*args, timeout=120):
    return subprocess.run(
        [sys.executable, *args],
        cwd=PROJECT,
        env=ENV,
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def manage(*args, timeout=120):
    return python("-m", "django", *args, timeout=timeout)


def backfill_command(*args, timeout=120):
    """The worker, to its end: exit code 0 expected unless told otherwise."""
    return manage("bg_scaffold_backfill", *args, timeout=timeout)


def operate(expression, direction="forwards"):
    return python("operate.py", expression, direction)


def register(name="item-weight", table="bg_item", *, change=CHANGE, **options):
    options.setdefault("batch_size", 10)
    more = "".join(f", {key}={option!r}" for key, option in options.items())
    return operate(
        f"RegisterBackfill({name!r}, {change!r}, {table!r}, 'w = v * 2,"
        f" touched = touched + 1', 'w IS NULL'{more})"
    )


def make_table(table="bg_item", key="bigint", rows=25):
    """``table`` (id, v, w NULL, touched 0) with ``rows`` rows, ids 1.. or uuid or
    'k1'.. in the key's type; ANALYZEd, so that its row estimate is known."""
    ids = {
        "bigint": "id bigserial PRIMARY KEY",
        "uuid": "id uuid PRIMARY KEY DEFAULT gen_random_uuid()",
        "varchar": "id varchar(20) PRIMARY KEY",
    }[key]
    given = ("id, ", "'k' || i, ") if key == "varchar" else ("", "")
    sql(
        f"CREATE TABLE {table} ({ids}, v integer NOT NULL, w integer,"
        " touched integer NOT NULL DEFAULT 0);"
        f"INSERT INTO {table} ({given[0]}v) SELECT {given[1]}i"
        f" FROM generate_series(1, {rows}) i;"
        f"ANALYZE {table}"
    )


def slow_rows(table="bg_item", seconds=0.01):
    """Makes each row of ``table`` take ``seconds`` to update (a trigger that sleeps)."""
    sql(
        "CREATE OR REPLACE FUNCTION bg_slowly() RETURNS trigger LANGUAGE plpgsql AS"
        f" $$ BEGIN PERFORM pg_sleep({seconds}); RETURN NEW; END $$;"
        f"CREATE TRIGGER bg_slowly BEFORE UPDATE ON {table}"
        " FOR EACH ROW EXECUTE FUNCTION bg_slowly()"
    )


def registration(name="item-weight"):
    rows = sql(
        "SELECT change, table_name, pk, upper_key, cursor_key, state, rows_estimate,"
        " batch_size, lock_timeout FROM bg_scaffold_backfill WHERE name = %s",
        [name],
    )
    return rows[0] if rows else None


def batches(name="item-weight"):
    """(lo, hi, keys, state, rows_updated, worker) of each batch, in the order made."""
    return sql(
        "SELECT k.lo, k.hi, k.keys, k.state, k.rows_updated, k.worker"
        " FROM bg_scaffold_backfill_batch k JOIN bg_scaffold_backfill b"
        " ON b.id = k.backfill_id WHERE b.name = %s ORDER BY k.id",
        [name],
    )


def filled(table="bg_item"):
    """Rows filled, and rows updated more than once."""
    return sql(f"SELECT count(w), count(*) FILTER (WHERE touched > 1) FROM {table}")[0]


def wait_until(condition, timeout=60, what="condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class Worker:
    """The command in a process of its own, its stderr read line by line."""

    def __init__(self, *args):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "django", "bg_scaffold_backfill", *args],
            cwd=PROJECT,
            env=ENV,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines = []
        self.reader = threading.Thread(target=self._read)
        self.reader.start()

    def _read(self):
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    def said(self, pattern):
        return any(re.search(pattern, line) for line in self.lines)

    def wait(self, timeout=120):
        code = self.process.wait(timeout)
        self.reader.join()
        self.process.stderr.close()
        return code

    def output(self):
        return "\n".join(self.lines)

    def kill(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        return self.wait()


class BackgroundTestCase(unittest.TestCase):
    def setUp(self):
        sql(
            f"DROP TABLE IF EXISTS {', '.join(TABLES + TRACKING)} CASCADE;"
            "DROP FUNCTION IF EXISTS bg_slowly() CASCADE"
        )
        if value("SELECT to_regclass('django_migrations')"):
            sql("DELETE FROM django_migrations WHERE app = %s", [APP])
        make_table()
        self.workers = []

    def tearDown(self):
        for worker in self.workers:
            worker.kill()

    def worker(self, *args):
        worker = Worker(*args)
        self.workers.append(worker)
        return worker

    def assertRan(self, result, code=0):
        self.assertEqual(result.returncode, code, result.stdout + result.stderr)
        return result

    def assertEveryRowFilledOnce(self, table="bg_item", rows=25):
        self.assertEqual(filled(table), (rows, 0))
        self.assertEqual(
            value(f"SELECT count(*) FROM {table} WHERE w IS DISTINCT FROM v * 2"), 0
        )

    def assertBatchesCoverTheKeysOnce(self, name="item-weight", rows=25, key="bigint"):
        """Every batch done, each once, their ranges in key order and apart."""
        found = batches(name)
        self.assertEqual({batch[3] for batch in found}, {"done"})
        self.assertEqual(sum(batch[2] for batch in found), rows)
        self.assertEqual(sum(batch[4] for batch in found), rows)
        ranges = sql(
            f"SELECT lo::{key}, hi::{key} FROM bg_scaffold_backfill_batch"
            " WHERE backfill_id = (SELECT id FROM bg_scaffold_backfill WHERE name = %s)"
            f" ORDER BY lo::{key}",
            [name],
        )
        for (_, hi), (lo, _) in itertools.pairwise(ranges):
            self.assertLess(hi, lo, "two batches share keys")
        return found


# --- RegisterBackfill ----------------------------------------------------------------


class Registering(BackgroundTestCase):
    def test_registers_the_backfill_and_returns_without_touching_the_table(self):
        versions = sql("SELECT id, xmin::text FROM bg_item ORDER BY id")
        self.assertRan(register())
        self.assertEqual(
            registration(),
            (CHANGE, "bg_item", "id", "25", None, "pending", 25, 10, "1s"),
        )
        self.assertEqual(batches(), [])
        # No row was written: every row version is the one from before.
        self.assertEqual(
            sql("SELECT id, xmin::text FROM bg_item ORDER BY id"), versions
        )

    def test_registering_again_changes_nothing(self):
        self.assertRan(register())
        before = sql("SELECT xmin::text, * FROM bg_scaffold_backfill")
        sql("INSERT INTO bg_item (v) VALUES (26)")
        self.assertRan(register(batch_size=99))
        self.assertEqual(sql("SELECT xmin::text, * FROM bg_scaffold_backfill"), before)

    def test_records_the_greatest_key_of_any_key_type_as_text(self):
        make_table("bg_uuid_item", "uuid")
        make_table("bg_text_item", "varchar")
        make_table("bg_empty_item", rows=0)
        for name, table in (("u", "bg_uuid_item"), ("t", "bg_text_item")):
            self.assertRan(register(name, table))
            greatest = value(
                f"SELECT id::text FROM {table} ORDER BY {table}.id DESC LIMIT 1"
            )
            self.assertEqual(registration(name)[3], greatest)
        self.assertEqual(registration("t")[3], "k9")  # in text order, not numeric
        self.assertRan(register("e", "bg_empty_item"))
        self.assertIsNone(registration("e")[3])

    def test_backwards_removes_the_registration_and_its_batches(self):
        self.assertRan(register())
        self.assertRan(backfill_command("--max-seconds", "0.5"))
        operation = "RegisterBackfill('item-weight', 'c', 'bg_item', 'w = 1', 'true')"
        self.assertRan(operate(operation, "backwards"))
        self.assertIsNone(registration())
        self.assertEqual(value("SELECT count(*) FROM bg_scaffold_backfill_batch"), 0)
        # ...and is safe when nothing was ever registered.
        sql(f"DROP TABLE {', '.join(TRACKING)}")
        self.assertRan(operate(operation, "backwards"))

    def test_sqlmigrate_shows_sql_that_registers_as_migrate_does_and_runs_nothing(self):
        shown = self.assertRan(manage("sqlmigrate", APP, "0001")).stdout
        self.assertIn('CREATE TABLE IF NOT EXISTS "bg_scaffold_backfill" (', shown)
        self.assertIn("ON CONFLICT (name) DO NOTHING;", shown)
        self.assertIsNone(value("SELECT to_regclass('bg_scaffold_backfill')"))
        # What it shows is SQL that runs (a description on two lines would not), and
        # registers the backfill as migrate does.
        sql(shown)
        shown_registration = registration()
        sql(f"DROP TABLE {', '.join(TRACKING)}")
        self.assertRan(manage("migrate", APP, "0001"))
        self.assertEqual(shown_registration, registration())
        self.assertEqual(filled(), (0, 0))
        backwards = manage("sqlmigrate", APP, "0001", "--backwards").stdout
        self.assertIn(
            "DELETE FROM \"bg_scaffold_backfill\" WHERE name = 'item-weight';",
            backwards,
        )
        # The guard's check is a SELECT that runs, and finds the unfinished backfill.
        guard = manage("sqlmigrate", APP, "0002").stdout
        select = next(
            line for line in guard.splitlines() if line.startswith("SELECT n.name")
        )
        self.assertEqual(sql(select), [("item-weight", "pending", 0, 25)])
        self.assertIn(f"bg_scaffold_backfill --change {CHANGE}", guard)


# --- the worker ----------------------------------------------------------------------


class Working(BackgroundTestCase):
    def test_fills_every_row_on_integer_uuid_and_text_keys(self):
        make_table("bg_uuid_item", "uuid", rows=40)
        make_table("bg_text_item", "varchar", rows=40)
        self.assertRan(register())
        self.assertRan(register("uuid-weight", "bg_uuid_item", batch_size=7))
        self.assertRan(register("text-weight", "bg_text_item", batch_size=7))
        said = self.assertRan(backfill_command("--change", CHANGE)).stderr
        self.assertEveryRowFilledOnce()
        self.assertEveryRowFilledOnce("bg_uuid_item", 40)
        self.assertEveryRowFilledOnce("bg_text_item", 40)
        self.assertBatchesCoverTheKeysOnce()
        self.assertBatchesCoverTheKeysOnce("uuid-weight", 40, "uuid")
        # text keys: in the column's order (its collation), as the batches walked them
        found = self.assertBatchesCoverTheKeysOnce("text-weight", 40, "varchar")
        self.assertEqual(len(found), 6)  # 40 keys in batches of at most 7
        states = sql("SELECT DISTINCT state FROM bg_scaffold_backfill")
        self.assertEqual(states, [("finished",)])
        self.assertIn(
            "bg-scaffold: backfill uuid-weight: finished: 40 rows updated", said
        )
        self.assertIn("every background backfill of change item-add-weight has", said)

    def test_leaves_rows_written_after_registration_to_the_writers(self):
        self.assertRan(register())
        sql("INSERT INTO bg_item (v) VALUES (26)")  # a serving release would fill w
        self.assertRan(backfill_command())
        self.assertEqual(filled(), (25, 0))
        self.assertIsNone(value("SELECT w FROM bg_item WHERE id = 26"))

    def test_batch_size_caps_the_batches(self):
        self.assertRan(register(batch_size=10_000))
        self.assertRan(backfill_command("--batch-size", "4"))
        self.assertEqual(max(batch[2] for batch in batches()), 4)
        self.assertBatchesCoverTheKeysOnce()

    def test_an_empty_table_finishes_at_once_and_a_second_run_has_nothing_to_do(self):
        make_table("bg_empty_item", rows=0)
        self.assertRan(register("e", "bg_empty_item"))
        self.assertRan(register())
        self.assertRan(backfill_command())
        self.assertEqual(registration("e")[5], "finished")
        made = len(batches())
        said = self.assertRan(backfill_command()).stderr
        self.assertEqual(len(batches()), made)
        self.assertIn("every background backfill has finished", said)

    def test_only_the_given_change_is_worked(self):
        self.assertRan(register())
        make_table("bg_uuid_item", "uuid")
        self.assertRan(register("other", "bg_uuid_item", change="other-change"))
        self.assertRan(backfill_command("--change", "other-change"))
        self.assertEqual(filled(), (0, 0))
        self.assertEqual(registration("other")[5], "finished")
        said = self.assertRan(backfill_command("--change", "no-such-change")).stderr
        self.assertIn("no background backfill of change no-such-change is", said)

    def test_without_a_registration_says_so_and_exits_0(self):
        said = self.assertRan(backfill_command()).stderr
        self.assertIn("no background backfill is registered in this database", said)

    def test_status_pause_and_resume(self):
        self.assertRan(register())
        status = self.assertRan(backfill_command("--status")).stdout
        self.assertIn(
            "item-weight (change item-add-weight, table bg_item): pending,"
            " 0 of ~25 keys walked (0%), 0 rows updated, 0 batches pending",
            status,
        )
        self.assertRan(backfill_command("--pause", "item-weight"))
        said = self.assertRan(backfill_command()).stderr
        self.assertIn("item-weight is paused: --resume item-weight", said)
        self.assertEqual(batches(), [])
        self.assertRan(backfill_command("--resume", "item-weight"))
        self.assertRan(backfill_command())
        self.assertEveryRowFilledOnce()
        status = backfill_command("--status").stdout
        self.assertRegex(status, r"finished, 25 of ~25 keys walked \(100%\), 25 rows")
        self.assertRan(backfill_command("--pause", "item-weight"), code=1)


# --- crash and resume, several workers --------------------------------------------------


class CrashAndResume(BackgroundTestCase):
    ROWS = 300

    def setUp(self):
        super().setUp()
        sql("DROP TABLE bg_item")
        make_table(rows=self.ROWS)
        slow_rows()  # 10 ms a row: batches of 5 take 50 ms
        self.assertRan(register(batch_size=5))

    def test_a_worker_killed_mid_run_loses_its_batch_only_and_a_rerun_finishes(self):
        worker = self.worker("--sleep-ratio", "0")
        done = "SELECT count(*) FROM bg_scaffold_backfill_batch WHERE state = 'done'"
        wait_until(lambda: (value(done) or 0) >= 3, what="three batches done")
        worker.kill()
        # The killed session's transaction ends when its statement does.
        wait_until(
            lambda: (
                not value(
                    "SELECT count(*) FROM pg_locks WHERE relation = 'bg_item'::regclass"
                    " AND pid <> pg_backend_pid()"
                )
            ),
            what="the killed worker's locks to go",
        )
        self.assertEqual(registration()[5], "running")
        walked = value(
            "SELECT sum(keys) FROM bg_scaffold_backfill_batch WHERE state = 'done'"
        )
        # Exactly the rows of the done batches are filled: the batch in hand rolled back.
        self.assertEqual(filled(), (walked, 0))
        self.assertLess(walked, self.ROWS)
        said = self.assertRan(backfill_command("--sleep-ratio", "0")).stderr
        self.assertIn("backfill item-weight: finished", said)
        self.assertEveryRowFilledOnce(rows=self.ROWS)
        self.assertBatchesCoverTheKeysOnce(rows=self.ROWS)

    def test_sigterm_stops_a_worker_cleanly_after_its_batch(self):
        worker = self.worker("--sleep-ratio", "0")
        done = "SELECT count(*) FROM bg_scaffold_backfill_batch WHERE state = 'done'"
        wait_until(lambda: (value(done) or 0) >= 2, what="two batches done")
        worker.process.send_signal(signal.SIGTERM)
        self.assertEqual(worker.wait(), 0, worker.output())
        self.assertTrue(worker.said("backfill item-weight: stopped by SIGTERM"))
        walked = value(
            "SELECT sum(keys) FROM bg_scaffold_backfill_batch WHERE state = 'done'"
        )
        self.assertEqual(filled(), (walked, 0))
        self.assertLess(walked, self.ROWS)

    def test_two_workers_at_once_share_the_batches_and_do_each_once(self):
        first = self.worker("--sleep-ratio", "0")
        second = self.worker("--sleep-ratio", "0")
        self.assertEqual((first.wait(), second.wait()), (0, 0), first.output())
        self.assertEveryRowFilledOnce(rows=self.ROWS)
        found = self.assertBatchesCoverTheKeysOnce(rows=self.ROWS)
        self.assertEqual(len({batch[5] for batch in found}), 2, "both did batches")
        self.assertEqual(registration()[5], "finished")

    def test_max_seconds_stops_cleanly_and_the_next_run_goes_on(self):
        started = time.monotonic()
        said = self.assertRan(
            backfill_command("--sleep-ratio", "0", "--max-seconds", "1")
        ).stderr
        self.assertLess(time.monotonic() - started, 30)
        self.assertRegex(
            said,
            r"backfill item-weight: stopped by --max-seconds: \d+ of ~300 keys walked"
            r" \(\d+%\); run the command again",
        )
        walked = sum(batch[2] for batch in batches() if batch[3] == "done")
        self.assertEqual(filled(), (walked, 0))
        self.assertTrue(0 < walked < self.ROWS, walked)
        self.assertRan(backfill_command("--sleep-ratio", "0"))
        self.assertEveryRowFilledOnce(rows=self.ROWS)
        self.assertBatchesCoverTheKeysOnce(rows=self.ROWS)


# --- the throttle ------------------------------------------------------------------------


class Throttle(BackgroundTestCase):
    def test_sleeps_in_proportion_to_each_batchs_time(self):
        slow_rows(seconds=0.02)
        self.assertRan(register(batch_size=5))
        self.assertRan(backfill_command("--sleep-ratio", "3"))
        # done_at is when a batch's transaction began: the next began after this one's
        # time and three times that asleep. A lower bound, that a loaded machine only
        # raises; without the sleep, the span is about the batches' own time.
        done = sql(
            "SELECT done_at, seconds FROM bg_scaffold_backfill_batch ORDER BY done_at"
        )
        span = (done[-1][0] - done[0][0]).total_seconds()
        worked = sum(seconds for _, seconds in done[:-1])
        self.assertGreater(worked, 0.3)  # 20 rows at 20 ms
        self.assertGreaterEqual(span, 4 * worked)
        self.assertEveryRowFilledOnce()

    def test_pauses_while_a_session_waits_for_a_lock_on_the_table(self):
        self.assertRan(register())
        release, released_at = threading.Event(), []

        def hold_row():
            with side_connection() as conn, conn.transaction():
                conn.execute("SELECT * FROM bg_item WHERE id = 1 FOR UPDATE")
                release.wait(60)
                released_at.append(conn.execute("SELECT clock_timestamp()").fetchone())

        def wait_for_row():
            with side_connection() as conn:
                conn.execute("UPDATE bg_item SET v = v WHERE id = 1")

        holder, waiter = (
            threading.Thread(target=hold_row),
            threading.Thread(target=wait_for_row),
        )
        holder.start()
        wait_until(
            lambda: value(
                "SELECT count(*) FROM pg_locks WHERE relation ="
                " 'bg_item'::regclass AND mode = 'RowShareLock'"
            )
        )
        waiter.start()
        wait_until(lambda: value("SELECT count(*) FROM pg_locks WHERE NOT granted"))
        worker = self.worker("--max-lock-waiters", "0")
        try:
            wait_until(
                lambda: worker.said("paused: 1 sessions wait for locks on"),
                what="the worker to pause",
            )
            self.assertEqual(batches(), [])
        finally:
            release.set()
            holder.join()
            waiter.join()
        self.assertEqual(worker.wait(), 0, worker.output())
        self.assertTrue(worker.said(r"backfill item-weight: going on after \d+s"))
        first_done = value("SELECT min(done_at) FROM bg_scaffold_backfill_batch")
        self.assertGreater(first_done, released_at[0][0])
        # Paused batches are smaller, but never past the registered batch_size.
        self.assertEqual(max(batch[2] for batch in batches()), 10)
        self.assertEveryRowFilledOnce()

    def test_pauses_while_a_replica_lags(self):
        self.assertRan(register())
        started = value("SELECT clock_timestamp()")
        said = self.assertRan(python("lagging.py")).stderr
        self.assertIn(
            "backfill item-weight: paused: a replica replays 90s behind"
            " (--max-replication-lag 30)",
            said,
        )
        # Two readings past the bound, a second apart, before the first batch.
        first_done = value("SELECT min(done_at) FROM bg_scaffold_backfill_batch")
        self.assertGreaterEqual((first_done - started).total_seconds(), 2.0)
        self.assertEveryRowFilledOnce()


# --- RequireBackfillFinished ---------------------------------------------------------


class Guard(BackgroundTestCase):
    def test_the_next_phase_fails_naming_the_command_until_the_backfill_finishes(self):
        self.assertRan(manage("migrate", APP, "0001"))
        self.assertEqual(filled(), (0, 0))
        failed = manage("migrate", APP)
        self.assertNotEqual(failed.returncode, 0)
        error = next(
            line
            for line in failed.stderr.splitlines()
            if "BackfillNotFinished: " in line
        )
        self.assertIn(
            "bg-scaffold: the background backfill of change item-add-weight has not"
            " finished: item-weight (pending: 0 of ~25 keys walked (0%)). Run python"
            " manage.py bg_scaffold_backfill --change item-add-weight until it says"
            " finished (it resumes where it stopped), then migrate again; PLAN.md tells"
            " how to force past this guard.",
            error,
        )
        self.assertFalse(base.is_not_null("bg_item", "w"))
        self.assertRan(backfill_command("--change", CHANGE))
        self.assertRan(manage("migrate", APP))
        self.assertTrue(base.is_not_null("bg_item", "w"))
        # Back to before the registration: the guard undoes nothing, the registration goes.
        self.assertRan(manage("migrate", APP, "zero"))
        self.assertIsNone(registration())
        self.assertFalse(base.is_not_null("bg_item", "w"))

    def test_names_progress_and_backfills_never_registered(self):
        self.assertRan(register())
        self.assertRan(backfill_command("--batch-size", "10", "--max-seconds", "0"))
        guard = f"RequireBackfillFinished({CHANGE!r}, ['item-weight', 'nope'])"
        failed = operate(guard)
        self.assertNotEqual(failed.returncode, 0)
        self.assertIn(
            "item-weight (pending: 0 of ~25 keys walked (0%)), nope (not registered:"
            " migrate its registration first)",
            failed.stderr,
        )
        sql(f"DROP TABLE {', '.join(TRACKING)}")
        self.assertIn("item-weight (not registered", operate(guard).stderr)


if __name__ == "__main__":
    unittest.main()
