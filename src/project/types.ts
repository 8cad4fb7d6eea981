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
  /**
   * The class whose body writes the field when it is not the model's own (an abstract base, maybe in
   * another app or file): `range` and `line` are then in `file`, not in the model's file.
   */
  inheritedFrom?: { className: string; file: string | null; line: number } | null;
  /**
   * What Django reported (absent when the project was read statically): the facts below come from
   * the app registry, not from the source text.
   */
  django?: DjangoFieldFacts;
}

/** A field as Django's app registry knows it. */
export interface DjangoFieldFacts {
  /** `get_internal_type()`: `CharField` for a custom subclass of CharField. */
  internalType: string | null;
  /** The column type on PostgreSQL (`field.db_type()`), null when Django could not say. */
  postgresType: string | null;
  /** The field as makemigrations writes it, or why it cannot be written. */
  migration: { callee: string; args: string[]; kwargs: Array<[string, string]>; imports: string[] } | { error: string };
  /** Where the target of a relation is, resolved by Django. */
  target: { appLabel: string; modelName: string; table: string; column: string; toField: string | null } | null;
  /** `related_name` of a relation, as Django resolved it. */
  relatedName: string | null;
  /** A GenericForeignKey (no column of its own): the two fields it reads. */
  generic: { contentTypeField: string; objectIdField: string } | null;
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
  /** `objects = BookQuerySet.as_manager()` with BookQuerySet defined above in the same module: `BookQuerySet`. */
  objectsQuerySet?: string | null;
  /** Range of the whole class definition. */
  range: SourceRange;
  line: number;
  /** Indentation of the class body, e.g. four spaces. */
  bodyIndent: string;
  /** The source of the class's own `class Meta:`, when read statically (Django's facts say more). */
  metaText?: string | null;
  /** The primary key's column: declared, or the one Django adds (`id`). */
  pkColumn?: string;
  /** What Django reported (absent when read statically). */
  django?: DjangoModelFacts;
}

/** Python source as Django's MigrationWriter writes a value, with the imports it needs. */
export interface SerializedSource {
  source: string;
  imports: string[];
}

export interface DjangoModelFacts {
  /** The Python module that defines the class (`shop.models`). */
  module: string;
  proxy: boolean;
  /** Concrete parents of multi-table inheritance, `app.Model`. */
  parents: string[];
  /** The model or a project base class defines `save()`. */
  ownSave: boolean;
  managers: Array<{ name: string; className: string; isDefault: boolean }>;
  /** The auto-created primary key, when the model declares none (`id`, `book_ptr`). */
  autoPk: { name: string; column: string; postgresType: string | null } | null;
  meta: {
    line: number | null;
    ordering: string[];
    uniqueTogether: string[][];
    /** `definition`: the index or constraint as a migration writes it (`models.Index(...)`), when Django could serialize it. */
    indexes: Array<{ name: string; fields: string[]; condition: string | null; definition?: SerializedSource | null }>;
    constraints: Array<{ name: string; type: string; fields: string[]; condition: string | null; definition?: SerializedSource | null }>;
    getLatestBy: string | string[] | null;
    orderWithRespectTo: string | null;
    indexTogether?: string[][];
    /** Index expressions as Django prints them (`F(due_back)`, `Lower(F(name))`), per index name. */
    indexExpressions?: Record<string, string[]>;
    /**
     * The options AlterModelOptions carries (`ordering`, `verbose_name`, ...), each as a migration
     * writes it, or why Django could not serialize them.
     */
    alterOptions?: Record<string, { source: string; imports: string[] }> | { error: string } | null;
  };
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
  /** What its operations do to models and fields in Django's state, as far as the text says (nested ones too). */
  stateOperations: MigrationStateOperation[];
}

/** A migration operation that brings a model or field into Django's state, names as written. */
export type MigrationStateOperation =
  | { kind: 'CreateModel'; model: string; fields: string[] }
  | { kind: 'AddField'; model: string; field: string }
  | { kind: 'RenameField'; model: string; oldName: string; newName: string }
  | { kind: 'RenameModel'; oldName: string; newName: string };

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
  /** How the facts were learned: from Django's app registry, or statically from the source. */
  discovery: DiscoveryInfo;
  /** Models of installed apps outside the project (contrib, packages): targets of relations. */
  externalModels: Array<{ appLabel: string; model: DjangoModel }>;
  /** The folders the template engines load from, as Django reported them (relative, posix); absent when read without Django. */
  templateDirs?: string[];
}

export interface DiscoveryInfo {
  source: 'django' | 'static';
  /** One line for the user: how Django was asked, or why it could not be (static fallback); empty after --no-django. */
  note: string;
  /** `5.2.19` when Django answered. */
  djangoVersion: string | null;
  cached: boolean;
}
