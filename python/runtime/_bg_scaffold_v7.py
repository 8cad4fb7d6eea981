# bg-scaffold runtime, version 7: the steps of the PostgreSQL migrations bg-scaffold
# generates. Copied unchanged into each app's migrations folder, never edited there: a
# change of behaviour ships as a new version under a new name (_bg_scaffold_v8.py),
# beside this one, so a migration keeps the code it was generated and tested with;
# `bg-scaffold check` reports a copy that differs from the one bg-scaffold ships.
# Django's migration loader skips modules whose names start with "_": not a migration.
"""Blue-green-safe schema steps for PostgreSQL.

While a migration runs, the previous release serves all traffic. A DDL statement that
waits behind a long transaction for its lock blocks every query that arrives after it.
So a step that takes such a lock first waits, without queueing, while a long
transaction holds a lock on its tables; then it runs in its own short transaction under
``SET LOCAL lock_timeout`` (which ends with the step, and works behind PgBouncer),
retries with backoff after a lock timeout (a try that waits for locks on two tables
gives up before a writer it blocks could reach deadlock_timeout), and is safe to run
again: migrations using these operations have ``atomic = False``, and after a failure
halfway, running migrate again finishes the job. Each step also sets its
``statement_timeout``: a step that holds a lock writers wait for changes the catalog
only, and is stopped if it runs on (a scan, a rewrite) rather than stall them; a step
that blocks no writer (a validation, a batch, an index built CONCURRENTLY) has none, so
that a role's statement_timeout does not stop it halfway through a large table.

Most of these operations change only the database; the migration's own Django operations
change the model state. AddIndexConcurrently, RemoveIndexConcurrently and
AddConstraintConcurrently are Django's AddIndex, RemoveIndex and AddConstraint, and change
the state as those do; only their database step differs: indexes are built CONCURRENTLY,
CHECK constraints added NOT VALID and then validated, and rows that would break a unique
index or a check are named before anything is locked or built. ``manage.py sqlmigrate``
shows the SQL of every operation without touching the database, as SQL that migration
linters (squawk) parse: each step in its own transaction with its settings, and, where a
step does on purpose what a linter flags, that linter's ignore with the reason beside it.
SquawkIgnore and MigrationLinterIgnore carry the ignores a migration's plan gives.
"""

import hashlib
import os
import random
import re
import signal
import socket
import sys
import threading
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    DataError,
    IntegrityError,
    NotSupportedError,
    connections,
    transaction,
)
from django.db.migrations.exceptions import IrreversibleError
from django.db.migrations.operations import AddConstraint, AddIndex, RemoveIndex
from django.db.migrations.operations.base import Operation
from django.db.models import CheckConstraint, UniqueConstraint

LOCK_NOT_AVAILABLE = "55P03"  # the SQLSTATE of a lock timeout
DEADLOCK_DETECTED = "40P01"
QUERY_CANCELED = "57014"  # a statement_timeout
# How long a step that holds a lock writers wait for may run once it has its locks: it
# changes the catalog, in milliseconds; one that scans or rewrites the table would stall
# every writer until it ends. Its statement_timeout is this plus its lock waits.
HOLD_LIMIT = 1.0  # seconds
BACKOFF_FIRST, BACKOFF_CAP = 0.1, 5.0  # seconds between tries: 0.1, 0.2, 0.4 ... 5
PROGRESS_EVERY = 5.0  # seconds between progress lines of a long backfill
# A backfill batch holds its rows' locks until it commits: batches aim at this long.
BATCH_SECONDS, MIN_BATCH = 0.05, 100
# Before a try, transactions holding a lock on the step's tables are waited out if they
# were open before the wait began, or for longer than this: queued behind them, the try
# would block every writer for up to lock_timeout.
LONG_TRANSACTION, WAIT_POLL = 0.1, 0.05  # seconds
# Statements that take no lock that blocks writers: nothing to wait out before them.
_WRITER_SAFE = re.compile(
    r"\s*(SELECT|UPDATE|INSERT|DELETE|SET|RESET)\b|.*\bVALIDATE\s+CONSTRAINT\b",
    re.IGNORECASE | re.DOTALL,
)


class StepTimedOut(RuntimeError):
    """A step found no lock within lock_timeout on any of its tries, or held a lock
    that blocks writers past its statement_timeout."""


def _say(message):
    """One line for the operator watching migrate."""
    print(f"bg-scaffold: {message}", file=sys.stderr, flush=True)


def _sqlstates(error):
    # Django wraps the driver's error: psycopg 3 sets .sqlstate, psycopg2 .pgcode.
    cause = error.__cause__
    return {getattr(cause, "sqlstate", None), getattr(cause, "pgcode", None)}


def _lock_given_up(error):
    """Whether a try ended waiting for a lock: its lock_timeout, or a deadlock that
    PostgreSQL broke by cancelling this try (the writer it waited for goes on)."""
    return bool(_sqlstates(error) & {LOCK_NOT_AVAILABLE, DEADLOCK_DETECTED})


def _seconds(setting):
    """A lock_timeout setting ('1s', '200ms', '1min'; a bare number is ms) in seconds."""
    number, unit = re.fullmatch(r"(\d+)(us|ms|s|min|h|d)?", str(setting)).groups()
    return int(number) * _UNIT_SECONDS[unit]


_UNIT_SECONDS = {
    None: 1e-3,
    "us": 1e-6,
    "ms": 1e-3,
    "s": 1,
    "min": 60,
    "h": 3600,
    "d": 86400,
}


def _milliseconds(seconds):
    """A setting's value for PostgreSQL: '2000ms'."""
    return f"{round(seconds * 1000)}ms"


def _duration(seconds):
    """``42s``, ``7m05s``, ``2h13m``: how long, for a progress line."""
    seconds = int(seconds + 0.5)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def _backoff(number):
    """Seconds to wait after try ``number`` timed out, before jitter."""
    return min(BACKOFF_CAP, BACKOFF_FIRST * 2 ** min(number - 1, 16))


def _patience(timeout, tries):
    """Seconds that ``tries`` tries of lock_timeout ``timeout`` and the backoffs take."""
    return tries * _seconds(timeout) + sum(map(_backoff, range(1, tries)))


def _tries_within(patience, seconds):
    """How many tries of ``seconds`` each, with the backoffs between them, take about
    ``patience`` seconds."""
    tries, waited = 1, seconds
    while waited < patience:
        waited += _backoff(tries) + seconds
        tries += 1
    return tries


def _locked_names(statements):
    """The quoted names in the statements that take a lock blocking writers.

    Which of them are tables is for the catalog to say (see wait_out_long_transactions).
    """
    strong = [sql for sql in statements if not _WRITER_SAFE.match(sql)]
    return sorted({name for sql in strong for name in _QUOTED_NAME.findall(sql)})


_QUOTED_NAME = re.compile(r'"(?:[^"]|"")+"')


def _statement_timeout(statements, lock_timeout):
    """A step's statement_timeout, for PostgreSQL: "0" (none) when no statement takes a
    lock that blocks writers; else its lock waits (lock_timeout for each name it locks,
    at most: a statement_timeout must not cut short a wait that lock_timeout would end
    in a retry) and HOLD_LIMIT."""
    strong = [sql for sql in statements if not _WRITER_SAFE.match(sql)]
    if not strong:
        return "0"
    waits = max(1, len(_locked_names(strong)))
    return _milliseconds(waits * _seconds(lock_timeout) + HOLD_LIMIT)


def _statements(sql):
    """A string or a list of strings, as a list without empty statements."""
    return [s for s in ([sql] if isinstance(sql, str) else sql) if s.strip()]


class _Flagged(str):
    """A statement that a squawk rule flags in general, run on purpose: what sqlmigrate
    shows puts squawk's own ignore for that rule before it, the reason beside it."""

    def __new__(cls, sql, rule, why):
        flagged = super().__new__(cls, sql)
        flagged.rule, flagged.why = rule, why
        return flagged


def _shown(sql):
    """A statement as sqlmigrate shows it: after squawk's ignore when it is flagged."""
    if isinstance(sql, _Flagged):
        return [f"-- squawk-ignore {sql.rule} -- {sql.why}", f"{sql};"]
    return [f"{sql};"]


class _Steps:
    """Runs one operation's SQL through a schema editor, or only shows it (sqlmigrate)."""

    def __init__(self, operation, schema_editor):
        self.op, self.editor = operation, schema_editor
        self.connection, self.quote = schema_editor.connection, schema_editor.quote_name
        self.showing = schema_editor.collect_sql
        if self.connection.vendor != "postgresql":
            raise NotSupportedError(
                f"{operation.describe()}: bg-scaffold generated this migration for "
                f"PostgreSQL, but database {self.connection.alias!r} is "
                f"{self.connection.vendor}. Generate the change for that database."
            )

    def name(self, table, column, suffix):
        """Django's own name for an index or constraint, so its later operations find it."""
        return self.editor._create_index_name(table, [column], suffix=suffix)

    def row(self, sql, *params):
        """One row from the catalog; None under sqlmigrate, so every step shows."""
        if self.showing:
            return None
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()

    def fact(self, sql, *params):
        """One value from the catalog; None under sqlmigrate."""
        row = self.row(sql, *params)
        return row[0] if row else None

    def constraint_is_valid(self, table, name):
        """None when there is no such constraint."""
        sql = "SELECT convalidated FROM pg_constraint WHERE conrelid = %s::regclass"
        return self.fact(f"{sql} AND conname = %s", self.quote(table), name)

    def index_is_valid(self, name):
        """None when there is no such index; False for one a failed build left."""
        sql = "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)"
        return self.fact(sql, self.quote(name))

    def select(self, why, sql):
        """The rows of a read-only query that must find nothing before a step runs;
        under sqlmigrate, the query after a comment on ``why``, and no rows.

        ``sql`` runs without parameters: a "%" in it is literal.
        """
        if self.showing:
            self.editor.collected_sql.extend([f"-- bg-scaffold: {why}", f"{sql};"])
            return []
        with self.connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()

    def show(self, how, statements, statement_timeout, *, local=True):
        """Under sqlmigrate: a comment on how the statements would run, then the
        statements under the settings they would run with: SET LOCAL in a transaction
        of their own (Django shows the BEGIN of a migration that is one transaction), or
        SET for the session and RESET after (``local=False``)."""
        tries = f"lock_timeout {self.op.lock_timeout}, up to {self.op.retries} tries"
        limit = f"statement_timeout {statement_timeout}"
        if statement_timeout == "0":
            limit = "no statement_timeout: it blocks no writer"
        scope = "SET LOCAL" if local else "SET"
        settings = [
            f"{scope} lock_timeout = '{self.op.lock_timeout}'",
            f"{scope} statement_timeout = '{statement_timeout}'",
        ]
        body = [line for sql in [*settings, *statements] for line in _shown(sql)]
        if not local:
            body += ["RESET lock_timeout;", "RESET statement_timeout;"]
        elif not self.editor.atomic_migration:
            body = ["BEGIN;", *body, "COMMIT;"]
        self.editor.collected_sql.extend([f"-- bg-scaffold: {how}, {tries}, {limit}"])
        self.editor.collected_sql.extend(body)

    def ddl(self, label, *statements, params=None):
        """Statements in one short transaction under SET LOCAL lock_timeout and
        statement_timeout (see statement_timeout).

        Returns the row count of the last statement.
        """
        if self.showing:
            limit = _statement_timeout(statements, self.op.lock_timeout)
            return self.show("in one transaction", statements, limit)
        # In an atomic migration this is a savepoint, and SET LOCAL would last until the
        # migration commits: put the previous values back at the end of the step.
        previous = self.connection.in_atomic_block and self.row(
            "SELECT current_setting('lock_timeout'), current_setting('statement_timeout')"
        )
        alias = self.connection.alias

        def attempt(timeout):
            limit = _statement_timeout(statements, timeout)
            try:
                with transaction.atomic(alias), self.connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL lock_timeout = '{timeout}'")
                    cursor.execute(f"SET LOCAL statement_timeout = '{limit}'")
                    for sql in statements:
                        cursor.execute(sql, params)
                    rowcount = cursor.rowcount
                    if previous:
                        restore = (
                            "SELECT set_config('lock_timeout', %s, true),"
                            " set_config('statement_timeout', %s, true)"
                        )
                        cursor.execute(restore, list(previous))
                    return rowcount
            except DatabaseError as error:
                if limit == "0" or QUERY_CANCELED not in _sqlstates(error):
                    raise
                raise StepTimedOut(
                    f"bg-scaffold: {label}: stopped by its statement_timeout {limit}: it"
                    " held (or waited for) a lock that writers queue behind for longer"
                    " than a change to the catalog takes, so it was stopped rather than"
                    " stall them. Find what made it slow (a scan or rewrite of the"
                    " table, a session holding a lock: SELECT pid, xact_start, query"
                    " FROM pg_stat_activity), then run migrate again: every step is safe"
                    " to run again."
                ) from error

        return self.retry(label, attempt, _locked_names(statements))

    def concurrently(self, label, index, statement):
        """CREATE or DROP INDEX CONCURRENTLY ``index``, which refuses transaction blocks.

        So lock_timeout is set for the session and reset in ``finally``. That is safe:
        the SHARE UPDATE EXCLUSIVE lock blocks neither readers nor writers, so nothing
        queues behind us while we wait (lock_timeout also bounds the build's waits for
        older transactions). A failed build leaves an INVALID index, which IF NOT EXISTS
        would keep: it is dropped before every try.
        """
        drop = f"DROP INDEX CONCURRENTLY IF EXISTS {self.quote(index)}"
        if self.showing:
            how = f"outside any transaction (first {drop} if it is INVALID)"
            return self.show(how, [statement], "0", local=False)
        if self.connection.in_atomic_block:
            raise NotSupportedError(
                f"{self.op.describe()}: CONCURRENTLY cannot run inside a transaction; "
                "this migration needs atomic = False."
            )
        invalid = (
            "SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)"
        )

        def attempt(timeout):
            with self.connection.cursor() as cursor:
                cursor.execute(f"SET lock_timeout = '{timeout}'")
                # A build blocks no writer, and on a large table takes its time.
                cursor.execute("SET statement_timeout = 0")
                try:
                    if self.fact(invalid, self.quote(index)):
                        cursor.execute(drop)
                    cursor.execute(statement)
                finally:
                    cursor.execute("RESET lock_timeout")
                    cursor.execute("RESET statement_timeout")

        self.retry(label, attempt)

    def vacuum_analyze(self, table):
        """VACUUM (ANALYZE) ``table`` after a backfill, outside any transaction.

        The backfill left a dead row version behind every row it updated, so autovacuum
        soon starts on the table, and a later step's lock request that meets it queues
        every writer behind it until autovacuum gives way, deadlock_timeout later
        (measured: 1s write stalls after a 10M-row backfill). This VACUUM blocks no
        reader or writer, keeps autovacuum off the table while it runs and leaves it no
        work; its ANALYZE gives the new values their statistics. Without ownership of
        the table, PostgreSQL skips it with a warning; the steps after it cope with
        autovacuum as before. In an atomic migration (single-release), which VACUUM
        cannot run in, it is left to autovacuum.
        """
        sql = f"VACUUM (ANALYZE) {self.quote(table)}"
        if self.showing:
            how = "-- bg-scaffold: then, outside any transaction (it blocks no writer)"
            return self.editor.collected_sql.extend([how, f"{sql};"])
        if self.connection.in_atomic_block:
            return
        started = time.monotonic()
        with self.connection.cursor() as cursor:
            cursor.execute(sql)
        if time.monotonic() - started >= PROGRESS_EVERY:
            _say(f"{sql}: {time.monotonic() - started:.0f}s")

    def retry(self, label, attempt, locked_names=()):
        """Call attempt(); after a lock timeout, back off and call it again.

        Before each try, long transactions holding a lock on ``locked_names`` are waited
        out, for no longer in all than the tries themselves could take.
        """
        timeout, tries = self.try_timeout(locked_names)
        patience = _patience(timeout, tries)
        for number in range(1, tries + 1):
            this_try, autovacuum = timeout, False
            if locked_names and patience > 0:
                waited, autovacuum = self.wait_out_long_transactions(
                    label, locked_names, patience
                )
                patience -= waited
            if autovacuum:
                # Autovacuum gives way to a queued lock request after deadlock_timeout:
                # a try that gave up first (as 1s against 1s does) would never see that.
                wait = _seconds(timeout) + _seconds(self.fact("SHOW deadlock_timeout"))
                this_try = f"{round(wait * 1000)}ms"
            try:
                return attempt(this_try)
            except DatabaseError as error:
                if not _lock_given_up(error):
                    raise
                if number == tries:
                    raise StepTimedOut(
                        f"bg-scaffold: {label}: no lock within lock_timeout {timeout}, "
                        f"{tries} times. A long transaction holds a conflicting lock: "
                        "find it (SELECT pid, xact_start, query FROM pg_stat_activity), "
                        "let it finish or end it, then run migrate again: every step "
                        "is safe to run again."
                    ) from error
                delay = min(BACKOFF_CAP, _backoff(number) * random.uniform(0.75, 1.25))
                _say(
                    f"{label}: no lock in {timeout} (try {number}/{tries}), wait {delay:.1f}s"
                )
                time.sleep(delay)

    def try_timeout(self, locked_names):
        """Each try's lock_timeout, and how many tries: the step's own, unless a try
        waits for locks on more than one table.

        Such a try holds the first table's lock while it waits for the next. A writer
        that queued behind the first while holding a lock the try waits for is in a
        deadlock, and PostgreSQL cancels whichever waiter reaches deadlock_timeout
        first: the writer, when it queued before the try began its last wait (seen in
        the blue-green matrix: the previous release's INSERT failed while a foreign key
        was dropped). With each of the try's n waits shorter than deadlock_timeout /
        (n + 1), the try gives up first and is tried again; the writer just waits. More
        tries keep the step's patience (the time its tries and backoffs take).
        """
        timeout, tries = self.op.lock_timeout, self.op.retries
        tables = self.fact(_TABLES_LOCKED, list(locked_names)) if locked_names else 0
        if not tables or tables < 2:
            return timeout, tries
        limit = _seconds(self.fact("SHOW deadlock_timeout")) / (tables + 1)
        if _seconds(timeout) <= limit:
            return timeout, tries
        shorter = max(1, int(limit * 1000))
        return f"{shorter}ms", _tries_within(_patience(timeout, tries), shorter / 1000)

    def wait_out_long_transactions(self, label, names, limit):
        """Wait, up to ``limit`` seconds, while a transaction holds a lock on one of the
        tables ``names`` may name (or on a table tied to one by a foreign key, which DDL
        on it locks too), if it was open before the wait began or for longer than
        LONG_TRANSACTION.

        Queued behind such a transaction, the step's lock request would block every query
        on the table that comes after it; waiting here blocks nobody. Short transactions
        that begin while we wait are not waited for: on a busy table there is always one.
        Returns the seconds waited, and whether autovacuum holds a lock there. Autovacuum is
        not waited for: it gives way to a lock request that has queued behind it for
        deadlock_timeout, and waiting would keep it going (measured: after a 10M-row
        backfill). Nor is a transaction that is itself waiting for this migration (an
        atomic migration holds what its earlier steps locked): it cannot end first.
        Transactions of roles whose activity this role may not see (see
        pg_read_all_stats) are not waited for either; lock_timeout still bounds them.
        """
        if self.showing:
            return 0.0
        started, announced = time.monotonic(), False
        since = self.fact("SELECT clock_timestamp()")
        while True:
            # pg_stat_activity is read once per transaction and kept: in an atomic
            # migration it would show the sessions as they were at its first read.
            self.fact("SELECT pg_stat_clear_snapshot()")
            holder = self.row(_LONG_HOLDER, list(names), since, LONG_TRANSACTION)
            waited = time.monotonic() - started
            if holder is None:
                return waited, False
            pid, table, age, query, autovacuum = holder
            if autovacuum:
                _say(f"{label}: autovacuum (pid {pid}) holds {table}: it will give way")
                return waited, True
            if waited >= limit:
                _say(
                    f"{label}: pid {pid} still holds {table}, trying under lock_timeout"
                )
                return waited, False
            if not announced:
                _say(
                    f"{label}: waiting for pid {pid} to end its transaction on {table} "
                    f"(open {age:.1f}s: {query!r}) rather than queue writers behind it"
                )
                announced = True
            time.sleep(WAIT_POLL)


