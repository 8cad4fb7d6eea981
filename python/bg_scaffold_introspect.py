"""Reports a Django project's app registry as JSON, the way Django itself knows it.

bg-scaffold runs this with the project's own interpreter and settings:

    python bg_scaffold_introspect.py --root PROJECT_DIR [--settings config.settings]

`django.setup()` needs no database connection and this script opens none. It prints one JSON
object on stdout: the Django and Python versions, the database engine the settings loaded, every
installed app with its concrete models (inheritance resolved by Django), their fields (columns,
types, null/default/db_default, relations, each field's definition serialized by Django's own
MigrationWriter), Meta, managers, and the file and line where each field and Meta is written.
It imports only Django and the standard library, and writes nothing.
"""

import argparse
import ast
import inspect
import json
import os
import sys
import traceback
from collections.abc import MutableMapping
from pathlib import PurePath

FORMAT = 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--settings")
    options = parser.parse_args()
    root = os.path.realpath(options.root)
    sys.path.insert(0, root)
    os.chdir(root)
    if options.settings:
        os.environ["DJANGO_SETTINGS_MODULE"] = options.settings
    if not os.environ.get("DJANGO_SETTINGS_MODULE"):
        return fail("settings", "no settings module: pass --settings or set DJANGO_SETTINGS_MODULE")
    environ = RecordingEnviron(os.environ)
    os.environ = environ  # os.getenv reads the module global too
    try:
        import django
    except ImportError as exc:
        return fail("import", f"Django is not importable with {sys.executable}: {exc}")
    try:
        django.setup()
    except Exception as exc:  # noqa: BLE001 - any failure means: fall back, and say why
        return fail("setup", f"django.setup() failed with {os.environ['DJANGO_SETTINGS_MODULE']}: {one_line(exc)}")
    report = Registry(root).report()
    report["django"] = django.get_version()
    report["settings"] = os.environ["DJANGO_SETTINGS_MODULE"]
    # What the settings read from the environment: the cache is valid while these stay the same.
    report["environment"] = environ.read
    print(json.dumps({"ok": True, **report}))
    return 0


class RecordingEnviron(MutableMapping):
    """os.environ, remembering every variable read (and its value, or None when unset)."""

    def __init__(self, real):
        self.real = real
        self.read = {}

    def __getitem__(self, name):
        try:
            value = self.real[name]
        except KeyError:
            self.read.setdefault(name, None)
            raise
        self.read.setdefault(name, value)
        return value

    def __setitem__(self, name, value):
        self.read.setdefault(name, self.real.get(name))
        self.real[name] = value

    def __delitem__(self, name):
        del self.real[name]

    def __iter__(self):
        return iter(self.real)

    def __len__(self):
        return len(self.real)

    def copy(self):
        return dict(self.real)


def fail(stage, message):
    print(json.dumps({"ok": False, "stage": stage, "error": message}))
    return 0


def one_line(exc):
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


