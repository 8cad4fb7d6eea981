"""The backfill lab of the write-stall benchmark (bench/stall/, issue 20): one way of filling a
column, run against DATABASE_URL while (or without) the serving load writes. Prototypes live
here, not in python/runtime/: the numbers decide what the runtime takes.

    backfill_lab.py --strategy S --table T --set SQL --where SQL [--pk id] [--batch-size N]
                    [--target-ms MS] [--adapt duration|lockwait|fixed] [--lock-timeout 1s]

Strategies:
    update-all        one UPDATE over the whole table, one transaction (the table's own limit)
    keyset            batches of the next N keys by the primary key, each its own transaction
                      (the issue's hand-written loop): UPDATE ... WHERE pk > lo AND pk <= hi
    ctid              batches of heap pages, in physical order (a TID Range Scan):
                      UPDATE ... WHERE ctid >= '(p,0)' AND ctid < '(q,0)' AND (where)
    ctid-skip-locked  the same pages, rows a writer holds skipped (FOR UPDATE SKIP LOCKED) and
                      revisited after the walk: a batch never waits for a writer
    ctid-do           the same pages, the batching loop on the server: one DO block per ~second
                      of work runs the batches, each committed (COMMIT in DO, PostgreSQL 11+),
                      sized to --target-ms by clock_timestamp(); no round trip per batch
    background        the runtime's own background form (issue 21), --runtime _bg_scaffold_vN
                      from python/runtime/: RegisterBackfill registers the UPDATE (key --pk),
                      then its worker (BackfillCommand, manage.py bg_scaffold_backfill) works
                      it with --sleep-ratio 0; the window is the registration's started_at
                      (the worker hands out its first batch) to finished_at

Every strategy covers every row where ``--where`` held when it started: the batched ones walk
the keys (pages) that existed then; rows written after that are the writers' (the serving
release, or its sync trigger, fills the column on every insert and update). The page walks end
with a sweep that fills any row the walk did not (skipped, or moved by something that rewrote
the table between batches): so they are idempotent and resumable as the key walk is.

Prints "ready" once connected and waits for a line on stdin (Python's start-up is not the
backfill's); then one JSON line: start and end (epoch seconds, pgbench's clock), rows, batches.
"""

import argparse
import json
import os
import sys
import time

import psycopg
from psycopg import errors

MIN_ROWS = 100


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--strategy", required=True, choices=["update-all", "keyset", "ctid", "ctid-skip-locked", "ctid-do", "background"])
    parser.add_argument("--table", required=True)
    parser.add_argument("--set", dest="set_sql", required=True)
    parser.add_argument("--where", dest="where_sql", required=True)
    parser.add_argument("--pk", default="id")
    parser.add_argument("--batch-size", type=int, default=10_000, help="rows per batch (at most, when adapting)")
    parser.add_argument("--target-ms", type=float, default=50.0, help="the batch duration aimed at")
    parser.add_argument("--adapt", default="fixed", choices=["fixed", "duration", "lockwait"])
    parser.add_argument("--lock-timeout", default="1s")
    parser.add_argument("--runtime", help="background: the runtime module in python/runtime/ (_bg_scaffold_v7)")
    parser.add_argument("--pause", type=float, default=0.0, help="sleep this share of each batch's time after it")
    parser.add_argument(
        "--one-statement",
        action="store_true",
        help="each batch one autocommitted statement, lock_timeout set once for the session (no BEGIN, SET LOCAL, COMMIT)",
    )
    args = parser.parse_args()
    if args.strategy == "background":
        return background(args)
    conn = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
    conn.execute("SET application_name = 'bench_backfill_lab'")
    print("ready", flush=True)
    sys.stdin.readline()
    lab = Lab(conn, args)
    started = time.time()
    result = getattr(lab, args.strategy.replace("-", "_"))()
    ended = time.time()
    print(json.dumps({"start": started, "end": ended, **result, **lab.stats()}), flush=True)


