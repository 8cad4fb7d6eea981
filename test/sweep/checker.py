"""Django's verdict on many project trees, without a Python start per tree.

The field sweep (test/sweep/) asks, after every phase of every generated change, whether
`manage.py check --tag models` and `manage.py makemigrations --check --dry-run` are clean. A
Python start with Django's imports costs most of that, so this process imports Django once and
forks a child per request; the child sets up the tree's settings, runs both commands in-process
and reports. Requests and answers are JSON lines on stdin and stdout:

    {"tree": "/tmp/x/zoo", "settings": "config.settings"}
    {"ok": true, "check": "...", "makemigrations": "No changes detected"}

The admin app is left out (see verdict()). No database is touched: no DATABASE_URL, so settings that read one fall back to SQLite, and
`--tag models` runs no database checks. `makemigrations` may create the fallback's empty file.
"""

import io
import json
import os
import sys
import traceback

# Imported once, in the parent: every forked child has them.
import django
import django.core.management
import django.db.migrations.autodetector
import django.db.models


def verdict(tree, settings):
    """Runs in the forked child: both commands on `tree`, as manage.py would run them."""
    from contextlib import redirect_stderr, redirect_stdout

    os.chdir(tree)
    sys.path.insert(0, tree)
    os.environ["DJANGO_SETTINGS_MODULE"] = settings
    os.environ.pop("DATABASE_URL", None)
    out = io.StringIO()
    result = {"ok": True}
    try:
        from django.conf import settings

        # The admin imports every model it shows: taking a removed name out of it is the
        # developer's part of a release (the tool's warnings list those lines), not the plan's.
        settings.INSTALLED_APPS = [
            app
            for app in settings.INSTALLED_APPS
            if not app.startswith("django.contrib.admin")
        ]
        django.setup()
        from django.core.management import call_command
        from django.core.management.base import SystemCheckError

        try:
            with redirect_stdout(out), redirect_stderr(out):
                call_command("check", tags=["models"])
            result["check"] = out.getvalue().strip()
        except SystemCheckError as error:
            result.update(ok=False, check=str(error).strip())
        out = io.StringIO()
        try:
            with redirect_stdout(out), redirect_stderr(out):
                call_command(
                    "makemigrations", check_changes=True, dry_run=True, verbosity=1
                )
            result["makemigrations"] = out.getvalue().strip()
        except SystemExit as exit_:
            result.update(
                ok=False,
                makemigrations=(out.getvalue().strip() or f"exit {exit_.code}"),
            )
    except Exception:  # noqa: BLE001 - a tree Django cannot load is a verdict too
        result.update(ok=False, error=traceback.format_exc(limit=3).strip()[-1500:])
    return result


def main():
    for line in sys.stdin:
        request = json.loads(line)
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            try:
                answer = verdict(request["tree"], request["settings"])
            except BaseException:  # noqa: BLE001
                answer = {"ok": False, "error": traceback.format_exc(limit=3)}
            with os.fdopen(write, "w") as pipe:
                pipe.write(json.dumps(answer))
            os._exit(0)
        os.close(write)
        with os.fdopen(read) as pipe:
            text = pipe.read()
        os.waitpid(pid, 0)
        sys.stdout.write(
            (text or json.dumps({"ok": False, "error": "the child died"})) + "\n"
        )
        sys.stdout.flush()


if __name__ == "__main__":
    main()