# How many tables a step's statements lock: those named in %s, and those tied to them by
# a foreign key (DDL on a table that has one locks the other table too).
_TABLES_LOCKED = """
WITH named AS (
    SELECT c.oid FROM unnest(%s::text[]) AS n(name)
    JOIN pg_class c ON c.oid = to_regclass(n.name) AND c.relkind IN ('r', 'p')
)
SELECT count(*) FROM (
    SELECT oid FROM named
    UNION SELECT confrelid FROM pg_constraint
    WHERE contype = 'f' AND conrelid IN (SELECT oid FROM named)
    UNION SELECT conrelid FROM pg_constraint
    WHERE contype = 'f' AND confrelid IN (SELECT oid FROM named)
) AS related
"""

# The transaction other than ours, oldest first and autovacuum last, that holds a lock on
# a table named in %s or tied to one by a foreign key, and began before %s or more than
# %s seconds ago, and is not itself waiting for ours; and whether it is autovacuum.
_LONG_HOLDER = """
WITH named AS (
    SELECT c.oid FROM unnest(%s::text[]) AS n(name)
    JOIN pg_class c ON c.oid = to_regclass(n.name) AND c.relkind IN ('r', 'p')
), related AS (
    SELECT oid FROM named
    UNION SELECT confrelid FROM pg_constraint
    WHERE contype = 'f' AND conrelid IN (SELECT oid FROM named)
    UNION SELECT conrelid FROM pg_constraint
    WHERE contype = 'f' AND confrelid IN (SELECT oid FROM named)
)
SELECT a.pid, l.relation::regclass::text,
    extract(epoch FROM clock_timestamp() - a.xact_start)::float, left(a.query, 60),
    a.backend_type = 'autovacuum worker'
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.granted AND l.relation IN (SELECT oid FROM related)
    AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
    AND a.pid <> pg_backend_pid()
    AND NOT pg_backend_pid() = ANY (pg_blocking_pids(a.pid))
    AND a.backend_type IN ('client backend', 'autovacuum worker')
    AND a.xact_start < greatest(%s, clock_timestamp() - make_interval(secs => %s))
ORDER BY a.backend_type = 'autovacuum worker', a.xact_start
LIMIT 1
"""


class BlueGreenOperation(Operation):
    """A database-only step: ``lock_timeout`` per try (e.g. "1s"), ``retries`` tries.

    ``deconstruct()`` is Django's own: it returns the arguments the migration passed,
    and squashmigrations writes the same call back. Its writer keeps only arguments it
    finds in ``__init__``'s signature, so every operation spells them all out.
    """

    atomic = False  # each step manages its own transactions
    reduces_to_sql = True  # so sqlmigrate calls us; under collect_sql we only show SQL
    summary = ""  # describe(): formatted with the operation's attributes

    def __init__(self, *, lock_timeout="1s", retries=10):
        self.defined_in = _calling_module()
        self.lock_timeout, self.retries = _lock_settings(lock_timeout, retries)

    def describe(self):
        # One line: migrate prints it after "Applying", sqlmigrate in a "--" comment.
        return " ".join(self.summary.format(**vars(self)).split())

    def state_forwards(self, app_label, state):
        """Nothing: the migration's own Django operations change the model state."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        _run_forwards(self, app_label, schema_editor, self.forwards)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        self.backwards(_Steps(self, schema_editor))


def _lock_settings(lock_timeout, retries):
    """An operation's lock_timeout and retries; lock_timeout goes into SQL as written."""
    if not re.fullmatch(r"\d+(us|ms|s|min|h|d)?", str(lock_timeout)):
        raise ValueError(f"lock_timeout looks like '1s', '200ms': {lock_timeout!r}")
    return lock_timeout, max(1, int(retries))


def _run_forwards(operation, app_label, schema_editor, forwards):
    """forwards(steps); when it fails, how to finish or undo the migration it stopped."""
    steps = _Steps(operation, schema_editor)
    try:
        forwards(steps)
    except Exception:
        advice = _stopped_halfway(app_label, operation.defined_in)
        if advice and not steps.showing:
            _say(advice)
        raise


def _calling_module():
    """The name of the module, outside this one, that builds the operation: its migration."""
    frame = sys._getframe(1)
    while frame and frame.f_globals.get("__name__") == __name__:
        frame = frame.f_back
    return frame.f_globals.get("__name__", "") if frame else ""


def _stopped_halfway(app_label, module):
    """How to finish, or undo, a non-atomic migration that failed after some steps;
    None for an operation that no migration module built.

    Django records a migration only when all of it ran, so ``migrate`` backwards would
    not undo the steps that did run: faking it applied first makes it undoable, and
    every step's undo is safe to run whether or not the step itself ran.
    """
    package, _, name = module.rpartition(".")
    migration = sys.modules.get(module) and getattr(
        sys.modules[module], "Migration", None
    )
    if not name or not package.endswith(".migrations") or migration is None:
        return None
    before = [dep for app, dep in migration.dependencies if app == app_label]
    undo = (
        f"manage.py migrate {app_label} {before[0]}"
        if before
        else (f"manage.py migrate {app_label} zero")
    )
    return (
        f"{app_label}.{name} stopped halfway and is not recorded as applied. To finish "
        f"it, fix the cause and run manage.py migrate again (every step is safe to run "
        f"again). To undo what it did instead: manage.py migrate {app_label} {name} "
        f"--fake, then {undo}."
    )


class RunDDL(BlueGreenOperation):
    """SQL in one short transaction per direction, under lock_timeout with retries.

    ``reverse_sql=None`` makes it irreversible; ``""`` or ``[]`` means nothing to undo.
    The SQL must be safe to run twice (IF EXISTS, IF NOT EXISTS).
    """

    def __init__(self, sql, reverse_sql=None, *, lock_timeout="1s", retries=10):
        super().__init__(lock_timeout=lock_timeout, retries=retries)
        self.sql = _statements(sql)
        self.reverse_sql = None if reverse_sql is None else _statements(reverse_sql)
        self.reversible = reverse_sql is not None

    def describe(self):
        more = f" (+{len(self.sql) - 1} more)" if len(self.sql) > 1 else ""
        first = " ".join((self.sql or [""])[0].split())  # one line, as in a comment
        return f"Run DDL under lock_timeout: {first[:70]}{more}"

    def forwards(self, steps):
        steps.ddl(self.describe(), *self.sql)

    def backwards(self, steps):
        if self.reverse_sql is None:
            raise IrreversibleError(f"{self.describe()}: no reverse_sql, cannot undo.")
        if self.reverse_sql:
            steps.ddl(f"undo {self.describe()}", *self.reverse_sql)


# The page walk of BackfillInBatches (PostgreSQL 14+, which scans a range of ctids
# directly: Tid Range Scan). bench/README.md, "Backfill against the table's own limit"
# (issue 20): with the loop on the server and batches aimed at 20 ms, the slowest serving
# write stayed within 2x the baseline; with 50 ms batches it did not (a writer that meets
# a row of a batch waits for the batch to commit).
PAGE_WALK_SINCE = 140000  # server_version_num
PAGE_BATCH_SECONDS = 0.02
# A DO block runs about this long of batches: one round trip per block, not per batch
# (on a loaded host, round trips around small batches halved their throughput), and
# progress is reported between blocks.
BLOCK_SECONDS = 1.0
FIRST_BATCH_ROWS = 2000  # the first batch, before any has been timed
SWEEP_KEYS = 1000  # keys per batch of the sweep after the walk
_BLOCK_DONE = re.compile(r"bg_scaffold_block rows=(\d+) step=(\d+) batches=(\d+)")

# Whether the table is a plain table, its pages now, and its rows per page as the
# planner last counted them (unknown before the first ANALYZE).
_HEAP = """
SELECT c.relkind = 'r', pg_relation_size(c.oid) / current_setting('block_size')::int,
    CASE WHEN c.reltuples > 0 AND c.relpages > 0 THEN c.reltuples / c.relpages END
FROM pg_class c WHERE c.oid = %s::regclass
"""


def _page_block(table, set_sql, where, first, end, step, most):
    """One DO block: batches over pages ``first`` up to ``end``, the first of ``step``
    pages, none of more than ``most``, each committed; then a NOTICE of what it did.

    The numbers are text, so that sqlmigrate can show them as $1 ... $4. The variables
    carry a prefix: PL/pgSQL refuses a name that is both a variable and a column.
    """
    tag = "bg"
    while f"${tag}$" in f"{set_sql} {where}":
        tag += "_"
    target = repr(PAGE_BATCH_SECONDS)
    pages = (
        "ctid >= format('(%s,0)', bg_page)::tid"
        " AND ctid < format('(%s,0)', bg_next)::tid"
    )
    return f"""DO ${tag}$
DECLARE
  bg_page bigint := {first}; bg_next bigint; bg_step bigint := {step};
  bg_rows bigint := 0; bg_n bigint; bg_batches int := 0;
  bg_began timestamptz; bg_took float8;
BEGIN
  WHILE bg_page < {end} LOOP
    bg_next := least({end}, bg_page + bg_step);
    bg_began := clock_timestamp();
    -- Only rows no writer holds: a batch never waits for a writer, so it cannot
    -- deadlock with one; the rows it skips are left to the sweep by key.
    UPDATE {table} SET {set_sql} WHERE ctid = ANY(ARRAY(
      SELECT ctid FROM {table} WHERE {pages} AND ({where}) FOR UPDATE SKIP LOCKED));
    GET DIAGNOSTICS bg_n = ROW_COUNT;
    COMMIT;  -- each batch its own transaction: its row locks last one batch
    bg_took := extract(epoch FROM clock_timestamp() - bg_began);
    bg_rows := bg_rows + bg_n; bg_batches := bg_batches + 1; bg_page := bg_next;
    -- Aim at {target}s: shrink at once, grow at most twofold.
    bg_step := greatest(1, least({most},
      (bg_step * least(2.0, {target} / greatest(bg_took, 1e-6)))::bigint));
  END LOOP;
  RAISE NOTICE 'bg_scaffold_block rows=% step=% batches=%', bg_rows, bg_step, bg_batches;
END
${tag}$"""


class _Notices:
    """Collects the NOTICE messages the server sends a connection while in use
    (psycopg 3 hands them to a handler; psycopg2 appends them to ``notices``)."""

    def __init__(self, connection):
        connection.ensure_connection()
        self.raw, self.heard = connection.connection, []

    def __enter__(self):
        if hasattr(self.raw, "add_notice_handler"):
            self.raw.add_notice_handler(self.notice)
        else:
            self.kept, self.raw.notices = self.raw.notices, self
        return self

    def notice(self, diagnostic):
        self.heard.append(diagnostic.message_primary or "")

    def append(self, message):  # psycopg2: "NOTICE:  ...\n"
        self.heard.append(message.strip())

    def __exit__(self, *exc):
        if hasattr(self.raw, "add_notice_handler"):
            self.raw.remove_notice_handler(self.notice)
        else:
            self.raw.notices = self.kept