class Lab:
    def __init__(self, conn, args):
        self.conn, self.args = conn, args
        self.table = '"%s"' % args.table
        self.pk = '"%s"' % args.pk
        self.set_sql = args.set_sql.replace("%", "%%")
        self.where = args.where_sql.replace("%", "%%")
        self.batches = self.retries = self.waited = 0
        self.session_timeout = False
        self.durations = []

    def stats(self):
        d = sorted(self.durations) or [0.0]
        return {
            "batches": self.batches,
            "lockTimeoutRetries": self.retries,
            "batchesWithWaitingWriters": self.waited,
            "batchMsMedian": round(d[len(d) // 2] * 1000, 2),
            "batchMsMax": round(d[-1] * 1000, 2),
        }

    def update_all(self):
        with self.conn.cursor() as cur:
            cur.execute(f"UPDATE {self.table} SET {self.set_sql} WHERE ({self.where})")
            return {"rows": cur.rowcount}

    def batch(self, statement, params, size):
        """One batch in its own transaction under lock_timeout, retried on a lock timeout.
        Returns (rows updated, next size)."""
        if self.args.one_statement and self.args.adapt != "lockwait":
            return self.one_statement(statement, params, size)
        while True:
            began = time.monotonic()
            try:
                with self.conn.transaction(), self.conn.cursor() as cur:
                    cur.execute(f"SET LOCAL lock_timeout = '{self.args.lock_timeout}'")
                    cur.execute(statement, params)
                    rows = cur.rowcount
                    waiting = 0
                    if self.args.adapt == "lockwait":
                        # Writers queued on this batch's row locks right now (they wait on its xid).
                        cur.execute(
                            "SELECT count(*) FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted"
                            " AND transactionid = pg_current_xact_id()::xid"
                        )
                        waiting = cur.fetchone()[0]
                break
            except errors.LockNotAvailable:
                self.retries += 1
        return self.next_size(time.monotonic() - began, rows, size, waiting)

    def one_statement(self, statement, params, size):
        if not self.session_timeout:
            self.conn.execute(f"SET lock_timeout = '{self.args.lock_timeout}'")
            self.session_timeout = True
        while True:
            began = time.monotonic()
            try:
                with self.conn.cursor() as cur:
                    cur.execute(statement, params)
                    rows = cur.rowcount
                break
            except errors.LockNotAvailable:
                self.retries += 1
        return self.next_size(time.monotonic() - began, rows, size, 0)

    def next_size(self, took, rows, size, waiting):
        self.batches += 1
        self.durations.append(took)
        if self.args.pause:
            time.sleep(took * self.args.pause)
        if self.args.adapt == "fixed":
            return rows, size
        # Aim at --target-ms: shrink at once, grow at most twofold (the runtime's rule); with
        # lockwait, a batch that made a writer wait also halves the next.
        scale = min(2.0, self.args.target_ms / 1000 / max(took, 1e-6))
        if waiting:
            self.waited += 1
            scale = min(scale, 0.5)
        return rows, scale * size

    def keyset(self):
        t, pk = self.table, self.pk
        with self.conn.cursor() as cur:
            cur.execute(f"SELECT {pk} FROM {t} ORDER BY {pk} DESC LIMIT 1")
            last = cur.fetchone()
            cur.execute(f"SELECT {pk} FROM {t} ORDER BY {pk} LIMIT 1")
            first = cur.fetchone()
        if last is None:
            return {"rows": 0}
        last, lo = last[0], None
        update = f"UPDATE {t} SET {self.set_sql} WHERE {pk} > %s AND {pk} <= %s AND ({self.where})"
        first_update = f"UPDATE {t} SET {self.set_sql} WHERE {pk} >= %s AND {pk} <= %s AND ({self.where})"
        size, rows = float(self.args.batch_size), 0
        while True:
            n = max(MIN_ROWS, min(self.args.batch_size, int(size)))
            with self.conn.cursor() as cur:
                if lo is None:
                    cur.execute(f"SELECT {pk} FROM {t} WHERE {pk} <= %s ORDER BY {pk} OFFSET %s LIMIT 1", [last, n - 1])
                else:
                    cur.execute(f"SELECT {pk} FROM {t} WHERE {pk} > %s AND {pk} <= %s ORDER BY {pk} OFFSET %s LIMIT 1", [lo, last, n - 1])
                hi = cur.fetchone()
            hi = last if hi is None else hi[0]
            done, size = self.batch(first_update if lo is None else update, [first[0] if lo is None else lo, hi], size)
            rows += done
            if hi == last:
                return {"rows": rows}
            lo = hi

    def pages(self):
        with self.conn.cursor() as cur:
            cur.execute(
                "SELECT pg_relation_size(%s::regclass) / current_setting('block_size')::int,"
                " greatest(reltuples, 0) / greatest(relpages, 1) FROM pg_class WHERE oid = %s::regclass",
                [self.table, self.table],
            )
            return cur.fetchone()

    def ctid(self):
        return self.walk_pages(skip_locked=False)

    def ctid_skip_locked(self):
        return self.walk_pages(skip_locked=True)

    def walk_pages(self, skip_locked):
        t = self.table
        # The pages that exist now: whatever lands beyond them later was written after the start.
        end, per_page = self.pages()
        in_pages = "ctid >= %s::tid AND ctid < %s::tid"
        if skip_locked:
            rows_of = f"SELECT ctid FROM {t} WHERE {in_pages} AND ({self.where}) FOR UPDATE SKIP LOCKED"
            update = f"UPDATE {t} SET {self.set_sql} WHERE ctid = ANY(ARRAY({rows_of}))"
        else:
            update = f"UPDATE {t} SET {self.set_sql} WHERE {in_pages} AND ({self.where})"
        size = float(self.args.batch_size)  # in rows; pages = rows / rows per page
        page, rows = 0, 0
        with self.conn.cursor() as cur:  # the plan, for the report: a TID Range Scan
            cur.execute(f"EXPLAIN (COSTS OFF) {update}", ["(0,0)", "(10,0)"])
            plan = [line for (line,) in cur.fetchall()]
        while page < end:
            step = max(1, int(max(MIN_ROWS, min(self.args.batch_size, size)) / max(per_page, 1.0)))
            upto = min(end, page + step)
            done, size = self.batch(update, [f"({page},0)", f"({upto},0)"], size)
            rows += done
            page = upto
        walked = rows
        sweep_started = time.monotonic()
        rows += self.sweep()
        return {"rows": rows, "walkRows": walked, "pages": int(end), "plan": plan, "sweepRows": rows - walked, "sweepSeconds": round(time.monotonic() - sweep_started, 2)}

    def ctid_do(self):
        """The page walk with the loop in PL/pgSQL: Python hands out ~1 s of pages per DO block
        and learns the batch size the block ended with from a NOTICE."""
        t = self.table
        end, per_page = self.pages()
        target = self.args.target_ms / 1000
        step = max(1, int(min(self.args.batch_size, 2000) / max(per_page, 1.0)))  # pages per batch
        finished = {}
        self.conn.add_notice_handler(lambda diag: finished.update(dict(kv.split("=") for kv in (diag.message_primary or "").split())))
        self.conn.execute(f"SET lock_timeout = '{self.args.lock_timeout}'")
        set_sql, where = self.set_sql.replace("%%", "%"), self.where.replace("%%", "%")
        page, rows = 0, 0
        while page < end:
            # About one second of batches at the last block's pace (at least one batch).
            upto = min(end, page + max(step, int(step / target)))
            block = f"""
DO $bg$
DECLARE
  p bigint := {page}; q bigint; step bigint := {step}; done bigint := 0; n bigint; batches int := 0;
  began timestamptz; took float8;
BEGIN
  WHILE p < {upto} LOOP
    q := least({upto}, p + step);
    began := clock_timestamp();
    UPDATE {t} SET {set_sql}
      WHERE ctid >= format('(%s,0)', p)::tid AND ctid < format('(%s,0)', q)::tid AND ({where});
    GET DIAGNOSTICS n = ROW_COUNT;
    COMMIT;
    took := extract(epoch FROM clock_timestamp() - began);
    done := done + n; batches := batches + 1; p := q;
    -- Aim at the target: shrink at once, grow at most twofold.
    step := greatest(1, least({max(1, int(self.args.batch_size / max(per_page, 1.0)))}, (step * least(2.0, {target} / greatest(took, 1e-6)))::bigint));
  END LOOP;
  RAISE NOTICE 'rows=% step=% batches=%', done, step, batches;
END
$bg$"""
            while True:
                try:
                    self.conn.execute(block)
                    break
                except errors.LockNotAvailable:
                    self.retries += 1  # the block's committed batches stay; a rerun skips them
            rows += int(finished["rows"])
            step = int(finished["step"])
            self.batches += int(finished["batches"])
            page = upto
        walked = rows
        rows += self.sweep()
        return {"rows": rows, "walkRows": walked, "pages": int(end), "sweepRows": rows - walked, "lastStepPages": step}

    def sweep(self):
        """The rows the walk left (skipped while a writer held them, or moved by a rewrite):
        one scan for their keys, then keyed batches that wait for writers as usual."""
        t, pk = self.table, self.pk
        with self.conn.cursor() as cur:
            cur.execute(f"SELECT {pk} FROM {t} WHERE ({self.where}) ORDER BY {pk}")
            keys = [k for (k,) in cur.fetchall()]
        rows = 0
        update = f"UPDATE {t} SET {self.set_sql} WHERE {pk} = ANY(%s) AND ({self.where})"
        for at in range(0, len(keys), 1000):
            done, _ = self.batch(update, [keys[at : at + 1000]], 1000)
            rows += done
        return rows


def background(args):
    """RegisterBackfill through a schema editor, as migrate runs it (before "ready": the
    registration is not the backfill), then the worker, as ``manage.py bg_scaffold_backfill
    --sleep-ratio 0`` runs it (its other options at their defaults)."""
    import importlib.util

    import django
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from psycopg.conninfo import conninfo_to_dict

    url = conninfo_to_dict(os.environ["DATABASE_URL"])
    database = {"ENGINE": "django.db.backends.postgresql", "NAME": url.get("dbname"), "USER": url.get("user"), "PASSWORD": url.get("password"), "HOST": url.get("host"), "PORT": url.get("port")}
    settings.configure(DATABASES={"default": database}, USE_TZ=True)
    django.setup()
    here = os.path.dirname(os.path.abspath(__file__))
    source = os.path.join(here, "..", "..", "python", "runtime", f"{args.runtime}.py")
    spec = importlib.util.spec_from_file_location(args.runtime, source)
    runtime = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(runtime)
    name, change = f"bench-lab/{args.table}", "bench-lab"
    register = runtime.RegisterBackfill(
        name, change=change, table=args.table, set_sql=args.set_sql, where_sql=args.where_sql,
        pk=args.pk, batch_size=args.batch_size, lock_timeout=args.lock_timeout,
    )
    with connection.schema_editor(atomic=False) as editor:
        register.database_forwards("shop", editor, None, None)
    print("ready", flush=True)
    sys.stdin.readline()
    call_command(runtime.BackfillCommand(), change=change, sleep_ratio=0.0)
    with connection.cursor() as cur:
        cur.execute(
            f'SELECT extract(epoch FROM b.started_at), extract(epoch FROM b.finished_at), b.state,'
            f" coalesce(sum(k.rows_updated), 0), count(k.id), percentile_disc(0.5) WITHIN GROUP (ORDER BY k.seconds),"
            f' max(k.seconds) FROM "{runtime.BACKFILLS}" b LEFT JOIN "{runtime.BATCHES}" k ON k.backfill_id = b.id'
            " WHERE b.name = %s GROUP BY b.id",
            [name],
        )
        start, end, state, rows, batches, median_s, max_s = cur.fetchone()
    if state != "finished":
        raise SystemExit(f"backfill_lab.py: the worker left the backfill {state}")
    print(json.dumps({
        "start": float(start), "end": float(end), "rows": int(rows), "batches": batches,
        "batchMsMedian": round((median_s or 0) * 1000, 2), "batchMsMax": round((max_s or 0) * 1000, 2),
        "runtime": args.runtime,
    }), flush=True)


if __name__ == "__main__":
    main()