class Sources:
    """File paths, class and statement lines, read with inspect and ast, each file parsed once."""

    def __init__(self, root):
        self.root = root
        self.trees = {}
        self.classes = {}

    def inside(self, path):
        return path is not None and (path == self.root or path.startswith(self.root + os.sep))

    def file_of(self, cls):
        try:
            path = inspect.getsourcefile(cls)
        except (TypeError, OSError):
            return None
        return os.path.realpath(path) if path else None

    def class_node(self, cls):
        """The ast.ClassDef of a class: found by its qualified name in its module's parsed file."""
        if cls not in self.classes:
            self.classes[cls] = self.find_class(cls)
        return self.classes[cls]

    def find_class(self, cls):
        path = self.file_of(cls)
        tree = self.tree(path) if path else None
        if tree is None:
            return path, None
        scope = tree.body
        node = None
        for part in cls.__qualname__.split("."):
            # The last definition of a name wins, as when the module ran.
            matches = [n for n in scope if isinstance(n, ast.ClassDef) and n.name == part]
            if not matches:
                return path, self.class_by_line(cls, tree)
            node = matches[-1]
            scope = node.body
        return path, node

    @staticmethod
    def class_by_line(cls, tree):
        """A class defined in a function or a conditional: inspect finds its line (slower)."""
        try:
            _, line = inspect.getsourcelines(cls)
        except (TypeError, OSError):
            return None
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name == cls.__name__:
                if line in (node.lineno, *(d.lineno for d in node.decorator_list)):
                    return node
        return None

    def tree(self, path):
        if path not in self.trees:
            try:
                with open(path, encoding="utf-8") as handle:
                    self.trees[path] = ast.parse(handle.read(), filename=path)
            except (OSError, SyntaxError, ValueError):
                self.trees[path] = None
        return self.trees[path]

    @staticmethod
    def assigned_line(class_node, name):
        """The line of `name = ...` (or `name: T = ...`) directly in a class body."""
        for statement in class_node.body:
            targets = []
            if isinstance(statement, ast.Assign):
                targets = statement.targets
            elif isinstance(statement, ast.AnnAssign):
                targets = [statement.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                return statement.lineno
        return None

    @staticmethod
    def meta_line(class_node):
        for statement in class_node.body:
            if isinstance(statement, ast.ClassDef) and statement.name == "Meta":
                return statement.lineno
        return None


class Registry:
    def __init__(self, root):
        from django.db import connections

        self.root = root
        self.sources = Sources(root)
        self.connection = None
        self.database = {"alias": "default", "engine": None, "vendor": None, "error": None}
        try:
            settings_dict = connections.settings["default"]
            self.database["engine"] = settings_dict.get("ENGINE")
        except Exception as exc:  # noqa: BLE001
            self.database["error"] = one_line(exc)
        try:
            self.connection = connections["default"]
            self.database["vendor"] = self.connection.vendor
        except Exception as exc:  # noqa: BLE001 - a backend whose driver is missing
            self.database["error"] = one_line(exc)
        self.postgres = postgres_connection(self.connection)

    def report(self):
        from django.apps import apps

        return {
            "python": sys.version.split()[0],
            "executable": sys.executable,
            "database": self.database,
            "apps": [self.app(config) for config in apps.get_app_configs()],
            "files": self.project_files(),
            "packageDirs": package_dirs(),
            "templateDirs": self.template_dirs(),
        }

    def template_dirs(self):
        """The project's folders the template engines load from (relative, posix): each
        engine's DIRS, and its apps' folders (templates/, jinja2/) with APP_DIRS."""
        from django.template import engines

        dirs = set()
        try:
            for engine in engines.all():
                for folder in engine.template_dirs:
                    path = os.path.realpath(folder)
                    if self.sources.inside(path) and path != self.root:
                        dirs.add(PurePath(os.path.relpath(path, self.root)).as_posix())
        except Exception:  # noqa: BLE001 - a broken TEMPLATES setting: no folders known
            return []
        return sorted(dirs)

    def project_files(self):
        """The project's own modules Django imported: what the cache is keyed on."""
        files = set()
        for module in list(sys.modules.values()):
            path = getattr(module, "__file__", None)
            if path:
                path = os.path.realpath(path)
                if self.sources.inside(path) and path.endswith(".py"):
                    files.add(os.path.relpath(path, self.root))
        return sorted(files)

    def app(self, config):
        path = os.path.realpath(config.path) if config.path else None
        models = [m for m in config.get_models(include_auto_created=False)]
        return {
            "label": config.label,
            "name": config.name,
            "path": path,
            "inProject": self.sources.inside(path),
            "models": [self.model(m) for m in models],
        }

    def model(self, model):
        meta = model._meta
        path, node = self.sources.class_node(model)
        fields = [f for f in meta.local_fields]
        fields += [f for f in meta.local_many_to_many]
        fields += [f for f in meta.private_fields if f not in fields and not getattr(f, "concrete", False)]
        parents = [f"{p._meta.app_label}.{p.__name__}" for p in meta.get_parent_list()]
        return {
            "name": model.__name__,
            "module": model.__module__,
            "file": path,
            "line": node.lineno if node is not None else None,
            "dbTable": meta.db_table,
            "proxy": meta.proxy,
            "managed": meta.managed,
            "concreteModel": f"{meta.concrete_model._meta.app_label}.{meta.concrete_model.__name__}",
            "parents": parents,
            "bases": [f"{b.__module__}.{b.__qualname__}" for b in model.__bases__],
            "pk": meta.pk.name if meta.pk is not None else None,
            "ownSave": any("save" in vars(c) for c in model.__mro__ if self.is_project_model_class(c)),
            "managers": [
                {"name": m.name, "class": f"{type(m).__module__}.{type(m).__qualname__}", "default": m is meta.default_manager}
                for m in meta.managers
            ],
            "meta": self.meta(model, node, path),
            "fields": [self.field(model, f) for f in fields],
        }

    @staticmethod
    def is_project_model_class(cls):
        from django.db import models

        return cls is not models.Model and issubclass(cls, models.Model) and not cls.__module__.startswith("django.")

    def meta(self, model, node, path):
        meta = model._meta
        line = self.sources.meta_line(node) if node is not None else None
        return {
            "file": path if line is not None else None,
            "line": line,
            "ordering": [str(o) for o in meta.ordering],
            "uniqueTogether": [list(group) for group in meta.unique_together],
            "indexTogether": [list(group) for group in getattr(meta, "index_together", ())],
            "indexes": [self.index(i) for i in meta.indexes],
            "constraints": [self.constraint(c) for c in meta.constraints],
            "getLatestBy": meta.get_latest_by if isinstance(meta.get_latest_by, (str, type(None))) else list(meta.get_latest_by),
            "orderWithRespectTo": meta.order_with_respect_to.name if meta.order_with_respect_to else None,
            "alterOptions": self.alter_options(model),
        }

    def alter_options(self, model):
        """The options AlterModelOptions carries, as the migration state holds them: a plan that
        changes one (a renamed field in `ordering`) writes them all, as makemigrations does."""
        from django.db.migrations.operations import AlterModelOptions
        from django.db.migrations.state import ModelState

        try:
            options = ModelState.from_model(model).options
        except Exception as exc:  # noqa: BLE001 - a model the autodetector could not read either
            return {"error": one_line(exc)}
        return {key: serialize(options[key]) for key in AlterModelOptions.ALTER_OPTION_KEYS if key in options}

    def index(self, index):
        return {
            "name": index.name,
            "fields": list(index.fields),
            "expressions": [str(e) for e in index.expressions],
            "condition": str(index.condition) if index.condition is not None else None,
            "definition": serialize(index),
        }

    def constraint(self, constraint):
        return {
            "name": constraint.name,
            "type": type(constraint).__name__,
            "fields": list(getattr(constraint, "fields", ()) or ()),
            "condition": str(getattr(constraint, "condition", None) or getattr(constraint, "check", None) or "") or None,
            "definition": serialize(constraint),
        }

    def declared_in(self, model, name):
        """The class whose body writes `name = ...`, nearest first in the MRO, with file and line."""
        for cls in model.__mro__:
            if not self.is_project_model_class(cls) and not cls.__module__.startswith("django.contrib"):
                continue
            path, node = self.sources.class_node(cls)
            if node is None:
                continue
            line = self.sources.assigned_line(node, name)
            if line is not None:
                return {"class": f"{cls.__module__}.{cls.__qualname__}", "model": cls is model, "file": path, "line": line}
        return None

    def field(self, model, field):
        from django.contrib.contenttypes.fields import GenericForeignKey

        generic = isinstance(field, GenericForeignKey) if "django.contrib.contenttypes" in sys.modules else False
        base = {
            "name": field.name,
            "class": type(field).__name__,
            "classPath": f"{type(field).__module__}.{type(field).__qualname__}",
            "declaredIn": self.declared_in(model, field.name),
        }
        if generic:
            return {**base, "kind": "generic", "column": None, "ctField": field.ct_field, "fkField": field.fk_field}
        many = bool(field.many_to_many)
        description = {
            **base,
            "kind": "many-to-many" if many else "column",
            "attname": field.attname,
            "column": None if many else field.column,
            "internalType": field.get_internal_type(),
            "null": field.null,
            "blank": field.blank,
            "unique": bool(field.unique) if not many else False,
            "primaryKey": field.primary_key,
            "dbIndex": bool(field.db_index),
            "autoCreated": field.auto_created,
            "parentLink": bool(getattr(field.remote_field, "parent_link", False)) if field.remote_field else False,
            "maxLength": field.max_length,
            "maxDigits": getattr(field, "max_digits", None),
            "decimalPlaces": getattr(field, "decimal_places", None),
            "hasDefault": field.has_default(),
            "default": serialize(field.default) if field.has_default() else None,
            "dbDefault": serialize_db_default(field),
            "choices": field.choices is not None,
            "dbType": db_type(field, self.connection),
            "pgType": db_type(field, self.postgres),
            "relation": self.relation(field),
            "definition": definition(field),
        }
        return description

    def relation(self, field):
        remote = field.remote_field
        if remote is None or isinstance(remote.model, str):
            return None
        target = remote.model
        info = {
            "model": f"{target._meta.app_label}.{target.__name__}",
            "table": target._meta.db_table,
            "relatedName": remote.related_name,
            "relatedQueryName": remote.related_query_name,
            "dbConstraint": getattr(field, "db_constraint", False),
        }
        if field.many_to_many:
            through = remote.through
            info["through"] = f"{through._meta.app_label}.{through.__name__}"
            info["throughTable"] = through._meta.db_table
            info["throughAutoCreated"] = through._meta.auto_created is not False
            return info
        on_delete = getattr(remote, "on_delete", None)
        info["onDelete"] = getattr(on_delete, "__name__", None) if on_delete is not None else None
        info["toField"] = remote.field_name if getattr(remote, "field_name", None) else None
        target_field = field.target_field
        info["column"] = target_field.column
        return info


def package_dirs():
    """Where installed packages live: installing or upgrading one changes these folders."""
    import site

    dirs = list(getattr(site, "getsitepackages", lambda: [])())
    user = getattr(site, "getusersitepackages", lambda: None)()
    if user:
        dirs.append(user)
    return sorted({os.path.realpath(d) for d in dirs if os.path.isdir(d)})


def postgres_connection(connection):
    """A PostgreSQL connection object, never opened, whose data types give each field's column type."""
    if connection is not None and connection.vendor == "postgresql":
        return connection
    try:
        from django.db.backends.postgresql.base import DatabaseWrapper
    except Exception:  # noqa: BLE001 - no psycopg in this environment
        return None
    settings = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "bg_scaffold_unused",
        "USER": "",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
        "OPTIONS": {},
        "TIME_ZONE": None,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "AUTOCOMMIT": True,
        "ATOMIC_REQUESTS": False,
        "TEST": {},
    }
    try:
        return DatabaseWrapper(settings, alias="__bg_scaffold_types__")
    except Exception:  # noqa: BLE001
        return None