class BackfillInBatches(BlueGreenOperation):
    """UPDATE a table in batches, each its own transaction, then VACUUM (ANALYZE).

    One UPDATE over a large table would hold its row locks, and stall writers, until it
    ends: a writer that meets a row of a batch waits for the batch to commit, so batches
    are short. ``where_sql`` must select only rows that still differ, so that a run after
    a failure skips finished rows. The key may be of any type PostgreSQL can order
    (integer, uuid, text). The VACUUM keeps autovacuum from holding the table against the
    next step. Backwards leaves the data as it is.

    On PostgreSQL 14+, outside a transaction (``atomic = False``), the batches walk the
    table's pages as they are at the start, in physical order: PostgreSQL scans a range
    of pages directly (Tid Range Scan), with no query for a batch's keys. The loop runs on
    the server, a DO block of about BLOCK_SECONDS of batches at a time; each batch is
    committed and aimed at PAGE_BATCH_SECONDS (a page at least, ``batch_size`` rows at
    most). A batch takes only rows no writer holds (FOR UPDATE SKIP LOCKED): it never
    waits for a writer, so it cannot deadlock with one (a batch that locked in heap order
    and waited deadlocked with a serving bulk update). Then a sweep fills, by key, what
    the walk left: rows skipped while a writer held them, or moved by something that
    rewrote the table; its batches of SWEEP_KEYS keys lock in key order and wait for
    writers under lock_timeout. Rows written after the start are the writers' (whatever
    writes them writes both columns); the walk or the sweep fills any it meets still
    differing.

    On PostgreSQL 13 and older (a range of ctids would scan the whole table), or inside a
    transaction, keyset batches: a batch is the next ``batch_size`` keys after the last
    batch's (no ``min()``/``max()`` arithmetic: uuid has neither), fewer when batches take
    longer than BATCH_SECONDS, its rows locked in key order. Rows inserted after the start
    are past the last key and left alone.
    """

    summary = "Backfill {table} in batches of up to {batch_size}: SET {set_sql}"

    def __init__(
        self,
        table,
        set_sql,
        where_sql,
        *,
        pk="id",
        batch_size=10_000,
        lock_timeout="1s",
        retries=10,
    ):
        super().__init__(lock_timeout=lock_timeout, retries=retries)
        self.table, self.set_sql, self.where_sql = table, set_sql, where_sql
        self.pk, self.batch_size = pk, int(batch_size)

    def forwards(self, steps):
        table = steps.quote(self.table)
        if steps.showing:
            # What runs depends on the server, which sqlmigrate does not ask: both ways.
            if not steps.editor.atomic_migration:
                self.walk_pages(steps, table, None)
                self.sweep(steps, table)
            self.walk_keys(steps, table)
            return steps.vacuum_analyze(self.table)
        heap = self.heap(steps, table)
        if heap is None:
            self.walk_keys(steps, table)
        else:
            self.walk_pages(steps, table, heap)
            self.sweep(steps, table)
        steps.vacuum_analyze(self.table)

    def heap(self, steps, table):
        """(pages, rows per page) for the page walk; None where it cannot run: before
        PostgreSQL 14, in a transaction (a DO block commits only outside one), or on a
        table with no pages of its own (partitioned)."""
        connection = steps.connection
        if connection.in_atomic_block or not connection.get_autocommit():
            return None
        if int(steps.fact("SHOW server_version_num")) < PAGE_WALK_SINCE:
            return None
        plain, pages, per_page = steps.row(_HEAP, table)
        if not plain:
            return None
        if per_page is None and pages:
            # Never analyzed: the rows of the first pages tell.
            sample = min(pages, 16)
            found = f"SELECT count(*) FROM {table} WHERE ctid < %s::tid"
            per_page = steps.fact(found, f"({sample},0)") / sample
        return pages, max(float(per_page or 0), 1.0)

    def walk_pages(self, steps, table, heap):
        """The pages that exist now, in DO blocks (see the class); None to show them."""
        if heap is None:
            bounds = ("$1", "$2", "$3", "$4")
            block = _page_block(table, self.set_sql, self.where_sql, *bounds)
            how = (
                "on PostgreSQL 14+, the table's pages at the start in physical order, in DO"
                f" blocks of about {BLOCK_SECONDS:g}s of batches aimed at"
                f" {PAGE_BATCH_SECONDS * 1000:g}ms of up to {self.batch_size} rows, each"
                " batch committed, each block with its first and end page and the pages of"
                " its first and largest batch as $1 to $4; rows a writer holds are skipped"
            )
            return steps.show(how, [block], "0", local=False)
        pages, per_page = heap
        most = max(1, int(self.batch_size / per_page))
        step = min(most, max(1, int(min(self.batch_size, FIRST_BATCH_ROWS) / per_page)))
        settings = ("lock_timeout", "statement_timeout", "client_min_messages")
        previous = steps.row(
            "SELECT current_setting(%s), current_setting(%s), current_setting(%s)",
            *settings,
        )
        page = updated = reported_page = 0
        started = reported = time.monotonic()
        try:
            with (
                _Notices(steps.connection) as notices,
                steps.connection.cursor() as cursor,
            ):
                # For the session, as a DO block that commits cannot SET LOCAL for itself
                # beforehand. A batch blocks no writer: no statement_timeout. The block's
                # NOTICE must reach us.
                cursor.execute("SET statement_timeout = 0")
                cursor.execute("SET client_min_messages = notice")
                while page < pages:
                    upto = min(
                        pages,
                        page
                        + max(step, int(step * BLOCK_SECONDS / PAGE_BATCH_SECONDS)),
                    )
                    block = _page_block(
                        table, self.set_sql, self.where_sql, page, upto, step, most
                    )
                    label = f"backfill {self.table} pages {page}..{upto}"
                    rows, step = self.run_block(steps, label, block, notices, step)
                    updated, page, now = updated + rows, upto, time.monotonic()
                    if now - reported >= PROGRESS_EVERY:
                        self.report_pages(updated, page, pages, now - started)
                        reported, reported_page = now, page
        finally:
            restore = ", ".join(["set_config(%s, %s, false)"] * len(settings))
            with steps.connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {restore}",
                    [x for pair in zip(settings, previous) for x in pair],
                )
        if reported > started and reported_page < page:
            self.report_pages(updated, page, pages, time.monotonic() - started)

    def run_block(self, steps, label, block, notices, step):
        """Runs one DO block, sent again after a lock timeout (its committed batches
        stay; the batches sent again skip the rows they filled). Returns the rows it
        updated and the batch size, in pages, it ended with."""

        def attempt(timeout):
            del notices.heard[:]
            with steps.connection.cursor() as cursor:
                cursor.execute(f"SET lock_timeout = '{timeout}'")
                cursor.execute(block)

        steps.retry(label, attempt)
        done = [found for found in map(_BLOCK_DONE.search, notices.heard) if found]
        if not done:
            return 0, step
        rows, step, _batches = map(int, done[-1].groups())
        return rows, step

    def sweep(self, steps, table):
        """After the page walk: the rows ``where_sql`` still selects, found by one scan,
        UPDATEd by key in batches of SWEEP_KEYS, each its own transaction; None when
        showing. Returns the rows updated."""
        pk = steps.quote(self.pk)
        set_sql, where = (
            sql.replace("%", "%%") for sql in (self.set_sql, self.where_sql)
        )
        # The keys' array in the key's own type (under sqlmigrate, PREPARE infers it).
        key_type = steps.fact(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
            " WHERE attrelid = %s::regclass AND attname = %s",
            table,
            self.pk,
        )
        keys = f"{pk} = ANY(%s::{key_type}[])" if key_type else f"{pk} = ANY(%s)"
        # Locked in key order, as the keyset walk locks, waiting for writers as usual.
        rows = f"SELECT {pk} FROM {table} WHERE {keys} AND ({where})"
        rows = f"{rows} ORDER BY {pk} FOR UPDATE"
        update = f"UPDATE {table} SET {set_sql} WHERE {keys} AND {pk} IN ({rows})"
        if steps.showing:
            how = (
                "then the rows the page walk left (skipped while a writer held them, or"
                f" moved), found by one scan: batches of up to {SWEEP_KEYS} keys by"
                f" {self.pk}, one transaction each, each running this statement with the"
                " batch's keys as $1"
            )
            sweep = f"PREPARE bg_scaffold_sweep AS {update % ('$1', '$1')}"
            return steps.show(how, [sweep], "0")
        swept = 0
        # A cursor WITH HOLD in autocommit (Django's chunked cursor): the scan's keys are
        # kept by the server, not in memory here, and no snapshot is held meanwhile.
        with steps.connection.chunked_cursor() as left:
            left.execute(f"SELECT {pk} FROM {table} WHERE ({self.where_sql})")
            while batch := [key for (key,) in left.fetchmany(SWEEP_KEYS)]:
                label = f"backfill {self.table} rows left, {self.pk} {min(batch)}..{max(batch)}"
                swept += steps.ddl(label, update, params=[batch, batch])
        if swept:
            _say(
                f"backfill {self.table}: {swept} rows the page walk left (held by a"
                f" writer, or moved) updated by {self.pk}"
            )
        return swept

    def walk_keys(self, steps, table):
        """Keyset batches (see the class); under sqlmigrate, shows them."""
        pk = steps.quote(self.pk)
        # "%" in the given SQL is literal: only the batch's keys are parameters.
        set_sql, where = (
            sql.replace("%", "%%") for sql in (self.set_sql, self.where_sql)
        )
        # Rows are locked in primary key order, as select_for_update().order_by("pk") locks
        # them: in heap order, a batch deadlocked with the serving code's bulk update
        # (measured). The range is repeated outside so the UPDATE scans only the range.
        in_range = f"{pk} >= %s AND {pk} <= %s"
        rows = f"SELECT {pk} FROM {table} WHERE {in_range} AND ({where})"
        rows = f"{rows} ORDER BY {pk} FOR UPDATE"
        update = f"UPDATE {table} SET {set_sql} WHERE {in_range} AND {pk} IN ({rows})"
        if steps.showing:
            # As SQL that parses (linters read sqlmigrate): the batch's statement, prepared,
            # its first and last key the parameters $1 and $2.
            how = (
                f"keyset batches of up to {self.batch_size} rows by {self.pk}, one "
                "transaction each, each running this statement with the batch's first and "
                "last key as $1 and $2"
            )
            if not steps.editor.atomic_migration:
                how = f"on PostgreSQL 13 and older, instead of both: {how}"
            prepared = f"PREPARE bg_scaffold_backfill AS {update % (('$1', '$2') * 2)}"
            return steps.show(how, [prepared], "0")
        last = steps.row(f"SELECT {pk} FROM {table} ORDER BY {pk} DESC LIMIT 1")
        if last is None:
            return
        estimate = steps.fact(
            "SELECT reltuples FROM pg_class WHERE oid = %s::regclass", table
        )

        def batch_keys(lower):
            # The first key, the last key and the number of keys of the next batch:
            # array_agg, because min() and max() do not exist for every key type.
            keys = f"SELECT {pk} AS k FROM {table} WHERE {lower}{pk} <= %s"
            return (
                "SELECT (array_agg(k ORDER BY k))[1], (array_agg(k ORDER BY k DESC))[1], "
                f"count(*) FROM ({keys} ORDER BY {pk} LIMIT %s) AS batch"
            )

        first_batch, next_batch = batch_keys(""), batch_keys(f"{pk} > %s AND ")
        size, after, updated, walked, reported_walked = self.batch_size, None, 0, 0, 0
        started = reported = time.monotonic()
        while True:
            if after is None:
                lo, hi, count = steps.row(first_batch, last[0], size)
            else:
                lo, hi, count = steps.row(next_batch, after, last[0], size)
            if not count:
                break
            label = f"backfill {self.table} {self.pk} {lo}..{hi}"
            batch_started = time.monotonic()
            updated += steps.ddl(label, update, params=[lo, hi, lo, hi])
            now, after, walked = time.monotonic(), hi, walked + count
            # Aim the next batch at BATCH_SECONDS: shrink at once, grow at most twofold.
            scale = min(2.0, BATCH_SECONDS / max(now - batch_started, 1e-6))
            size = min(self.batch_size, max(MIN_BATCH, int(size * scale)))
            if now - reported >= PROGRESS_EVERY:
                self.report(updated, walked, estimate, now - started)
                reported, reported_walked = now, walked
        if reported > started and reported_walked < walked:
            self.report(updated, walked, estimate, time.monotonic() - started)

    def report(self, updated, walked, estimate, seconds):
        share, eta = "", ""
        if estimate and estimate > 0:
            share = f" (~{min(1.0, walked / estimate):.0%})"
            # From the planner's row estimate and the pace so far: a guide, not a promise.
            left = max(0.0, estimate - walked) * seconds / max(walked, 1)
            eta = f", ~{_duration(left)} left" if walked < estimate else ""
        _say(
            f"backfill {self.table}: {updated} rows updated, {walked} walked by "
            f"{self.pk}{share}, {updated / max(seconds, 1e-6):.0f} rows/s{eta}"
        )

    def report_pages(self, updated, page, pages, seconds):
        # The share and what is left from pages: counted, not estimated.
        left = (pages - page) * seconds / max(page, 1)
        eta = f", ~{_duration(left)} left" if page < pages else ""
        _say(
            f"backfill {self.table}: {updated} rows updated, {page} of {pages} pages"
            f" walked ({page / max(pages, 1):.0%}),"
            f" {updated / max(seconds, 1e-6):.0f} rows/s{eta}"
        )

    def backwards(self, steps):
        """Nothing: the values stay; the previous schema has the column too."""


def _set_not_null(steps, table, column):
    """NOT NULL without scanning the table under ACCESS EXCLUSIVE (PostgreSQL 12+).

    1. ADD CHECK (column IS NOT NULL) NOT VALID: metadata only, a brief lock.
    2. VALIDATE CONSTRAINT scans under SHARE UPDATE EXCLUSIVE: writers keep going.
    3. SET NOT NULL sees the valid check and skips its scan; the check then goes.
    Each step is skipped when done, so a run after a failure picks up from there.
    """
    q, check = steps.quote, steps.name(table, column, "_bg_notnull")
    alter, label = f"ALTER TABLE {q(table)}", f"{table}.{column}"
    drop_check = f"{alter} DROP CONSTRAINT IF EXISTS {q(check)}"
    valid = steps.constraint_is_valid(table, check)
    sql = "SELECT attnotnull FROM pg_attribute WHERE attrelid = %s::regclass"
    if steps.fact(f"{sql} AND attname = %s", q(table), column):
        if valid is not None:  # the column is NOT NULL already; a leftover check goes
            steps.ddl(f"{label}: drop check", _redundant_check(drop_check))
        return
    if valid is None:
        not_null = f"CHECK ({q(column)} IS NOT NULL) NOT VALID"
        steps.ddl(
            f"{label}: add check", f"{alter} ADD CONSTRAINT {q(check)} {not_null}"
        )
    if not valid:
        try:
            validate = f"{alter} VALIDATE CONSTRAINT {q(check)}"
            steps.ddl(f"{label}: validate check", validate)
        except IntegrityError as error:
            # A NOT VALID check still refuses new NULLs: left in place, it would break the
            # serving code that writes them. Drop it, then report.
            steps.ddl(f"{label}: drop check after failed validation", drop_check)
            raise IntegrityError(
                f"{label} still has NULL rows, so NOT NULL cannot be set (the check was"
                " removed again); fill them and run migrate again"
            ) from error
    set_not_null = f"{alter} ALTER COLUMN {q(column)} SET NOT NULL"
    steps.ddl(f"{label}: set NOT NULL", set_not_null, _redundant_check(drop_check))


def _redundant_check(drop_check):
    why = "the temporary check added above: the column itself enforces it now"
    return _Flagged(drop_check, "ban-drop-constraint", why)


def _drop_not_null(steps, table, column):
    # Undoing a migration that stopped before it added the column: nothing to do.
    exists = "SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(%s)"
    exists = f"{exists} AND attname = %s AND NOT attisdropped"
    if not steps.showing and steps.fact(exists, steps.quote(table), column) is None:
        return
    drop = f"ALTER COLUMN {steps.quote(column)} DROP NOT NULL"
    steps.ddl(
        f"{table}.{column}: drop NOT NULL", f"ALTER TABLE {steps.quote(table)} {drop}"
    )


class SetNotNull(BlueGreenOperation):
    """SET NOT NULL through a validated CHECK constraint. Backwards: DROP NOT NULL."""

    # Descriptions are comments in what sqlmigrate shows, and django-migration-linter
    # reads "NOT NULL" in a comment as a NOT NULL being added: the SQL says it.
    summary = "Make {table}.{column} non-nullable through a validated check"

    def __init__(self, table, column, *, lock_timeout="1s", retries=10):
        super().__init__(lock_timeout=lock_timeout, retries=retries)
        self.table, self.column = table, column

    def forwards(self, steps):
        _set_not_null(steps, self.table, self.column)

    def backwards(self, steps):
        _drop_not_null(steps, self.table, self.column)


class DropNotNull(SetNotNull):
    """DROP NOT NULL (metadata only). Backwards: SetNotNull's validated-check path."""

    summary = "Make {table}.{column} nullable: DROP NOT NULL, the catalog only"
    forwards, backwards = SetNotNull.backwards, SetNotNull.forwards


