/** Facts read from a Django project. Produced by src/project/, read-only everywhere else. */

export type Database = 'postgresql' | 'mysql' | 'sqlite';

/** A half-open range of UTF-16 code unit offsets (JS string indices) into a file's text. */
export interface SourceRange {
  start: number;
  end: number;
}

export interface DjangoField {
  /** Attribute name in the model class: `quantity`. */
  name: string;
  /** The field class as written, without module: `IntegerField`, `ForeignKey`, `CharField`. */
  fieldClass: string;
  /** The callee as written: `models.IntegerField`. */
  callee: string;
  /** Database column: `db_column` when given, `<name>_id` for ForeignKey/OneToOneField, else the name. */
  column: string;
  /** Positional arguments, as source text. */
  args: string[];
  /** Keyword arguments, as source text, in source order: `{ max_length: "20", null: "True" }`. */
  kwargs: Record<string, string>;
  nullable: boolean;
  unique: boolean;
  primaryKey: boolean;
  /** True when db_index=True, or a ForeignKey/OneToOneField without db_index=False. */
  dbIndex: boolean;
  /** Python-side `default=` source text, if any. */
  defaultSource: string | null;
  /** `db_default=` source text, if any. */
  dbDefaultSource: string | null;
  /** For relations: the target as written (`"Customer"`, `Customer`, `"auth.User"`, `settings.AUTH_USER_MODEL`). */
  relatedModel: string | null;
  /** For relations: `CASCADE`, `PROTECT`, ... (the attribute name, without `models.`). */
  onDelete: string | null;
  /** Range of the whole assignment statement (`quantity = models.IntegerField(...)`), excluding a trailing comment. */
  range: SourceRange;
  /** 1-based line numbers of the statement's first and last line. */
  line: number;
  endLine: number;
}

export interface DjangoModel {
  name: string;
  /** Relative (posix) path of the file that defines it, from the project root. */
  file: string;
  /** Meta.db_table when set, else `<app_label>_<model name lowercased>`. */
  dbTable: string;
  abstract: boolean;
  /** Base classes as written. */
  bases: string[];
  /** Concrete fields declared in this class, plus those inherited from abstract bases in the same app, in order. */
  fields: DjangoField[];
  /** Names of methods defined in the class body (`save`, `__str__`, ...). */
  methods: string[];
  /** Class-level names assigned that are not fields (e.g. `objects`). */
  otherAttributes: string[];
  /** Range of the whole class definition. */
  range: SourceRange;
  line: number;
  /** Indentation of the class body, e.g. four spaces. */
  bodyIndent: string;
}

export interface MigrationInfo {
  /** `0003_order_note` */
  name: string;
  /** Relative path of the file. */
  file: string;
  /** Leading number when the name starts with digits, else null. */
  number: number | null;
  /** `(app_label, migration_name)` pairs. */
  dependencies: Array<[string, string]>;
  /** `(app_label, migration_name)` pairs from `replaces`, for squashed migrations. */
  replaces: Array<[string, string]>;
}

export interface DjangoApp {
  /** App label: from the AppConfig's `label`, else the last part of its module name. */
  label: string;
  /** Dotted module: `shop`, `apps.shop`. */
  module: string;
  /** Relative (posix) directory of the app. */
  dir: string;
  /** Relative paths of `models.py`, or of each module of a `models/` package. */
  modelFiles: string[];
  /** Relative path of the migrations package. */
  migrationsDir: string;
  migrations: MigrationInfo[];
  /** The single leaf migration name, or null when the app has no migrations. */
  leaf: string | null;
  /** All leaves (more than one means the graph needs `makemigrations --merge`). */
  leaves: string[];
  /** Highest migration number + 1. */
  nextNumber: number;
  /** Concrete and abstract models defined in the app. */
  models: DjangoModel[];
}

export interface ProjectFacts {
  /** Absolute path of the project root (the folder holding manage.py). */
  root: string;
  apps: DjangoApp[];
  /** `major.minor` when it could be detected (requirements, pyproject, lock files), else null. */
  djangoVersion: string | null;
  /** Read from settings when it can be, else null. */
  database: Database | null;
}