def db_type(field, connection):
    if connection is None:
        return None
    try:
        return field.db_type(connection)
    except Exception:  # noqa: BLE001 - a custom field that needs more than the connection object
        return None


def serialize(value):
    """Django's own spelling of a value in a migration file: source text and imports."""
    from django.db.migrations.writer import MigrationWriter

    try:
        text, imports = MigrationWriter.serialize(value)
    except Exception as exc:  # noqa: BLE001 - a value makemigrations cannot write either
        return {"error": one_line(exc)}
    return {"source": text, "imports": sorted(imports)}


def serialize_db_default(field):
    from django.db.models import NOT_PROVIDED

    value = getattr(field, "db_default", NOT_PROVIDED)
    if value is NOT_PROVIDED:
        return None
    return serialize(value)


def definition(field):
    """The field as makemigrations writes it: callee, positional and keyword arguments, imports."""
    from django.db.migrations import serializer

    # Django 6.0 renamed DeconstructableSerializer to DeconstructibleSerializer.
    deconstructible = getattr(serializer, "DeconstructibleSerializer", None) or serializer.DeconstructableSerializer
    try:
        _, path, args, kwargs = field.deconstruct()
        callee, imports = deconstructible._serialize_path(path)
    except Exception as exc:  # noqa: BLE001
        return {"error": one_line(exc)}
    imports = set(imports)
    out_args = []
    for arg in args:
        value = serialize(arg)
        if "error" in value:
            return value
        out_args.append(value["source"])
        imports.update(value["imports"])
    out_kwargs = []
    for name, arg in sorted(kwargs.items()):
        value = serialize(arg)
        if "error" in value:
            return {"error": f"{name}: {value['error']}"}
        out_kwargs.append([name, value["source"]])
        imports.update(value["imports"])
    return {"callee": callee, "args": out_args, "kwargs": out_kwargs, "imports": sorted(imports)}


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as exc:  # noqa: BLE001
        print(json.dumps({"ok": False, "stage": "introspect", "error": one_line(exc), "trace": traceback.format_exc()}))
        sys.exit(0)