class CreateIndexConcurrently(BlueGreenOperation):
    """CREATE [UNIQUE] INDEX CONCURRENTLY, under Django's own name for that index.

    ``suffix`` is Django's: "" for db_index, "_like" for a CharField's pattern_ops
    index, "_uniq" for unique. A unique index then becomes a real UNIQUE constraint
    (``ADD CONSTRAINT ... USING INDEX``), as Django expects of a unique field. Before a
    unique build, duplicate values are looked for and named: the build would find them
    only after scanning the table, and name one.
    """

    def __init__(
        self,
        table,
        column,
        *,
        suffix="",
        opclass=None,
        unique=False,
        lock_timeout="1s",
        retries=10,
    ):
        super().__init__(lock_timeout=lock_timeout, retries=retries)
        self.table, self.column, self.suffix = table, column, suffix
        self.opclass, self.unique = opclass, unique

    def describe(self):
        kind = "unique index" if self.unique else "index"
        return f"Create {kind} on {self.table}.{self.column} concurrently"

    def forwards(self, steps):
        q, name = steps.quote, steps.name(self.table, self.column, self.suffix)
        column = " ".join(filter(None, [q(self.column), self.opclass]))
        index = f"INDEX CONCURRENTLY IF NOT EXISTS {q(name)} ON {q(self.table)}"
        unique = "UNIQUE " if self.unique else ""
        create = f"CREATE {unique}{index} ({column})"
        if not self.unique:
            steps.concurrently(f"create {name}", name, create)
        elif not steps.index_is_valid(name):
            unique_key = _UniqueKey(self.table, [self.column])
            unique_key.refuse_duplicates(steps)
            unique_key.build(steps, name, create)
        if self.unique and steps.constraint_is_valid(self.table, name) is None:
            constraint = f"ADD CONSTRAINT {q(name)} UNIQUE USING INDEX {q(name)}"
            steps.ddl(f"attach {name}", f"ALTER TABLE {q(self.table)} {constraint}")

    def backwards(self, steps):
        q, name = steps.quote, steps.name(self.table, self.column, self.suffix)
        if self.unique:  # dropping the constraint drops its index too
            drop = f"ALTER TABLE {q(self.table)} DROP CONSTRAINT IF EXISTS {q(name)}"
            steps.ddl(f"drop constraint {name}", drop)
        drop = f"DROP INDEX CONCURRENTLY IF EXISTS {q(name)}"
        steps.concurrently(f"drop {name}", name, drop)


class DropIndexConcurrently(CreateIndexConcurrently):
    """DROP INDEX CONCURRENTLY, for a field that loses db_index=True or unique=True:
    CreateIndexConcurrently the other way round, as DropNotNull is SetNotNull's.

    A field created unique (CreateModel, AddField) has its UNIQUE written in the column's
    definition, and PostgreSQL names that constraint ``<table>_<column>_key``, not
    Django's ``_uniq``: with ``unique``, that one goes too. Migrating backwards rebuilds
    the index under Django's name, which Django finds as it finds its own.
    """

    def describe(self):
        kind = "unique index" if self.unique else "index"
        return f"Drop {kind} on {self.table}.{self.column} concurrently"

    def forwards(self, steps):
        q = steps.quote
        if self.unique:
            for name in _unique_constraints_named_by_postgresql(
                steps, self.table, self.column
            ):
                drop = (
                    f"ALTER TABLE {q(self.table)} DROP CONSTRAINT IF EXISTS {q(name)}"
                )
                steps.ddl(f"drop constraint {name}", drop)
        CreateIndexConcurrently.backwards(self, steps)

    backwards = CreateIndexConcurrently.forwards


def _unique_constraints_named_by_postgresql(steps, table, column):
    """The UNIQUE constraints on ``column`` alone that PostgreSQL named itself (an
    inline UNIQUE: ``<table>_<column>_key``, cut to 63 bytes, or ``_key1`` ...)."""
    attnum = _attnum(steps, table, column)
    if steps.showing or attnum is None:
        return []
    sql = (
        "SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(%s)"
        " AND contype = 'u' AND conkey = ARRAY[%s]::smallint[]"
        " AND conname ~ '_key[0-9]*$' ORDER BY conname"
    )
    return [name for (name,) in _rows(steps, sql, steps.quote(table), attnum)]


class _UniqueKey:
    """The columns of a unique index or constraint, and the rows it covers: for the
    search for duplicates before the build, and for the error that names them."""

    def __init__(self, table, columns, *, condition=None, nulls_distinct=None):
        self.table, self.columns = table, columns
        self.condition, self.nulls_distinct = condition, nulls_distinct
        if not columns:  # a unique index on expressions
            named = table
        elif len(columns) == 1:
            named = f"{table}.{columns[0]}"
        else:
            named = f"{table} ({', '.join(columns)})"
        self.what = f"{named} (where {condition})" if condition else named

    def refuse_duplicates(self, steps, so="it cannot be made unique"):
        """IntegrityError naming up to 10 duplicated values, before any lock is taken
        or any index built."""
        q, keys = steps.quote, [steps.quote(column) for column in self.columns]
        shown = [f"quote_nullable({key})" for key in keys]
        value = (
            shown[0]
            if len(shown) == 1
            else f"'(' || concat_ws(', ', {', '.join(shown)}) || ')'"
        )
        # NULLs are distinct, as in the index, unless NULLS NOT DISTINCT.
        covered = (
            [] if self.nulls_distinct is False else [f"{k} IS NOT NULL" for k in keys]
        )
        covered += [f"({self.condition})"] if self.condition else []
        where = f" WHERE {' AND '.join(covered)}" if covered else ""
        grouped = ", ".join(keys)
        duplicates = steps.select(
            "first, stops if rows share a value it must keep unique",
            f"SELECT {value}, count(*), count(*) OVER () FROM {q(self.table)}{where}"
            f" GROUP BY {grouped} HAVING count(*) > 1"
            f" ORDER BY count(*) DESC, {grouped} LIMIT 10",
        )
        if not duplicates:
            return
        listed = ", ".join(f"{key} ({rows} rows)" for key, rows, _ in duplicates)
        more = duplicates[0][2] - len(duplicates)
        listed += f" and {more} more" if more else ""
        raise IntegrityError(self.message(so, listed))

    def build(self, steps, name, create, so="it cannot be made unique"):
        """``create``, a CREATE UNIQUE INDEX CONCURRENTLY of ``name``. When it fails on
        a duplicate (one written during the build), the INVALID index goes before the
        error names the duplicate: left behind, it would still refuse duplicates the
        serving code writes, and slow every write."""
        try:
            steps.concurrently(f"create {name}", name, create)
        except IntegrityError as error:
            _drop_index(steps, name)
            diagnostic = getattr(error.__cause__, "diag", None)
            detail = getattr(diagnostic, "message_detail", None) or str(error)
            found = f"{detail.rstrip('.')} (the unfinished index was dropped again)"
            raise IntegrityError(self.message(so, found)) from error

    def message(self, so, found):
        return (
            f"bg-scaffold: {self.what} has duplicate values, so {so}: {found}; make "
            "them unique (or narrow the constraint) and run migrate again"
        )


def _drop_index(steps, name):
    drop = f"DROP INDEX CONCURRENTLY IF EXISTS {steps.quote(name)}"
    steps.concurrently(f"drop {name}", name, drop)


class AddForeignKey(BlueGreenOperation):
    """A FOREIGN KEY added NOT VALID, then validated: no long lock on either table.

    The name and DEFERRABLE INITIALLY DEFERRED are Django's own, as if it had added it.
    Rows that point at nothing are looked for first, and named, before any lock: on an
    existing column they are the usual reason a foreign key cannot be added.
    """

    summary = (
        "Add foreign key {table}.{column} -> {to_table}.{to_column}, then validate"
    )

    def __init__(
        self,
        table,
        column,
        to_table,
        to_column,
        *,
        on_delete="NO ACTION",
        lock_timeout="1s",
        retries=10,
    ):
        super().__init__(lock_timeout=lock_timeout, retries=retries)
        self.table, self.column, self.on_delete = table, column, on_delete
        self.to_table, self.to_column = to_table, to_column

    def forwards(self, steps):
        q, name, alter = self.names(steps)
        valid = steps.constraint_is_valid(self.table, name)
        if not valid:
            self.refuse_orphans(steps)
        if valid is None:
            fk = f"FOREIGN KEY ({q(self.column)}) REFERENCES {q(self.to_table)}"
            fk = f"{fk} ({q(self.to_column)}) ON DELETE {self.on_delete}"
            not_valid = f"{fk} DEFERRABLE INITIALLY DEFERRED NOT VALID"
            steps.ddl(f"add {name}", f"{alter} ADD CONSTRAINT {q(name)} {not_valid}")
        if not valid:
            try:
                steps.ddl(f"validate {name}", f"{alter} VALIDATE CONSTRAINT {q(name)}")
            except IntegrityError as error:
                # A row written since the search points at nothing. The NOT VALID
                # constraint would still refuse such writes of the serving code: it goes
                # again before the error is reported.
                drop = f"{alter} DROP CONSTRAINT IF EXISTS {q(name)}"
                steps.ddl(f"drop {name} after failed validation", drop)
                diagnostic = getattr(error.__cause__, "diag", None)
                detail = getattr(diagnostic, "message_detail", None) or str(error)
                raise IntegrityError(
                    self.message(
                        f"{detail.rstrip('.')} (the constraint was removed again)"
                    )
                ) from error

    def refuse_orphans(self, steps):
        """IntegrityError naming up to 10 values of the column that no row of the
        target holds, before any lock is taken."""
        q, column, key = (
            steps.quote,
            f"t.{steps.quote(self.column)}",
            steps.quote(self.to_column),
        )
        target = f"SELECT 1 FROM {q(self.to_table)} r WHERE r.{key} = {column}"
        orphans = steps.select(
            "first, stops if rows point at nothing",
            f"SELECT quote_nullable({column}), count(*), count(*) OVER ()"
            f" FROM {q(self.table)} t WHERE {column} IS NOT NULL AND NOT EXISTS ({target})"
            f" GROUP BY {column} ORDER BY count(*) DESC, {column} LIMIT 10",
        )
        if not orphans:
            return
        listed = ", ".join(f"{value} ({rows} rows)" for value, rows, _ in orphans)
        more = orphans[0][2] - len(orphans)
        raise IntegrityError(
            self.message(listed + (f" and {more} more" if more else ""))
        )

    def message(self, found):
        return (
            f"bg-scaffold: {self.table}.{self.column} holds values that no "
            f"{self.to_table}.{self.to_column} has, so the foreign key cannot be added: "
            f"{found}; delete those rows, point them at existing ones or set them NULL, "
            "then run migrate again"
        )

    def backwards(self, steps):
        q, name, alter = self.names(steps)
        steps.ddl(f"drop {name}", f"{alter} DROP CONSTRAINT IF EXISTS {q(name)}")

    def names(self, steps):
        suffix = f"_fk_{self.to_table}_{self.to_column}"  # as Django names it
        name = steps.name(self.table, self.column, suffix)
        return steps.quote, name, f"ALTER TABLE {steps.quote(self.table)}"


class Backwards(BlueGreenOperation):
    """Runs ``operation``'s forward database step, but only when migrating backwards.

    A forward DROP COLUMN takes the column's NOT NULL and indexes with it; when the
    reverse migration adds the column back, this rebuilds them.
    """

    def __init__(self, operation):
        self.operation = operation

    def describe(self):
        return f"Only when migrating backwards: {self.operation.describe()}"

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        """Nothing: forwards, the migration's other operations do the work."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        self.operation.forwards(_Steps(self.operation, schema_editor))


def _foreign_keys_of(steps, table):
    """(name, referenced table, column) of each single-column foreign key of ``table``.

    Empty under sqlmigrate, and when the table is not there (a run after a failure).
    """
    if steps.showing:
        return []
    sql = (
        "SELECT c.conname, r.relname, a.attname FROM pg_constraint c"
        " JOIN pg_class r ON r.oid = c.confrelid"
        " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]"
        " WHERE c.contype = 'f' AND c.conrelid = to_regclass(%s)"
        " AND cardinality(c.conkey) = 1 ORDER BY c.conname"
    )
    with steps.connection.cursor() as cursor:
        cursor.execute(sql, [steps.quote(table)])
        return cursor.fetchall()


class ReplaceForeignKey(BlueGreenOperation):
    """Django's FOREIGN KEY on a field that leaves the model, replaced by a constraint that
    does in the database what the previous release's Python ``on_delete`` did.

    Without the field, the new release deletes referenced rows without Django's collector:
    with Django's constraint kept, those deletes fail at COMMIT; with no constraint, they
    leave orphans that the previous release reads as DoesNotExist. So ``on_delete`` is
    "CASCADE", "SET NULL", or "NO ACTION" (for PROTECT, RESTRICT and DO_NOTHING). The new
    constraint is added NOT VALID and validated before Django's (found by introspection)
    is dropped; dropping the column later drops it too. Backwards: Django's constraint
    comes back under Django's name, validated, then this one goes.
    """

    summary = (
        "Replace Django's foreign key {table}.{column} -> {to_table}.{to_column} "
        "by one with ON DELETE {on_delete}"
    )

    def __init__(
        self,
        table,
        column,
        to_table,
        to_column,
        *,
        on_delete="NO ACTION",
        lock_timeout="1s",
        retries=10,
    ):
        super().__init__(lock_timeout=lock_timeout, retries=retries)
        if on_delete not in ("CASCADE", "SET NULL", "NO ACTION"):
            raise ValueError(
                f"on_delete must be CASCADE, SET NULL, NO ACTION: {on_delete!r}"
            )
        self.table, self.column, self.on_delete = table, column, on_delete
        self.to_table, self.to_column = to_table, to_column

    def forwards(self, steps):
        ours = self.name(steps, "_bg_fk")
        self.add(steps, ours, self.on_delete)
        if steps.showing:
            djangos = [self.name(steps, f"_fk_{self.to_table}_{self.to_column}")]
        else:
            found = _foreign_keys_of(steps, self.table)
            djangos = [
                name
                for name, to_table, column in found
                if (to_table, column) == (self.to_table, self.column) and name != ours
            ]
        for name in djangos:
            self.drop(steps, name, f"Django's foreign key, replaced by {ours} above")

    def backwards(self, steps):
        django = self.name(steps, f"_fk_{self.to_table}_{self.to_column}")
        self.add(steps, django, "NO ACTION")
        ours = self.name(steps, "_bg_fk")
        self.drop(steps, ours, f"replaced by Django's foreign key {django} above")

    def name(self, steps, suffix):
        return steps.name(self.table, self.column, suffix)

    def add(self, steps, name, on_delete):
        q, alter = steps.quote, f"ALTER TABLE {steps.quote(self.table)}"
        valid = steps.constraint_is_valid(self.table, name)
        if valid is None:
            fk = f"FOREIGN KEY ({q(self.column)}) REFERENCES {q(self.to_table)}"
            fk = f"{fk} ({q(self.to_column)}) ON DELETE {on_delete}"
            not_valid = f"{fk} DEFERRABLE INITIALLY DEFERRED NOT VALID"
            steps.ddl(f"add {name}", f"{alter} ADD CONSTRAINT {q(name)} {not_valid}")
        if not valid:
            steps.ddl(f"validate {name}", f"{alter} VALIDATE CONSTRAINT {q(name)}")

    def drop(self, steps, name, why):
        q, alter = steps.quote, f"ALTER TABLE {steps.quote(self.table)}"
        drop = f"{alter} DROP CONSTRAINT IF EXISTS {q(name)}"
        steps.ddl(f"drop {name}", _Flagged(drop, "ban-drop-constraint", why))


class DropTable(BlueGreenOperation):
    """DROP TABLE for a model that has left Django's state, and its auto-created
    many-to-many tables.

    Their foreign keys to other tables go first, each in a short step of its own: dropping
    one locks the table it points at, which serves traffic. Then the tables go, in one step
    under lock_timeout. ``model`` is the model as it was (a ``migrations.CreateModel``):
    migrating backwards recreates its tables, empty, with Django's own SQL for them (the
    rows are gone for good). Without ``model`` the drop is irreversible.
    """

    def __init__(self, table, *, model=None, lock_timeout="1s", retries=10):
        super().__init__(lock_timeout=lock_timeout, retries=retries)
        self.table, self.model = table, model
        self.reversible = model is not None

    def describe(self):
        return f"Drop table {self.table} and its many-to-many tables"

    def render(self, app_label, state):
        """The model as it was, against ``state`` (where it is gone), or None."""
        if self.model is None:
            return None
        state = state.clone()
        self.model.state_forwards(app_label, state)
        return state.apps.get_model(app_label, self.model.name)

    def tables(self, model):
        """Auto-created many-to-many tables first: they point at the model's table."""
        if model is None:
            return [self.table]
        fields = model._meta.local_many_to_many
        through = [f.remote_field.through._meta for f in fields]
        return [m.db_table for m in through if m.auto_created] + [self.table]

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        steps, q = _Steps(self, schema_editor), schema_editor.quote_name
        tables = self.tables(self.render(app_label, from_state))
        for table in tables:
            for name, to_table, _ in _foreign_keys_of(steps, table):
                if to_table not in tables:
                    drop = f"ALTER TABLE {q(table)} DROP CONSTRAINT IF EXISTS {q(name)}"
                    steps.ddl(f"drop {name}", drop)
        drop = f"DROP TABLE IF EXISTS {', '.join(q(table) for table in tables)}"
        steps.ddl(f"drop {', '.join(tables)}", drop)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        steps = _Steps(self, schema_editor)
        if self.model is None:
            raise IrreversibleError(
                f"{self.describe()}: the model's definition is not in the migration, "
                "so its table cannot be recreated."
            )
        exists = "SELECT to_regclass(%s) IS NOT NULL"
        if steps.fact(exists, schema_editor.quote_name(self.table)):
            return
        model = self.render(app_label, to_state)
        connection = schema_editor.connection
        with connection.schema_editor(collect_sql=True, atomic=False) as django:
            django.create_model(model)
        statements = [sql.rstrip(";") for sql in django.collected_sql]
        steps.ddl(f"recreate {self.table}", *statements)


