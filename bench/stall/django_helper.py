"""The Django side of the write-stall benchmark (bench/stall/). DATABASE_URL names the database.

    django_helper.py columns --project DIR --model shop.Order
        One JSON line: the model's concrete columns as the ORM of the code in DIR names them in
        every INSERT, UPDATE and SELECT (the benchmark's load writes exactly these).

    django_helper.py migrate --project DIR --app shop --target 0004_x
        `migrate` as manage.py runs it, plus one JSON line at the end: when each migration
        started and ended, and each bg-scaffold step with its time and, for a backfill, the
        rows it updated. Times are epoch seconds, the clock pgbench's logs use.
        It first starts Django and imports the migrations, prints "ready" and waits for a line
        on stdin: Python's start-up (a second of CPU) is not the migration's, and on a small
        machine it would otherwise show up as a write stall.
"""

import argparse
import importlib
import json
import os
import re
import sys
import time
from pathlib import Path


def setup(project):
    sys.path.insert(0, project)
    os.chdir(project)
    manage = open(os.path.join(project, "manage.py"), encoding="utf-8").read()
    found = re.search(r"DJANGO_SETTINGS_MODULE['\"],\s*['\"]([\w.]+)['\"]", manage)
    os.environ["DJANGO_SETTINGS_MODULE"] = found.group(1) if found else "config.settings"
    import django

    django.setup()


def columns(model_label):
    from django.apps import apps
    from django.db import connection

    model = apps.get_model(model_label)
    result = []
    for field in model._meta.concrete_fields:
        related = field.related_model if field.is_relation else None
        result.append(
            {
                "name": field.name,
                "column": field.column,
                "dbType": field.db_type(connection) or "",
                "primaryKey": bool(field.primary_key),
                "unique": bool(field.unique),
                "null": bool(field.null),
                "relatedTable": related._meta.db_table if related else None,
            }
        )
    print(json.dumps({"table": model._meta.db_table, "columns": result}))


def migrate(app, target):
    from django.core.management import call_command
    from django.core.management.commands import migrate as migrate_command

    migrations, steps = [], []
    shown = migrate_command.Command.migration_progress_callback

    def progress(self, action, migration=None, fake=False):
        if action in ("apply_start", "unapply_start"):
            migrations.append({"name": str(migration), "start": time.time(), "end": None})
        elif action in ("apply_success", "unapply_success") and migrations:
            migrations[-1]["end"] = time.time()
        return shown(self, action, migration, fake)

    migrate_command.Command.migration_progress_callback = progress
    time_bg_scaffold_steps(app, steps)
    from django.db.migrations.loader import MigrationLoader

    MigrationLoader(None, ignore_no_migrations=True)  # imports every migration module
    print("ready", flush=True)
    sys.stdin.readline()
    try:
        call_command("migrate", app, target, interactive=False, verbosity=1)
    finally:  # a failed migrate has a timeline too: what ran, and how long, before it failed
        # On a line of its own: a failed migration leaves "Applying ..." without its newline.
        print("\n" + json.dumps({"migrations": migrations, "steps": steps}), flush=True)


def time_bg_scaffold_steps(app, steps):
    """Wraps the steps of each runtime version the app has (_bg_scaffold_v<N>.py) with a clock."""
    try:
        migrations = importlib.import_module(f"{app}.migrations")
    except ImportError:
        return
    for path in sorted(Path(migrations.__path__[0]).glob("_bg_scaffold_v*.py")):
        time_runtime_steps(importlib.import_module(f"{app}.migrations.{path.stem}"), steps)


def time_runtime_steps(ops, steps):
    """Wraps one runtime module's steps with a clock; nothing when it has none."""
    base, backfill = getattr(ops, "BlueGreenOperation", None), getattr(ops, "BackfillInBatches", None)
    steps_class = getattr(ops, "_Steps", None)
    if base is None:
        return
    current = []

    def clocked(forwards):
        def timed(self, app_label, schema_editor, from_state, to_state):
            step = {"op": type(self).__name__, "describe": self.describe(), "start": time.time()}
            step["rows"] = 0 if backfill is not None and isinstance(self, backfill) else None
            current.append(step)
            try:
                return forwards(self, app_label, schema_editor, from_state, to_state)
            finally:
                current.pop()
                step["end"] = time.time()
                steps.append(step)

        return timed

    base.database_forwards = clocked(base.database_forwards)
    # The Django operations run in steps (AddIndexConcurrently, AddConstraintConcurrently, ...).
    in_steps = getattr(ops, "_DjangoOperationInSteps", None)
    if in_steps is not None and "database_forwards" in vars(in_steps):
        in_steps.database_forwards = clocked(in_steps.database_forwards)
    if steps_class is not None and hasattr(steps_class, "ddl"):
        ddl = steps_class.ddl

        def counted(self, label, *statements, **kwargs):
            rows = ddl(self, label, *statements, **kwargs)
            if current and current[-1]["rows"] is not None and isinstance(rows, int):
                current[-1]["rows"] += max(rows, 0)
            return rows

        steps_class.ddl = counted
    if backfill is not None and hasattr(backfill, "run_block"):
        # v7+: the page walk's DO blocks run outside ddl; each returns (rows, pages).
        run_block = backfill.run_block

        def counted_block(self, *args, **kwargs):
            done = run_block(self, *args, **kwargs)
            if current and current[-1]["rows"] is not None:
                current[-1]["rows"] += max(done[0], 0)
            return done

        backfill.run_block = counted_block
    if steps_class is not None and hasattr(steps_class, "vacuum_analyze"):
        vacuum = steps_class.vacuum_analyze

        def timed_vacuum(self, table):
            # A step of its own: the backfill's rate and stall are its batches'.
            if self.showing or not current:
                return vacuum(self, table)
            step = {"op": "VACUUM (ANALYZE)", "describe": table, "rows": None}
            current[-1]["batchesEnd"] = step["start"] = time.time()
            try:
                return vacuum(self, table)
            finally:
                step["end"] = time.time()
                steps.append(step)

        steps_class.vacuum_analyze = timed_vacuum


def main():
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("columns")
    listing.add_argument("--project", required=True)
    listing.add_argument("--model", required=True)
    migrating = commands.add_parser("migrate")
    migrating.add_argument("--project", required=True)
    migrating.add_argument("--app", required=True)
    migrating.add_argument("--target", required=True)
    args = parser.parse_args()
    setup(args.project)
    if args.command == "columns":
        columns(args.model)
    else:
        migrate(args.app, args.target)


if __name__ == "__main__":
    main()
