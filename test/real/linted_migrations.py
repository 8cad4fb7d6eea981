"""The migration linters on one project, for test/real/migration-linters.test.ts.

    linted_migrations.py OUT MIGRATION_FILE...

Run in the project's folder with its settings (DJANGO_SETTINGS_MODULE; django_migration_linter
among INSTALLED_APPS) and DATABASE_URL set. For each migration file, in one process:

- OUT/shown/<app>.<name>.sql: what `manage.py sqlmigrate <app> <name>` prints, for squawk;
- OUT/bare/<app>.<name>.sql: the same without the migration's SquawkIgnore and the runtime's
  `-- squawk-ignore` lines, so that squawk shows what each ignore silences;
- the django-migration-linter checks the migration makes without its MigrationLinterIgnore
  (the linter's own analysis of the SQL and of RunSQL/RunPython), beside the checks it declares.

Then `manage.py lintmigrations` on those migrations, and one JSON object on stdout.
"""

import contextlib
import io
import json
import os
import sys


def main(out, files):
    sys.path.insert(0, os.getcwd())
    import django

    django.setup()
    from django.apps import apps
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader
    from django_migration_linter import IgnoreMigration, MigrationLinter
    from django_migration_linter.sql_analyser import analyse_sql_statements

    loader = MigrationLoader(connection)
    linter = MigrationLinter(os.getcwd(), no_cache=True, no_output=True)
    for folder in ("shown", "bare"):
        os.makedirs(os.path.join(out, folder), exist_ok=True)

    def label_of(path):
        path = os.path.abspath(path)
        for config in apps.get_app_configs():
            if path.startswith(os.path.join(config.path, "migrations") + os.sep):
                return config.label
        raise SystemExit(f"{path} is in no installed app's migrations folder")

    def sql_of(migration):
        """What sqlmigrate prints for the migration as it is now: its own code (and, for
        a migration that is one transaction, its BEGIN and COMMIT)."""
        statements = loader.collect_sql([(migration, False)])
        if migration.atomic and connection.features.can_rollback_ddl:
            ops = connection.ops
            statements = [ops.start_transaction_sql(), *statements]
            statements.append(ops.end_transaction_sql())
        return "\n".join(statements).splitlines()

    report = {"migrations": []}
    names = []
    for file in files:
        label, name = label_of(file), os.path.basename(file)[: -len(".py")]
        names.append(name)
        migration = loader.graph.nodes[label, name]
        printed = io.StringIO()
        call_command("sqlmigrate", label, name, stdout=printed, no_color=True)
        shown = printed.getvalue().splitlines()
        kept = migration.operations
        squawk_ignores = [op for op in kept if type(op).__name__ == "SquawkIgnore"]
        linter_ignores = [op for op in kept if isinstance(op, IgnoreMigration)]
        try:
            migration.operations = [
                op for op in kept if op not in squawk_ignores + linter_ignores
            ]
            bare = sql_of(migration)
            errors, _, warnings = analyse_sql_statements(
                linter.sql_analyser_class, bare, []
            )
            data_errors, _, data_warnings = linter.analyse_data_migration(migration)
        finally:
            migration.operations = kept
        statement_ignores = [
            line for line in bare if line.startswith("-- squawk-ignore ")
        ]
        file_name = f"{label}.{name}.sql"
        with open(os.path.join(out, "shown", file_name), "w") as sql:
            sql.write("\n".join(shown) + "\n")
        with open(os.path.join(out, "bare", file_name), "w") as sql:
            sql.write(
                "\n".join(line for line in bare if line not in statement_ignores) + "\n"
            )
        report["migrations"].append(
            {
                "app": label,
                "name": name,
                "file": file_name,
                "squawkDeclared": sorted(
                    {rule for op in squawk_ignores for rule in op.rules}
                    | {
                        rule.strip()
                        for line in statement_ignores
                        for rule in line[len("-- squawk-ignore ") :]
                        .split(" -- ")[0]
                        .split(",")
                    }
                ),
                "migrationLinterDeclared": sorted(
                    {check for op in linter_ignores for check in op.checks}
                ),
                "migrationLinterFlagged": sorted(
                    {
                        issue.code
                        for issue in errors + warnings + data_errors + data_warnings
                    }
                ),
            }
        )

    output = io.StringIO()
    code = 0
    with contextlib.redirect_stdout(output):
        try:
            call_command("lintmigrations", include_name=names, no_cache=True)
        except SystemExit as exit:
            code = exit.code
    report["lintmigrations"] = {"code": code, "output": output.getvalue()}
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