# ---------------------------------------------------------------------------------------
# Django's own index and constraint operations, with their database step done without a
# long lock: the model state, squashing (reduce) and the autodetector's view of them stay
# Django's.


class _DjangoOperationInSteps:
    """What AddIndexConcurrently, RemoveIndexConcurrently and AddConstraintConcurrently
    add to the Django operation they extend: its database step runs as a
    BlueGreenOperation's does (lock_timeout per try, ``retries`` tries, long
    transactions waited out, and after a failure, how to finish or undo the migration),
    and deconstruct() keeps lock_timeout and retries for squashmigrations.

    forwards() and backwards() take the steps and the model as the state after the step
    has it; a model the router keeps off this database is left alone, as Django does.
    """

    def take_lock_settings(self, lock_timeout, retries):
        self.defined_in = _calling_module()
        self.lock_timeout, self.retries = _lock_settings(lock_timeout, retries)

    def deconstruct(self):
        name, args, kwargs = super().deconstruct()
        settings = {"lock_timeout": self.lock_timeout, "retries": self.retries}
        return name, args, {**kwargs, **settings}

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            _run_forwards(
                self,
                app_label,
                schema_editor,
                lambda steps: self.forwards(steps, model),
            )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            self.backwards(_Steps(self, schema_editor), model)


def _create_index(steps, name, create):
    """``create``, Django's CREATE INDEX of ``name`` made CONCURRENTLY IF NOT EXISTS
    (_concurrently), unless a valid index of that name is there: the step ran before. An
    INVALID one, left by a failed build, is dropped and built again."""
    if not steps.index_is_valid(name):
        steps.concurrently(f"create {name}", name, create)


def _concurrently(create):
    """Django's CREATE [UNIQUE] INDEX statement as CREATE [UNIQUE] INDEX CONCURRENTLY IF
    NOT EXISTS, as every build here runs: safe to run again on its own (a run after a
    failure also drops an INVALID leftover first, see _create_index)."""
    head = re.match(r"CREATE (UNIQUE )?INDEX (CONCURRENTLY )?", create)
    unique = head.group(1) or ""
    return f"CREATE {unique}INDEX CONCURRENTLY IF NOT EXISTS {create[head.end() :]}"


class AddIndexConcurrently(_DjangoOperationInSteps, AddIndex):
    """Django's AddIndex, its index built with CREATE INDEX CONCURRENTLY: reads and
    writes go on while it builds. The SQL is Django's own (fields, expressions,
    condition, opclasses, include, name). The migration needs ``atomic = False``.
    Backwards: DROP INDEX CONCURRENTLY.
    """

    def __init__(self, model_name, index, *, lock_timeout="1s", retries=10):
        super().__init__(model_name, index)
        self.take_lock_settings(lock_timeout, retries)

    def describe(self):
        return f"Add index {self.index.name} on {self.model_name} concurrently"

    def forwards(self, steps, model):
        create = self.index.create_sql(model, steps.editor, concurrently=True)
        _create_index(steps, self.index.name, _concurrently(str(create)))

    def backwards(self, steps, model):
        _drop_index(steps, self.index.name)


class RemoveIndexConcurrently(_DjangoOperationInSteps, RemoveIndex):
    """Django's RemoveIndex, with DROP INDEX CONCURRENTLY, which waits for the queries
    using the index instead of locking them out. Backwards: the index, as the state
    before the removal has it, built as AddIndexConcurrently builds it.
    """

    def __init__(self, model_name, name, *, lock_timeout="1s", retries=10):
        super().__init__(model_name, name)
        self.take_lock_settings(lock_timeout, retries)

    def describe(self):
        return f"Remove index {self.name} from {self.model_name} concurrently"

    def forwards(self, steps, model):
        _drop_index(steps, self.name)

    def backwards(self, steps, model):
        (index,) = [index for index in model._meta.indexes if index.name == self.name]
        create = index.create_sql(model, steps.editor, concurrently=True)
        _create_index(steps, self.name, _concurrently(str(create)))


class AddConstraintConcurrently(_DjangoOperationInSteps, AddConstraint):
    """Django's AddConstraint, without a lock that stops writers while the table is
    scanned. Rows that would break the constraint are counted first, and named in the
    error, before anything is locked or built.

    A UniqueConstraint is built as a unique index CONCURRENTLY, under the constraint's
    name. One on plain fields then becomes the UNIQUE constraint Django would have
    added (``ADD CONSTRAINT ... USING INDEX``); one with a condition, expressions,
    include or opclasses stays a unique index, as Django itself makes it. Either way
    Django's RemoveConstraint finds it later. A CheckConstraint is added NOT VALID,
    then validated under a lock that lets writers go on. The migration needs
    ``atomic = False`` for a unique constraint. Backwards: the constraint, or the index,
    is dropped.
    """

    def __init__(self, model_name, constraint, *, lock_timeout="1s", retries=10):
        super().__init__(model_name, constraint)
        self.take_lock_settings(lock_timeout, retries)

    def describe(self):
        name, model = self.constraint.name, self.model_name
        if isinstance(self.constraint, CheckConstraint):
            return f"Add check constraint {name} on {model} NOT VALID, then validate it"
        if isinstance(self.constraint, UniqueConstraint):
            return f"Add unique constraint {name} on {model} concurrently"
        return f"Add constraint {name} on {model}"

    def forwards(self, steps, model):
        if isinstance(self.constraint, CheckConstraint):
            return self.add_check(steps, model)
        if isinstance(self.constraint, UniqueConstraint):
            return self.add_unique(steps, model)
        raise self.unsupported()

    def backwards(self, steps, model):
        c, q = self.constraint, steps.quote
        if not isinstance(c, (CheckConstraint, UniqueConstraint)):
            raise self.unsupported()
        if isinstance(c, CheckConstraint) or self.attached():
            alter = f"ALTER TABLE {q(model._meta.db_table)}"
            drop = f"{alter} DROP CONSTRAINT IF EXISTS {q(c.name)}"
            steps.ddl(f"drop constraint {c.name}", drop)
        if isinstance(c, UniqueConstraint):
            # All there is of a conditional one; of a plain one, what a run that
            # stopped before attaching it left.
            _drop_index(steps, c.name)

    def unsupported(self):
        kind = type(self.constraint).__name__
        return NotSupportedError(
            f"{self.describe()}: bg-scaffold adds UniqueConstraint and CheckConstraint "
            f"concurrently, not {kind}; use migrations.AddConstraint for it."
        )

    def attached(self):
        """Whether Django makes this unique constraint a constraint, not only an index."""
        c = self.constraint
        return not (c.condition or c.include or c.opclasses or c.expressions)

    def add_unique(self, steps, model):
        c, editor, q = self.constraint, steps.editor, steps.quote
        table, name = model._meta.db_table, c.name
        if c.create_sql(model, editor) is None:
            return  # Django adds nothing either: this PostgreSQL lacks a feature it needs
        columns = [model._meta.get_field(field).column for field in c.fields]
        if self.attached():
            nulls = editor._unique_index_nulls_distinct_sql(c.nulls_distinct)
            create = f"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {q(name)}"
            create += f" ON {q(table)}"
            create += f" ({', '.join(map(q, columns))}){nulls}"
        else:
            create = _concurrently(str(c.create_sql(model, editor)))
        so = f"unique constraint {name} cannot be added"
        unique_key = _UniqueKey(
            table,
            columns,
            condition=c._get_condition_sql(model, editor),
            nulls_distinct=c.nulls_distinct,
        )
        if not steps.index_is_valid(name):
            if columns:  # duplicates of expressions are left for the build to find
                unique_key.refuse_duplicates(steps, so)
            unique_key.build(steps, name, create, so)
        if self.attached() and steps.constraint_is_valid(table, name) is None:
            using = f"UNIQUE USING INDEX {q(name)}"
            using += editor._deferrable_constraint_sql(c.deferrable)
            attach = f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(name)} {using}"
            steps.ddl(f"attach {name}", attach)

    def add_check(self, steps, model):
        """As _set_not_null adds its check: NOT VALID, then VALIDATE CONSTRAINT, which
        scans the table under a lock that lets writers go on. Each step is skipped when
        done, so a run after a failure picks up from there."""
        c, q, table = self.constraint, steps.quote, model._meta.db_table
        check = c._get_check_sql(model, steps.editor)
        alter = f"ALTER TABLE {q(table)}"
        label = f"check constraint {c.name} on {table}"
        drop = f"{alter} DROP CONSTRAINT IF EXISTS {q(c.name)}"
        valid = steps.constraint_is_valid(table, c.name)
        if valid:
            return
        # A CHECK passes when its expression is NULL: only rows where it is false count.
        found = steps.select(
            "first, stops if rows violate it",
            f"SELECT count(*) FROM {q(table)} WHERE NOT ({check})",
        )
        violating = found[0][0] if found else 0
        if violating:
            if valid is not None:  # left NOT VALID by an earlier run: it goes too
                steps.ddl(f"drop {c.name}", drop)
            rows = "1 row violates" if violating == 1 else f"{violating} rows violate"
            raise IntegrityError(
                f"bg-scaffold: {rows} {label} ({check}), so it cannot be added; fix "
                "them and run migrate again"
            )
        if valid is None:
            add = f"{c.create_sql(model, steps.editor)} NOT VALID"
            steps.ddl(f"add {c.name}", add)
        try:
            steps.ddl(f"validate {c.name}", f"{alter} VALIDATE CONSTRAINT {q(c.name)}")
        except IntegrityError as error:
            # A NOT VALID check still refuses new rows that break it: left in place, it
            # would break the serving code that writes them. Drop it, then report.
            steps.ddl(f"drop {c.name} after failed validation", drop)
            raise IntegrityError(
                f"bg-scaffold: rows written while {label} was validated violate it (it"
                " was removed again); fix them and run migrate again"
            ) from error


# ---------------------------------------------------------------------------------------
# A column's type changed without rewriting its table under a lock: a column of the new
# type beside the old one, kept equal by a trigger, backfilled, given every index and
# constraint of the old one (SyncColumn, BackfillInBatches, SetNotNull, MirrorColumn);
# a later release swaps the names in one short transaction (SwapColumns).

_LITERAL = re.compile(r"'(?:[^']|'')*'")


def _outside_literals(sql, replace):
    """``replace`` applied to the parts of ``sql`` outside its string literals."""
    parts, at = [], 0
    for literal in _LITERAL.finditer(sql):
        parts += [replace(sql[at : literal.start()]), literal.group()]
        at = literal.end()
    return "".join(parts + [replace(sql[at:])])


def _with_columns(sql, columns):
    """``sql`` with each column named in ``columns`` (name -> replacement SQL) replaced,
    quoted or not, outside string literals, and not where the name calls a function."""
    if not columns:
        return sql
    names = "|".join(re.escape(n) for n in sorted(columns, key=len, reverse=True))
    pattern = re.compile(rf'"({names})"|(?<![\w."$])({names})(?![\w"$(])')

    def replace(text):
        return pattern.sub(lambda m: columns[m.group(1) or m.group(2)], text)

    return _outside_literals(sql, replace)


def _renamed(sql, renames, quote):
    """``sql`` with each column of ``renames`` (old -> new name) renamed."""
    return _with_columns(sql, {old: quote(new) for old, new in renames.items()})


def _tagged(name, tag):
    """``<name>_<tag>`` within PostgreSQL's 63 bytes (cut, with a hash of the whole name)."""
    full = f"{name}_{tag}"
    if len(full.encode()) <= 63:
        return full
    digest = hashlib.md5(name.encode()).hexdigest()[:8]
    keep = name.encode()[: 63 - len(tag) - 10].decode(errors="ignore")
    return f"{keep}_{digest}_{tag}"


def _rows(steps, sql, *params):
    with steps.connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _attnum(steps, table, column):
    sql = "SELECT attnum FROM pg_attribute WHERE attrelid = to_regclass(%s)"
    sql = f"{sql} AND attname = %s AND NOT attisdropped"
    return steps.fact(sql, steps.quote(table), column)


# Indexes on a column (as a key, in an expression or in a predicate), and the primary key,
# unique or exclusion constraint each backs.
_COLUMN_INDEXES = """
SELECT c.relname, pg_get_indexdef(i.indexrelid), con.conname, con.contype
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid
    AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x')
WHERE i.indrelid = to_regclass(%s) AND (%s = ANY (i.indkey::smallint[]) OR EXISTS (
    SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
    AND d.objid = i.indexrelid AND d.refobjid = i.indrelid AND d.refobjsubid = %s))
ORDER BY c.relname
"""

# CHECK and FOREIGN KEY constraints on a column, with what a foreign key points at.
_COLUMN_CONSTRAINTS = """
SELECT con.conname, con.contype, pg_get_constraintdef(con.oid), con.convalidated,
    r.relname, ARRAY(SELECT a.attname FROM unnest(con.confkey) k
        JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k)::text[]
FROM pg_constraint con LEFT JOIN pg_class r ON r.oid = con.confrelid
WHERE con.conrelid = to_regclass(%s) AND con.contype IN ('c', 'f') AND %s = ANY (con.conkey)
ORDER BY con.conname
"""

# Foreign keys of other tables that point at a column.
_INCOMING_KEYS = """
SELECT con.conname, t.relname, ARRAY(SELECT a.attname FROM unnest(con.conkey) k
    JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k)::text[]
FROM pg_constraint con JOIN pg_class t ON t.oid = con.conrelid
WHERE con.contype = 'f' AND con.confrelid = to_regclass(%s) AND %s = ANY (con.confkey)
ORDER BY con.conname
"""

_FOREIGN_KEY = re.compile(
    r"FOREIGN KEY \((?P<own>[^)]*)\) REFERENCES [^(]+\([^)]*\)(?P<rest>.*)$"
)


class _ColumnShape:
    """What PostgreSQL has on one column: indexes, constraints, default, identity."""

    def __init__(self, steps, table, column):
        self.table, self.column = table, column
        attnum = _attnum(steps, table, column)
        self.exists = attnum is not None
        q = steps.quote(table)
        found = attnum is not None and not steps.showing
        self.indexes = _rows(steps, _COLUMN_INDEXES, q, attnum, attnum) if found else []
        self.constraints = _rows(steps, _COLUMN_CONSTRAINTS, q, attnum) if found else []
        self.incoming = _rows(steps, _INCOMING_KEYS, q, attnum) if found else []
        sql = (
            "SELECT a.attidentity, pg_get_expr(d.adbin, d.adrelid),"
            " pg_get_serial_sequence(%s, %s) FROM pg_attribute a LEFT JOIN pg_attrdef d"
            " ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
            " WHERE a.attrelid = to_regclass(%s) AND a.attnum = %s"
        )
        row = steps.row(sql, q, column, q, attnum) if found else None
        self.identity, self.default, self.sequence = row or ("", None, None)


class SyncColumn(BlueGreenOperation):
    """A trigger that sets ``target`` from ``value_sql`` (an expression of the row's
    columns, ``source`` among them) on every INSERT, and on every UPDATE of ``source``.

    With ``checked``, a value that the target's type cannot hold fails the write with a
    message naming the change, the column and the value; it is never truncated.
    """

    summary = "Keep {table}.{target} equal to {value_sql} by trigger {function}"

    def __init__(
        self,
        table,
        source,
        target,
        *,
        function,
        value_sql,
        target_type,
        checked=False,
        change="",
        lock_timeout="1s",
        retries=10,
    ):
        super().__init__(lock_timeout=lock_timeout, retries=retries)
        self.table, self.source, self.target = table, source, target
        self.function, self.value_sql, self.target_type = (
            function,
            value_sql,
            target_type,
        )
        self.checked, self.change = checked, change

    def sql(self, steps):
        q = steps.quote
        row_value = _with_columns(
            self.value_sql, {self.source: f"NEW.{q(self.source)}"}
        )
        lines = [
            f"CREATE OR REPLACE FUNCTION {q(self.function)}() RETURNS trigger",
            "LANGUAGE plpgsql AS $bg$",
            "BEGIN",
            f"    -- bg-scaffold {self.change}: {self.target} follows {self.source}.",
            f"    NEW.{q(self.target)} := {row_value};",
            "    RETURN NEW;",
        ]
        if self.checked:
            message = (
                f"bg-scaffold {self.change}: {self.table}.{self.source} = % cannot be"
                f" stored as {self.target_type} ({self.target}): %"
            ).replace("'", "''")
            lines += [
                "EXCEPTION WHEN data_exception THEN",
                f"    RAISE EXCEPTION '{message}', NEW.{q(self.source)}, SQLERRM",
                "        USING ERRCODE = SQLSTATE;",
            ]
        lines += ["END;", "$bg$"]
        trigger, table = q(self.function), q(self.table)
        on = f"BEFORE INSERT OR UPDATE OF {q(self.source)} ON {table}"
        return [
            "\n".join(lines),
            f"DROP TRIGGER IF EXISTS {trigger} ON {table}",
            f"CREATE TRIGGER {trigger} {on} FOR EACH ROW EXECUTE FUNCTION {trigger}()",
        ]

    def forwards(self, steps):
        steps.ddl(self.describe(), *self.sql(steps))

    def backwards(self, steps):
        q, trigger = steps.quote, steps.quote(self.function)
        drop = f"DROP TRIGGER IF EXISTS {trigger} ON {q(self.table)}"
        steps.ddl(
            f"undo {self.describe()}", drop, f"DROP FUNCTION IF EXISTS {trigger}()"
        )


class MirrorColumn(BlueGreenOperation):
    """Every index and CHECK or FOREIGN KEY constraint on ``column``, built again on
    ``new_column`` under the name ``<name>_bgnew``: indexes CONCURRENTLY (an index that
    backs a primary key or unique constraint as a unique index, which SwapColumns makes
    the constraint), constraints NOT VALID, then validated. A foreign key to a column
    that ``references`` maps (table -> column -> new column) points at the new one.
    """

    summary = "Build every index and constraint of {table}.{column} on {new_column}"

    def __init__(
        self,
        table,
        column,
        new_column,
        *,
        references=None,
        lock_timeout="1s",
        retries=10,
    ):
        super().__init__(lock_timeout=lock_timeout, retries=retries)
        self.table, self.column, self.new_column = table, column, new_column
        self.references = references or {}

    def shape(self, steps):
        shape = _ColumnShape(steps, self.table, self.column)
        sql = "SELECT format_type(atttypid, NULL) FROM pg_attribute"
        sql += " WHERE attrelid = to_regclass(%s) AND attname = %s"
        new_type = steps.fact(sql, steps.quote(self.table), self.new_column)
        shape.new_is_text = new_type in ("text", "character varying", "character")
        return shape

    def definitions(self, steps, shape):
        """(kind, name, SQL, validate) of each mirrored index and constraint."""
        q, table = steps.quote, steps.quote(self.table)
        renames = {self.column: self.new_column}
        for name, definition, _, contype in shape.indexes:
            if contype == "x":
                raise NotSupportedError(
                    f"{self.table}.{self.column}: the exclusion constraint on {name}"
                    " cannot be moved to a new column by bg-scaffold; change it by hand"
                )
            if "_pattern_ops" in definition and not shape.new_is_text:
                # A LIKE index (varchar_pattern_ops) exists for text only: Django's
                # AlterField drops it too when the column stops being text.
                continue
            head = re.match(
                r"CREATE (UNIQUE )?INDEX \S+ ON (.*)$", definition, re.DOTALL
            )
            mirror = _tagged(name, "bgnew")
            sql = f"CREATE {head.group(1) or ''}INDEX CONCURRENTLY IF NOT EXISTS "
            sql += f"{q(mirror)} ON {_renamed(head.group(2), renames, q)}"
            yield "index", mirror, sql, False
        for (
            name,
            contype,
            definition,
            validated,
            to_table,
            to_columns,
        ) in shape.constraints:
            mirror = _tagged(name, "bgnew")
            definition = re.sub(r"\s+NOT VALID$", "", definition)
            if contype == "f":
                fk = _FOREIGN_KEY.match(definition)
                mapped = self.references.get(to_table, {})
                to = ", ".join(q(mapped.get(c, c)) for c in to_columns)
                own = _renamed(fk.group("own"), renames, q)
                definition = f"FOREIGN KEY ({own}) REFERENCES {q(to_table)} ({to})"
                definition += fk.group("rest")
            else:
                definition = _renamed(definition, renames, q)
            sql = (
                f"ALTER TABLE {table} ADD CONSTRAINT {q(mirror)} {definition} NOT VALID"
            )
            yield "constraint", mirror, sql, validated

    def forwards(self, steps):
        if steps.showing:
            return steps.editor.collected_sql.append(
                f"-- bg-scaffold: then each index and constraint on {self.table}."
                f"{self.column} is built again on {self.new_column} (CONCURRENTLY; NOT"
                " VALID, then VALIDATE), as the catalog has them when migrate runs"
            )
        q, alter = steps.quote, f"ALTER TABLE {steps.quote(self.table)}"
        shape = self.shape(steps)
        for kind, name, sql, validate in self.definitions(steps, shape):
            if kind == "index":
                steps.concurrently(f"build {name}", name, sql)
                continue
            valid = steps.constraint_is_valid(self.table, name)
            if valid is None:
                steps.ddl(f"add {name}", sql)
            if validate and not valid:
                steps.ddl(f"validate {name}", f"{alter} VALIDATE CONSTRAINT {q(name)}")

    def backwards(self, steps):
        q, alter = steps.quote, f"ALTER TABLE {steps.quote(self.table)}"
        shape = self.shape(steps)
        mirrored = list(self.definitions(steps, shape)) if shape.exists else []
        for kind, name, _, _ in reversed(mirrored):
            if kind == "constraint":
                drop = f"{alter} DROP CONSTRAINT IF EXISTS {q(name)}"
                steps.ddl(f"drop {name}", drop)
            else:
                drop = f"DROP INDEX CONCURRENTLY IF EXISTS {q(name)}"
                steps.concurrently(f"drop {name}", name, drop)


class SwapColumns(BlueGreenOperation):
    """Puts each new column in its old column's place, all in one short transaction
    under lock_timeout: the sync triggers go; each old column's indexes and constraints
    go (their copies on the new column take their names; a unique index becomes the
    primary key or unique constraint); the old column is renamed ``park`` and the new
    one takes its name; the default, the identity or the sequence move to it, and the
    parked column drops NOT NULL, so that rows written from now on leave it empty.

    ``columns``: dicts of table, column, new, park, sync (the trigger's function), pk
    (the table's key, for a refill), not_null, and for migrating backwards: rollback
    (SQL of the column's value as the parked column's type), and value, type and checked
    (the sync trigger's, as SyncColumn takes them).

    Backwards, when the data allows: a trigger and a batched refill bring the parked
    columns up to date, their indexes and constraints are built again, and the same
    swap puts them back; then the state before the swap is whole again: the sync trigger
    (created in the swap's transaction, so no write escapes it), NOT NULL and the
    indexes and constraints of the new columns.
    """

    summary = "Swap in the new columns: {names}"

    def __init__(
        self, columns, *, change="", batch_size=10_000, lock_timeout="1s", retries=10
    ):
        super().__init__(lock_timeout=lock_timeout, retries=retries)
        self.columns, self.change, self.batch_size = columns, change, int(batch_size)
        self.names = ", ".join(f"{c['table']}.{c['column']}" for c in columns)

    def forwards(self, steps):
        roles = [(c, c["column"], c["new"], c["park"], c["sync"]) for c in self.columns]
        self.swap(steps, roles)

    def backwards(self, steps):
        q = steps.quote
        settings = {"lock_timeout": self.lock_timeout, "retries": self.retries}
        if not steps.showing and all(
            _attnum(steps, c["table"], c["park"]) is None for c in self.columns
        ):
            return  # swapped back already
        back = {c["table"]: {} for c in self.columns}
        for c in self.columns:
            back[c["table"]][c["column"]] = c["park"]
        roles = []
        for c in self.columns:
            table, column, park = c["table"], c["column"], c["park"]
            sync = _tagged(c["sync"], "back")
            roles.append((c, column, park, c["new"], sync))
            SyncColumn(
                table,
                column,
                park,
                function=sync,
                value_sql=c["rollback"],
                target_type=f"the type of {park}",
                checked=True,
                change=self.change,
                **settings,
            ).forwards(steps)
            where = f"{q(park)} IS DISTINCT FROM ({c['rollback']})"
            try:
                BackfillInBatches(
                    table,
                    f"{q(park)} = {c['rollback']}",
                    where,
                    pk=c["pk"],
                    batch_size=self.batch_size,
                    **settings,
                ).forwards(steps)
            except DataError as error:
                raise DataError(
                    f"bg-scaffold {self.change}: {table}.{column} holds a value that"
                    f" {park} cannot hold ({error}), so the swap cannot be undone"
                    " while that row is there"
                ) from error
            if c["not_null"]:
                _set_not_null(steps, table, park)
        for c in self.columns:
            MirrorColumn(
                c["table"], c["column"], c["park"], references=back, **settings
            ).forwards(steps)
        syncs = [self.sync(c, settings) for c in self.columns]
        self.swap(steps, roles, then=[sql for sync in syncs for sql in sync.sql(steps)])
        ahead = {c["table"]: {} for c in self.columns}
        for c in self.columns:
            ahead[c["table"]][c["column"]] = c["new"]
        for c in self.columns:
            if c["not_null"]:
                _set_not_null(steps, c["table"], c["new"])
        for c in self.columns:
            MirrorColumn(
                c["table"], c["column"], c["new"], references=ahead, **settings
            ).forwards(steps)

    def sync(self, c, settings):
        """The trigger that feeds ``new`` from ``column`` before the swap."""
        return SyncColumn(
            c["table"],
            c["column"],
            c["new"],
            function=c["sync"],
            value_sql=c["value"],
            target_type=c["type"],
            checked=c["checked"],
            change=self.change,
            **settings,
        )

    def swap(self, steps, roles, then=()):
        """One transaction: for each (column, old, new, park, sync) of ``roles``, ``new``
        takes ``old``'s place, and ``old`` becomes ``park``."""
        q = steps.quote
        if steps.showing:
            names = ", ".join(
                f"{c['table']}.{new} -> {old}" for c, old, new, _, _ in roles
            )
            return steps.editor.collected_sql.append(
                f"-- bg-scaffold: then, in one transaction under lock_timeout, {names}:"
                " triggers dropped, names swapped, indexes, constraints, default and"
                " identity moved, as the catalog has them when migrate runs"
            )
        if all(_attnum(steps, c["table"], new) is None for c, _, new, _, _ in roles):
            return  # swapped already
        swapped = {(c["table"], old) for c, old, _, _, _ in roles}
        first, drops, renames, takes, last = [], [], [], [], []
        for c, old, new, park, sync in roles:
            table = q(c["table"])
            alter = f"ALTER TABLE {table}"
            first += [
                f"DROP TRIGGER IF EXISTS {q(sync)} ON {table}",
                f"DROP FUNCTION IF EXISTS {q(sync)}()",
            ]
            shape = _ColumnShape(steps, c["table"], old)
            shape.new_type = steps.fact(
                "SELECT format_type(atttypid, NULL) FROM pg_attribute"
                " WHERE attrelid = to_regclass(%s) AND attname = %s",
                table,
                new,
            )
            for name, from_table, columns in shape.incoming:
                if not all((from_table, column) in swapped for column in columns):
                    raise NotSupportedError(
                        f"{from_table}.{', '.join(columns)} points at {c['table']}.{old}"
                        f" ({name}) but is not part of this change: change its type too"
                    )
                drops.append(
                    f"ALTER TABLE {q(from_table)} DROP CONSTRAINT IF EXISTS {q(name)}"
                )
            for name, _, conname, contype in shape.indexes:
                mirror = q(_tagged(name, "bgnew"))
                if conname:
                    drops.append(f"{alter} DROP CONSTRAINT IF EXISTS {q(conname)}")
                    kind = "PRIMARY KEY" if contype == "p" else "UNIQUE"
                    takes.append(
                        f"{alter} ADD CONSTRAINT {q(conname)} {kind} USING INDEX {mirror}"
                    )
                else:
                    drops.append(f"DROP INDEX IF EXISTS {q(name)}")
                    # IF EXISTS: a LIKE index has no copy on a column that is not text.
                    takes.append(f"ALTER INDEX IF EXISTS {mirror} RENAME TO {q(name)}")
            for name, *_ in shape.constraints:
                drops.append(f"{alter} DROP CONSTRAINT IF EXISTS {q(name)}")
                mirror = q(_tagged(name, "bgnew"))
                takes.append(f"{alter} RENAME CONSTRAINT {mirror} TO {q(name)}")
            renames += [
                f"{alter} RENAME COLUMN {q(old)} TO {q(park)}",
                f"{alter} RENAME COLUMN {q(new)} TO {q(old)}",
            ]
            last += self.moved_defaults(steps, c["table"], old, park, shape)
            last.append(f"{alter} ALTER COLUMN {q(park)} DROP NOT NULL")
        statements = first + drops + renames + takes + last + list(then)
        steps.ddl(f"swap {self.names}", *statements)

    def moved_defaults(self, steps, table, old, park, shape):
        """The statements that give the column now called ``old`` the default, identity
        or sequence of the one now called ``park``."""
        q, alter = steps.quote, f"ALTER TABLE {steps.quote(table)}"
        if shape.identity:
            kind = "ALWAYS" if shape.identity == "a" else "BY DEFAULT"
            sequence = shape.sequence
            name = sequence.split(".")[-1].strip('"')
            # The sequence goes with the old column's identity: its position, and its name,
            # are carried over to the new identity's.
            return [
                "\n".join(
                    [
                        "DO $bg$",
                        "DECLARE position bigint; called boolean; created text;",
                        "BEGIN",
                        f"    SELECT last_value, is_called INTO position, called FROM {sequence};",
                        f"    {alter} ALTER COLUMN {q(park)} DROP IDENTITY;",
                        f"    {alter} ALTER COLUMN {q(old)} ADD GENERATED {kind} AS IDENTITY;",
                        f"    created := pg_get_serial_sequence({_quoted_literal(q(table))}, {_quoted_literal(old)});",
                        "    PERFORM setval(created, position, called);",
                        f"    IF (SELECT relname FROM pg_class WHERE oid = created::regclass) <> {_quoted_literal(name)} THEN",
                        f"        EXECUTE format('ALTER SEQUENCE %s RENAME TO %I', created, {_quoted_literal(name)});",
                        "    END IF;",
                        "END",
                        "$bg$",
                    ]
                )
            ]
        if shape.default is None:
            return []
        moved = [
            f"{alter} ALTER COLUMN {q(old)} SET DEFAULT {shape.default}",
            f"{alter} ALTER COLUMN {q(park)} DROP DEFAULT",
        ]
        if shape.sequence:
            # A serial key: its sequence belongs to the column that uses it, and counts
            # within that column's type.
            moved.append(
                f"ALTER SEQUENCE {shape.sequence} OWNED BY {q(table)}.{q(old)}"
            )
            if shape.new_type in ("smallint", "integer", "bigint"):
                moved.append(f"ALTER SEQUENCE {shape.sequence} AS {shape.new_type}")
        return moved


def _quoted_literal(text):
    return "'" + text.replace("'", "''") + "'"


# ---------------------------------------------------------------------------------------
# The ignores of the migration linters teams run, for a migration that does on purpose
# what a linter flags in general: each with the reason it is safe in this release.

try:
    # django-migration-linter skips a migration that holds its IgnoreMigration.
    from django_migration_linter import IgnoreMigration as _IgnoredByMigrationLinter
except ImportError:  # a tool for development and CI: without it, nothing to tell
    _IgnoredByMigrationLinter = Operation


def _one_line(text):
    return " ".join(str(text).split())


class _LinterIgnore:
    """Changes neither the state nor the database; only what sqlmigrate shows."""

    reduces_to_sql = True
    reversible = True
    elidable = False  # a squashed migration keeps the reason beside what it justifies

    def state_forwards(self, app_label, state):
        """Nothing."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.collect_sql:
            schema_editor.collected_sql.extend(self.shown())

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        """Nothing: a linter reads what a migration does forwards."""

    def shown(self):
        return []


class SquawkIgnore(_LinterIgnore, Operation):
    """squawk's own ignore for ``rules`` (``ban-drop-column``) that this migration
    breaks on purpose; ``because`` says why that is safe in this release.

    What sqlmigrate shows for the migration gets ``-- squawk-ignore-file <rules> --
    <because>``, so that squawk, run on that output (one file per migration), passes the
    migration for those rules and checks every other.
    """

    def __init__(self, rules, *, because):
        self.rules, self.because = list(rules), _one_line(because)

    def describe(self):
        return f"squawk passes {', '.join(self.rules)} here on purpose (why: below)"

    def shown(self):
        return [f"-- squawk-ignore-file {', '.join(self.rules)} -- {self.because}"]


class MigrationLinterIgnore(_LinterIgnore, _IgnoredByMigrationLinter):
    """django-migration-linter's own IgnoreMigration (when it is installed; otherwise
    an operation that does nothing), for a migration that makes on purpose the
    ``checks`` it flags (``DROP_COLUMN``); ``because`` says why that is safe in this
    release. The linter skips the whole migration: ``checks`` names everything it would
    flag in it, and nothing more (bg-scaffold's tests hold generated migrations to that).
    """

    def __init__(self, checks, *, because):
        self.checks, self.because = list(checks), _one_line(because)

    def describe(self):
        checks = ", ".join(self.checks)
        return f"django-migration-linter skips this migration: {checks} on purpose. {self.because}"


# ---------------------------------------------------------------------------------------
# Background backfills: the migration only registers the backfill and returns; the
# bg_scaffold_backfill command (BackfillCommand) works it, from cron, a Kubernetes Job or a
# task queue, and the next phase's migration begins with RequireBackfillFinished.

BACKFILLS, BATCHES = "bg_scaffold_backfill", "bg_scaffold_backfill_batch"
# The worker's throttle, each also a command option: after each batch it sleeps
# SLEEP_RATIO times the batch's time; before each it pauses, and halves its batches, while
# a replica replays more than MAX_REPLICATION_LAG seconds behind or more than
# MAX_LOCK_WAITERS sessions wait for a lock on the table.
SLEEP_RATIO, MAX_REPLICATION_LAG, MAX_LOCK_WAITERS = 0.5, 30.0, 2
# Seconds between the checks of a paused worker, and between the looks for work of one
# whose fellow workers hold the last batches.
PAUSE_POLL, DRAIN_POLL = 1.0, 0.2
WORKER_TRIES = 10  # tries of a batch that meets locks held longer than its lock_timeout

_CREATE_BACKFILLS = (
    f'CREATE TABLE IF NOT EXISTS "{BACKFILLS}" (id bigserial PRIMARY KEY,'
    " name text UNIQUE NOT NULL, change text NOT NULL, table_name text, pk text,"
    " set_sql text, where_sql text, batch_size integer, lock_timeout text,"
    " upper_key text, cursor_key text, state text NOT NULL DEFAULT 'pending'"
    " CHECK (state IN ('pending', 'running', 'paused', 'finished')),"
    " rows_estimate bigint, registered_at timestamptz DEFAULT now(),"
    " started_at timestamptz, finished_at timestamptz,"
    " updated_at timestamptz DEFAULT now())"
)
_CREATE_BATCHES = (
    f'CREATE TABLE IF NOT EXISTS "{BATCHES}" (id bigserial PRIMARY KEY,'
    f' backfill_id bigint REFERENCES "{BACKFILLS}" ON DELETE CASCADE,'
    " lo text, hi text, keys integer, state text NOT NULL DEFAULT 'pending'"
    " CHECK (state IN ('pending', 'done')), rows_updated bigint, seconds float8,"
    " worker text, done_at timestamptz,"
    # Progress sums, claims and the finish check read one backfill's batches by state: the
    # index they use, declared with the table (unique, trivially, as id is in it), so that
    # the migration needs no CREATE INDEX, which linters flag even on a table just created.
    f' CONSTRAINT "{BATCHES}_backfill_state" UNIQUE (backfill_id, state, id))'
)

# Per backfill: keys walked and rows updated by its done batches, the progress.
_PROGRESS = f"""
SELECT coalesce(sum(keys), 0)::bigint, coalesce(sum(rows_updated), 0)::bigint
FROM "{BATCHES}"
WHERE backfill_id = %s AND state = 'done'
"""


class BackfillNotFinished(RuntimeError):
    """The next phase's migration met a background backfill that has not finished."""


def _tracked(connection):
    """Whether the tracking tables are there: a registration has run in this database."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT to_regclass(%s) IS NOT NULL AND to_regclass(%s) IS NOT NULL",
            [f'"{BACKFILLS}"', f'"{BATCHES}"'],
        )
        return cursor.fetchone()[0]


def _walked(walked, estimate):
    """``1200 of ~25000 keys walked (5%)``: how far a backfill has gone."""
    if estimate is None or estimate <= 0:
        return f"{walked} keys walked"
    return f"{walked} of ~{estimate} keys walked ({min(1.0, walked / estimate):.0%})"


class RegisterBackfill(BlueGreenOperation):
    """Registers a backfill for the bg_scaffold_backfill command and returns at once.

    For a table too large to backfill while the deploy waits (BackfillInBatches). The
    registration (in ``bg_scaffold_backfill``, created here with its batch table when
    this is the first) records the UPDATE as BackfillInBatches would run it (``set_sql``,
    ``where_sql``, which must select only rows that still differ), the key, and the
    greatest key now: the command walks the keys up to that one, whatever their type
    (integer, uuid, text: keys are kept as text and cast to the key column's own type).
    Rows written since have keys above it, and the serving releases write the column in
    them. Running it again changes nothing. Backwards removes the registration and its
    batches; the values the command wrote stay.
    """

    summary = (
        "Register background backfill {name} of {table} (change {change}), for the"
        " bg_scaffold_backfill command: SET {set_sql}"
    )

    def __init__(
        self,
        name,
        change,
        table,
        set_sql,
        where_sql,
        *,
        pk="id",
        batch_size=10_000,
        lock_timeout="1s",
        retries=10,
    ):
        super().__init__(lock_timeout=lock_timeout, retries=retries)
        self.name, self.change, self.table = name, change, table
        self.set_sql, self.where_sql = set_sql, where_sql
        self.pk, self.batch_size = pk, int(batch_size)

    def registration(self, steps):
        """The INSERT, its values literals: sqlmigrate shows what runs."""
        table, pk = steps.quote(self.table), steps.quote(self.pk)
        values = ", ".join(
            _quoted_literal(str(value))
            for value in (
                self.name,
                self.change,
                self.table,
                self.pk,
                self.set_sql,
                self.where_sql,
            )
        )
        estimate = (
            "SELECT CASE WHEN reltuples >= 0 THEN reltuples::bigint END FROM pg_class"
            f" WHERE oid = {_quoted_literal(table)}::regclass"
        )
        return (
            f'INSERT INTO "{BACKFILLS}" (name, change, table_name, pk, set_sql,'
            " where_sql, batch_size, lock_timeout, upper_key, rows_estimate)"
            f" SELECT {values}, {self.batch_size}, {_quoted_literal(self.lock_timeout)},"
            # Ordered by the column, not by its text (an output column of that name).
            f" (SELECT {pk}::text FROM {table} ORDER BY {table}.{pk} DESC LIMIT 1),"
            f" ({estimate}) ON CONFLICT (name) DO NOTHING"
        )

    def forwards(self, steps):
        if steps.showing or not _tracked(steps.connection):
            steps.ddl(
                "create the backfill tracking tables",
                _CREATE_BACKFILLS,
                _CREATE_BATCHES,
            )
        steps.ddl(f"register backfill {self.name}", self.registration(steps))

    def backwards(self, steps):
        if not steps.showing and not _tracked(steps.connection):
            return  # undoing a migration that stopped before it registered anything
        delete = f'DELETE FROM "{BACKFILLS}" WHERE name = {_quoted_literal(self.name)}'
        steps.ddl(f"unregister backfill {self.name}", delete)


class RequireBackfillFinished(BlueGreenOperation):
    """Fails, naming the command that finishes them, unless the background backfills
    ``names`` of ``change`` have finished; the first step of the next phase's migration,
    whose steps (NOT NULL, say) need every row filled. Backwards: nothing.
    """

    def __init__(self, change, names, *, lock_timeout="1s", retries=10):
        super().__init__(lock_timeout=lock_timeout, retries=retries)
        self.change = change
        self.names = [names] if isinstance(names, str) else list(names)

    def describe(self):
        names = ", ".join(self.names)
        return _one_line(
            f"Require background backfill {names} of change {self.change} to have"
            " finished"
        )

    def command(self):
        return f"python manage.py bg_scaffold_backfill --change {self.change}"

    def unfinished(self):
        """The named backfills that have not finished: name, state (NULL when not
        registered), keys walked, estimate."""
        names = ", ".join(_quoted_literal(str(name)) for name in self.names)
        return (
            "SELECT n.name, b.state, (SELECT coalesce(sum(k.keys), 0)::bigint"
            f" FROM \"{BATCHES}\" k WHERE k.backfill_id = b.id AND k.state = 'done'),"
            f" b.rows_estimate FROM unnest(ARRAY[{names}]::text[]) AS n (name)"
            f' LEFT JOIN "{BACKFILLS}" b ON b.name = n.name'
            " WHERE b.state IS DISTINCT FROM 'finished' ORDER BY n.name"
        )

    def forwards(self, steps):
        why = _one_line(
            f"{self.describe()}: the migration stops if this finds a row; run"
            f" {self.command()}"
        )
        if steps.showing:
            return steps.select(why, self.unfinished())
        if _tracked(steps.connection):
            found = steps.select(why, self.unfinished())
        else:
            found = [(name, None, 0, None) for name in sorted(self.names)]
        if found:
            raise BackfillNotFinished(self.message(found))

    def message(self, found):
        states = []
        for name, state, walked, estimate in found:
            if state is None:
                states.append(
                    f"{name} (not registered: migrate its registration first)"
                )
            else:
                states.append(f"{name} ({state}: {_walked(walked, estimate)})")
        return (
            f"bg-scaffold: the background backfill of change {self.change} has not"
            f" finished: {', '.join(states)}. Run {self.command()} until it says"
            " finished (it resumes where it stopped), then migrate again; PLAN.md"
            " tells how to force past this guard."
        )

    def backwards(self, steps):
        """Nothing: the guard checks; it changes nothing."""


class _Backfill:
    """One registered backfill as a worker works it: its SQL, cast to its key's type."""

    COLUMNS = (
        "id, name, change, table_name, pk, set_sql, where_sql, batch_size,"
        " lock_timeout, upper_key, rows_estimate, state"
    )

    def __init__(self, connection, row):
        (self.id, self.name, self.change, self.table, self.pk, set_sql, where_sql) = (
            row[:7]
        )
        self.batch_size, lock_timeout, self.upper_key, self.estimate = row[7:11]
        self.state = row[11]
        self.lock_timeout = _lock_settings(lock_timeout or "1s", 1)[0]
        quote = connection.ops.quote_name
        table, pk = quote(self.table), quote(self.pk)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
                " WHERE attrelid = to_regclass(%s) AND attname = %s"
                " AND NOT attisdropped",
                [table, self.pk],
            )
            found = cursor.fetchone()
        if found is None:
            raise CommandError(
                f"bg-scaffold: backfill {self.name}: table {self.table} or its key"
                f" column {self.pk} is not there any more; if the change was rolled back,"
                f" so should the registration be (manage.py migrate backwards)."
            )
        key = found[0]  # a type name from the catalog: "bigint", "uuid", "text"
        # "%" in the given SQL is literal: only keys are parameters.
        set_sql, where = (sql.replace("%", "%%") for sql in (set_sql, where_sql))

        def keys(after):
            # The first key, the last key and the number of keys of the next batch:
            # array_agg, because min() and max() do not exist for every key type.
            lower = f"{pk} > %s::{key} AND " if after else ""
            rows = f"SELECT {pk} AS k FROM {table} WHERE {lower}{pk} <= %s::{key}"
            return (
                "SELECT (array_agg(k ORDER BY k))[1]::text,"
                " (array_agg(k ORDER BY k DESC))[1]::text, count(*)"
                f" FROM ({rows} ORDER BY {pk} LIMIT %s) AS batch"
            )

        self.first_keys, self.next_keys = keys(False), keys(True)
        # Rows are locked in key order, as BackfillInBatches locks them (in heap order a
        # batch deadlocked with the serving code's bulk update); the range is repeated
        # outside so that the UPDATE scans only the range.
        in_range = f"{pk} >= %s::{key} AND {pk} <= %s::{key}"
        rows = f"SELECT {pk} FROM {table} WHERE {in_range} AND ({where})"
        rows = f"{rows} ORDER BY {pk} FOR UPDATE"
        self.update = (
            f"UPDATE {table} SET {set_sql} WHERE {in_range} AND {pk} IN ({rows})"
        )


# The transaction that claims a batch: a batch another worker holds is skipped; so are
# the batches of a paused backfill.
_CLAIM = f"""
SELECT k.id, k.lo, k.hi, k.keys FROM "{BATCHES}" k
WHERE k.backfill_id = %s AND k.state = 'pending' AND EXISTS (
    SELECT 1 FROM "{BACKFILLS}" b WHERE b.id = k.backfill_id AND b.state = 'running'
)
ORDER BY k.id LIMIT 1 FOR UPDATE OF k SKIP LOCKED
"""

# Sessions other than ours waiting for a lock on the table %s: for the table itself, a
# row of it (holding the row's tuple lock), or the transaction that holds the row.
_LOCK_WAITERS = """
WITH here AS (SELECT oid FROM pg_database WHERE datname = current_database())
SELECT count(DISTINCT w.pid) FROM pg_locks w
WHERE NOT w.granted AND w.pid <> pg_backend_pid() AND (
    (w.relation = to_regclass(%s) AND w.database = (SELECT oid FROM here))
    OR EXISTS (
        SELECT 1 FROM pg_locks t WHERE t.pid = w.pid AND t.locktype = 'tuple'
        AND t.relation = to_regclass(%s) AND t.database = (SELECT oid FROM here)
    )
)
"""


class _Worker:
    """Works the registered backfills: see BackfillCommand."""

    def __init__(self, connection, options):
        self.connection, self.alias = connection, connection.alias
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.sleep_ratio = max(0.0, float(options["sleep_ratio"]))
        self.batch_cap = options["batch_size"]
        self.max_lag = float(options["max_replication_lag"])
        self.max_waiters = int(options["max_lock_waiters"])
        self.max_seconds = options["max_seconds"]
        self.started = time.monotonic()
        self.stop_requested = False

    def out_of_time(self):
        if self.stop_requested:
            return True
        return (
            self.max_seconds is not None
            and time.monotonic() - self.started >= self.max_seconds
        )

    def nap(self, seconds):
        """Sleep, but not past --max-seconds."""
        if self.max_seconds is not None:
            left = self.max_seconds - (time.monotonic() - self.started)
            seconds = min(seconds, max(0.0, left))
        time.sleep(seconds)

    def rows(self, sql, params=()):
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def run(self, change):
        """Works each unfinished, unpaused backfill (of ``change``) in turn. Returns
        False when stopped by --max-seconds (or SIGTERM) first."""
        sql = f'SELECT {_Backfill.COLUMNS} FROM "{BACKFILLS}"'
        found = self.rows(
            f"{sql} WHERE %s::text IS NULL OR change = %s ORDER BY id", [change, change]
        )
        of = f" of change {change}" if change else ""
        if not found:
            _say(f"no background backfill{of} is registered (has its migration run?)")
            return True
        for row in found:
            state, name = row[11], row[1]
            if state == "paused":
                _say(f"backfill {name} is paused: --resume {name} to work it again")
            elif state != "finished" and not self.work(_Backfill(self.connection, row)):
                return False
        left = [row[1] for row in found if row[11] == "paused"]
        if not left:
            _say(f"every background backfill{of} has finished")
        return True

    def work(self, backfill):
        """Batches of ``backfill`` until none is left (True), it is paused (True), or
        time is up (False)."""
        self.cap = cap = self.batch_cap or backfill.batch_size or 10_000
        self.size, label = cap, f"backfill {backfill.name}"
        walked_before, updated_before = self.rows(_PROGRESS, [backfill.id])[0]
        started = reported = time.monotonic()
        pace = (started, walked_before, updated_before)
        while True:
            if self.out_of_time():
                walked, _ = self.rows(_PROGRESS, [backfill.id])[0]
                why = "SIGTERM" if self.stop_requested else "--max-seconds"
                _say(
                    f"{label}: stopped by {why}: {_walked(walked, backfill.estimate)};"
                    " run the command again to go on from there"
                )
                return False
            self.throttle(backfill, label)
            done = self.retry(backfill, label, lambda: self.work_a_batch(backfill))
            if done:
                seconds = done
                # Aim the next batch at BATCH_SECONDS: shrink at once, grow at most twofold.
                scale = min(2.0, BATCH_SECONDS / max(seconds, 1e-6))
                self.size = min(cap, max(MIN_BATCH, int(self.size * scale)))
                if time.monotonic() - reported >= PROGRESS_EVERY:
                    self.report(backfill, label, pace)
                    reported = time.monotonic()
                self.nap(self.sleep_ratio * seconds)
                continue
            outcome = self.retry(backfill, label, lambda: self.extend(backfill))
            if outcome == "finished":
                walked, updated = self.rows(_PROGRESS, [backfill.id])[0]
                _say(
                    f"{label}: finished: {updated} rows updated, {walked} keys walked"
                    f" by {backfill.pk} (this run: {_duration(time.monotonic() - started)})"
                )
                return True
            if outcome == "paused":
                _say(f"{label} is paused: --resume {backfill.name} to work it again")
                return True
            if outcome == "busy":  # another worker is handing out the next batch
                self.nap(random.uniform(0.01, 0.05))
            elif outcome == "draining":  # other workers hold the last batches
                self.nap(DRAIN_POLL)

    def transaction(self, backfill, work):
        """``work(cursor)`` in one transaction under the backfill's lock_timeout and no
        statement_timeout (a batch blocks no writer for longer than a row lock)."""
        with transaction.atomic(self.alias), self.connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{backfill.lock_timeout}'")
            cursor.execute("SET LOCAL statement_timeout = 0")
            return work(cursor)

    def extend(self, backfill):
        """Hands out the next batch: a short transaction holding the backfill's row.

        "extended", "busy" (another worker holds the row), "draining" (every key is
        handed out, but batches are pending), "finished" or "paused".
        """

        def work(cursor):
            cursor.execute(
                f'SELECT state, cursor_key FROM "{BACKFILLS}" WHERE id = %s'
                " FOR UPDATE SKIP LOCKED",
                [backfill.id],
            )
            row = cursor.fetchone()
            if row is None:
                return "busy"
            state, after = row
            if state in ("paused", "finished"):
                return state
            count = 0
            if backfill.upper_key is not None and after is None:
                cursor.execute(backfill.first_keys, [backfill.upper_key, self.size])
                lo, hi, count = cursor.fetchone()
            elif backfill.upper_key is not None:
                cursor.execute(
                    backfill.next_keys, [after, backfill.upper_key, self.size]
                )
                lo, hi, count = cursor.fetchone()
            if count:
                cursor.execute(
                    f'INSERT INTO "{BATCHES}" (backfill_id, lo, hi, keys)'
                    " VALUES (%s, %s, %s, %s)",
                    [backfill.id, lo, hi, count],
                )
                cursor.execute(
                    f"UPDATE \"{BACKFILLS}\" SET cursor_key = %s, state = 'running',"
                    " started_at = coalesce(started_at, now()), updated_at = now()"
                    " WHERE id = %s",
                    [hi, backfill.id],
                )
                return "extended"
            cursor.execute(
                f"SELECT 1 FROM \"{BATCHES}\" WHERE backfill_id = %s AND state = 'pending'"
                " LIMIT 1",
                [backfill.id],
            )
            if cursor.fetchone():
                return "draining"
            cursor.execute(
                f"UPDATE \"{BACKFILLS}\" SET state = 'finished',"
                " started_at = coalesce(started_at, now()), finished_at = now(),"
                " updated_at = now() WHERE id = %s",
                [backfill.id],
            )
            return "finished"

        return self.transaction(backfill, work)

    def work_a_batch(self, backfill):
        """Claims a pending batch, updates its rows and marks it done, in one
        transaction: a crash or a kill rolls the claim back with the rows, and another
        worker (or the next run) does the batch. Returns the transaction's seconds, or
        None when there was no batch to claim."""
        started = time.monotonic()

        def work(cursor):
            cursor.execute(_CLAIM, [backfill.id])
            claimed = cursor.fetchone()
            if claimed is None:
                return None
            batch, lo, hi, _ = claimed
            update_started = time.monotonic()
            cursor.execute(backfill.update, [lo, hi, lo, hi])
            updated = cursor.rowcount
            cursor.execute(
                f"UPDATE \"{BATCHES}\" SET state = 'done', rows_updated = %s,"
                " seconds = %s, worker = %s, done_at = now() WHERE id = %s",
                [updated, time.monotonic() - update_started, self.name, batch],
            )
            return batch

        if self.transaction(backfill, work) is None:
            return None
        return max(time.monotonic() - started, 1e-6)

    def retry(self, backfill, label, attempt):
        """attempt(); after a lock timeout (or a deadlock that cancelled it), back off
        and try again, as a migration's steps do."""
        for number in range(1, WORKER_TRIES + 1):
            try:
                return attempt()
            except DatabaseError as error:
                if not _lock_given_up(error):
                    raise
                if number == WORKER_TRIES:
                    raise CommandError(
                        f"bg-scaffold: {label}: no lock within lock_timeout"
                        f" {backfill.lock_timeout}, {WORKER_TRIES} times. A long"
                        " transaction holds rows of the table: find it (SELECT pid,"
                        " xact_start, query FROM pg_stat_activity), let it finish or"
                        " end it, then run the command again: it goes on from there."
                    ) from error
                delay = min(BACKOFF_CAP, _backoff(number) * random.uniform(0.75, 1.25))
                _say(
                    f"{label}: no lock in {backfill.lock_timeout} (try"
                    f" {number}/{WORKER_TRIES}), wait {delay:.1f}s"
                )
                self.nap(delay)

    def replication_lag(self):
        """The largest replay lag of a replica, in seconds; None when there is none, or
        this role may not read it (pg_read_all_stats)."""
        try:
            lag = self.rows(
                "SELECT max(extract(epoch FROM replay_lag))::float"
                " FROM pg_stat_replication"
            )[0][0]
        except DatabaseError:
            return None
        return lag

    def lock_waiters(self, backfill):
        table = self.connection.ops.quote_name(backfill.table)
        return self.rows(_LOCK_WAITERS, [table, table])[0][0]

    def reason_to_pause(self, backfill):
        lag = self.replication_lag()
        if lag is not None and lag > self.max_lag:
            return (
                f"a replica replays {lag:.0f}s behind"
                f" (--max-replication-lag {self.max_lag:g})"
            )
        waiters = self.lock_waiters(backfill)
        if waiters > self.max_waiters:
            return (
                f"{waiters} sessions wait for locks on {backfill.table}"
                f" (--max-lock-waiters {self.max_waiters})"
            )
        return None

    def throttle(self, backfill, label):
        """Waits while the server is under strain, halving the batches meanwhile."""
        said = None
        while not self.out_of_time():
            why = self.reason_to_pause(backfill)
            if why is None:
                if said is not None:
                    _say(
                        f"{label}: going on after {_duration(time.monotonic() - said)}"
                    )
                return
            self.size = min(self.cap, max(MIN_BATCH, self.size // 2))
            if said is None:
                _say(f"{label}: paused: {why}")
                said = time.monotonic()
            self.nap(PAUSE_POLL)

    def report(self, backfill, label, pace):
        """A progress line: rows updated, keys walked of ~estimate, rows/s, ETA (the
        pace of every worker since this one began)."""
        since, walked_before, updated_before = pace
        walked, updated = self.rows(_PROGRESS, [backfill.id])[0]
        seconds = max(time.monotonic() - since, 1e-6)
        rate = (updated - updated_before) / seconds
        eta = ""
        if backfill.estimate and walked < backfill.estimate and walked > walked_before:
            left = (backfill.estimate - walked) * seconds / (walked - walked_before)
            eta = f", ~{_duration(left)} left"
        _say(
            f"{label} ({backfill.table}): {updated} rows updated,"
            f" {_walked(walked, backfill.estimate)} by {backfill.pk},"
            f" {rate:.0f} rows/s{eta}"
        )


class BackfillCommand(BaseCommand):
    """``manage.py bg_scaffold_backfill``: works the backfills RegisterBackfill registered.

    Each unfinished, unpaused backfill (of ``--change``), one after the other: keyset
    batches over its key up to the key registered as the last, each batch its own
    transaction under the backfill's lock_timeout (no statement_timeout), its rows
    locked in key order as BackfillInBatches locks them (a row the serving code holds is
    waited for, under lock_timeout with retries, rather than skipped: no second sweep),
    sized toward BATCH_SECONDS (shrunk at once, grown at most twofold, at most the
    registered batch_size or ``--batch-size``). Workers claim batches with SKIP LOCKED:
    one hands out the next key range while holding the backfill's row (SKIP LOCKED: the
    others meanwhile claim what is handed out), and a batch is claimed, updated and
    marked done in one transaction, so a crash or a kill rolls its claim back and
    another worker, or the next run, does it again; its WHERE skips rows already
    filled. Run it from as many workers as the table bears.

    The throttle: after each batch, it sleeps ``--sleep-ratio`` times the batch's time
    (default SLEEP_RATIO); before each, it pauses, and halves its batches, while a
    replica's replay_lag passes ``--max-replication-lag`` seconds (default
    MAX_REPLICATION_LAG; ignored when pg_stat_replication cannot be read) or more than
    ``--max-lock-waiters`` sessions (default MAX_LOCK_WAITERS) wait for a lock on the
    table. A progress line every PROGRESS_EVERY seconds. ``--max-seconds N`` stops it
    cleanly after N seconds (the next run goes on from there), and so does SIGTERM.
    Exits 0 when every backfill has finished, is paused, or time is up.
    ``--status`` prints each backfill's progress; ``--pause NAME`` and ``--resume
    NAME`` stop and restart the workers of one backfill.

    It runs where jobs run, needing Django only: a cron line (``*/5 * * * * python
    manage.py bg_scaffold_backfill --max-seconds 280``), a Kubernetes Job, or a task
    queue's schedule (a Celery beat entry every 300 seconds for a task that calls
    ``call_command("bg_scaffold_backfill", max_seconds=280)``); runs that overlap share
    the work.
    """

    help = (
        "Work the background backfills that bg-scaffold's migrations registered: keyset"
        " batches, throttled, resumable, safe from several workers at once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--change", help="only the backfills of this change")
        parser.add_argument(
            "--max-seconds",
            type=float,
            help="stop cleanly after this long; the next run goes on from there",
        )
        parser.add_argument(
            "--sleep-ratio",
            type=float,
            default=SLEEP_RATIO,
            help="after each batch, sleep this times the batch's time",
        )
        parser.add_argument(
            "--batch-size", type=int, help="at most this many keys in a batch"
        )
        parser.add_argument(
            "--max-replication-lag",
            type=float,
            default=MAX_REPLICATION_LAG,
            help="pause while a replica replays more than this many seconds behind",
        )
        parser.add_argument(
            "--max-lock-waiters",
            type=int,
            default=MAX_LOCK_WAITERS,
            help="pause while more than this many sessions wait for a lock on the table",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)
        what = parser.add_mutually_exclusive_group()
        what.add_argument(
            "--status", action="store_true", help="print each backfill's progress"
        )
        what.add_argument("--pause", metavar="NAME", help="pause the backfill NAME")
        what.add_argument("--resume", metavar="NAME", help="resume the backfill NAME")

    def handle(self, *args, **options):
        connection = connections[options["database"]]
        if connection.vendor != "postgresql":
            raise CommandError(
                f"bg-scaffold: database {connection.alias!r} is {connection.vendor}:"
                " background backfills are for PostgreSQL."
            )
        if not _tracked(connection):
            _say(
                "no background backfill is registered in this database (the migration"
                " that registers one has not run)"
            )
            return
        if options["status"]:
            return self.status(connection, options["change"])
        if options["pause"] or options["resume"]:
            return self.pause(connection, options["pause"], options["resume"])
        worker = _Worker(connection, options)
        main = threading.current_thread() is threading.main_thread()
        previous = main and (signal.getsignal(signal.SIGTERM) or signal.SIG_DFL)

        def stop(signum, frame):
            # A Job or a deploy ending the worker: end after this batch, resumable.
            worker.stop_requested = True

        if main:
            signal.signal(signal.SIGTERM, stop)
        try:
            worker.run(options["change"])
        finally:
            if main:
                signal.signal(signal.SIGTERM, previous)

    def status(self, connection, change):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT b.name, b.change, b.table_name, b.state, b.rows_estimate,"
                " b.started_at, b.finished_at,"
                " coalesce(sum(k.keys) FILTER (WHERE k.state = 'done'), 0)::bigint,"
                " coalesce(sum(k.rows_updated) FILTER (WHERE k.state = 'done'), 0)::bigint,"
                " count(k.id) FILTER (WHERE k.state = 'pending')"
                f' FROM "{BACKFILLS}" b LEFT JOIN "{BATCHES}" k ON k.backfill_id = b.id'
                " WHERE %s::text IS NULL OR b.change = %s GROUP BY b.id ORDER BY b.id",
                [change, change],
            )
            found = cursor.fetchall()
        if not found:
            self.stdout.write("no background backfill is registered")
        for name, of, table, state, estimate, started, finished, *done in found:
            walked, updated, pending = done
            when = f", started {started:%Y-%m-%d %H:%M:%S}" if started else ""
            when += f", finished {finished:%Y-%m-%d %H:%M:%S}" if finished else ""
            self.stdout.write(
                f"{name} (change {of}, table {table}): {state}, {_walked(walked, estimate)},"
                f" {updated} rows updated, {pending} batches pending{when}"
            )

    def pause(self, connection, pause, resume):
        name = pause or resume
        with connection.cursor() as cursor:
            if pause:
                cursor.execute(
                    f"UPDATE \"{BACKFILLS}\" SET state = 'paused', updated_at = now()"
                    " WHERE name = %s AND state IN ('pending', 'running')",
                    [name],
                )
            else:
                cursor.execute(
                    f'UPDATE "{BACKFILLS}" SET state = CASE WHEN started_at IS NULL'
                    " THEN 'pending' ELSE 'running' END, updated_at = now()"
                    " WHERE name = %s AND state = 'paused'",
                    [name],
                )
            changed = cursor.rowcount
        if not changed:
            which = "unfinished, unpaused" if pause else "paused"
            raise CommandError(f"bg-scaffold: no {which} backfill is named {name!r}")
        self.stdout.write(f"{name}: {'paused' if pause else 'resumed'}")
