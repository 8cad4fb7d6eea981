/**
 * SQL as the plans write it, spelled in one place: string literals, quoted identifiers, and the
 * statements more than one plan writes (ADD/DROP COLUMN, CONCURRENTLY index builds and drops,
 * constraints added unless present). Every statement is safe to run again unless it says otherwise.
 */
import type { Database } from '../../project/types.js';

/** `'it''s'`: an SQL string literal. */
export function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** `"shop_order"`: a double-quoted SQL identifier. */
export function q(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}

/** A quoted identifier in the database's own style (MySQL: backticks). */
export function quoteName(identifier: string, database: Database): string {
  return database === 'mysql' ? `\`${identifier.replace(/`/g, '``')}\`` : q(identifier);
}

export interface AddColumnOptions {
  /** NULL (the default) or NOT NULL. */
  nullable?: boolean;
  /** The SQL after DEFAULT, when the column gets one. */
  default?: string | null;
  /** IF NOT EXISTS (the default): a re-run skips the column. */
  ifNotExists?: boolean;
  /** Whose identifier quoting (default PostgreSQL's). */
  database?: Database;
}

/** `ALTER TABLE "t" ADD COLUMN IF NOT EXISTS "c" <type> [DEFAULT <sql>] NULL`. */
export function addColumnSql(table: string, column: string, type: string, options: AddColumnOptions = {}): string {
  const { nullable = true, ifNotExists = true, database = 'postgresql' } = options;
  const parts = [`ALTER TABLE ${quoteName(table, database)} ADD COLUMN${ifNotExists ? ' IF NOT EXISTS' : ''} ${quoteName(column, database)}`, type];
  if (options.default != null) parts.push(`DEFAULT ${options.default}`);
  parts.push(nullable ? 'NULL' : 'NOT NULL');
  return parts.join(' ');
}

/** `ALTER TABLE "t" DROP COLUMN IF EXISTS "c"` (without IF EXISTS when `ifExists` is false). */
export function dropColumnSql(table: string, column: string, options: { ifExists?: boolean; database?: Database } = {}): string {
  const { ifExists = true, database = 'postgresql' } = options;
  return `ALTER TABLE ${quoteName(table, database)} DROP COLUMN${ifExists ? ' IF EXISTS' : ''} ${quoteName(column, database)}`;
}

/** How long the runtime lets a step that holds a lock writers wait for run once it has the lock (its HOLD_LIMIT). */
const HOLD_LIMIT_MS = 1000;

/**
 * `SET LOCAL statement_timeout = '2000ms'` for a RunSQL step that locks one table under
 * `lockTimeout` (`1s`, `200ms`, `1min`), bounded as the runtime bounds its own steps: the lock wait,
 * then a change to the catalog, which takes milliseconds; a step that ran on would stall every writer.
 */
export function statementTimeoutSql(lockTimeout: string): string {
  const match = /^([0-9]+)(ms|s|min)?$/.exec(lockTimeout);
  if (!match) throw new Error(`not a lock_timeout: ${lockTimeout}`);
  const waitMs = Number(match[1]) * { ms: 1, s: 1000, min: 60_000 }[match[2] ?? 'ms']!;
  return `SET LOCAL statement_timeout = ${sqlString(`${waitMs + HOLD_LIMIT_MS}ms`)}`;
}

/** `ALTER TABLE "t" ALTER COLUMN "c" SET DEFAULT <sql>`: metadata only. */
export function setColumnDefaultSql(table: string, column: string, sql: string): string {
  return `ALTER TABLE ${q(table)} ALTER COLUMN ${q(column)} SET DEFAULT ${sql}`;
}

/** `DROP INDEX CONCURRENTLY IF EXISTS "name"`. */
export function dropIndexConcurrentlySql(name: string): string {
  return `DROP INDEX CONCURRENTLY IF EXISTS ${q(name)}`;
}

/**
 * `CREATE [UNIQUE] INDEX CONCURRENTLY name ON table (columns)`, after dropping a leftover of that
 * name: a failed build leaves an INVALID index, which IF NOT EXISTS would keep.
 */
export function createIndexConcurrentlySql(table: string, name: string, columns: string, unique = false): string[] {
  return [dropIndexConcurrentlySql(name), `CREATE ${unique ? 'UNIQUE ' : ''}INDEX CONCURRENTLY ${q(name)} ON ${q(table)} (${columns})`];
}

/** `ALTER TABLE "t" DROP CONSTRAINT IF EXISTS "name"`. */
export function dropConstraintSql(table: string, name: string): string {
  return `ALTER TABLE ${q(table)} DROP CONSTRAINT IF EXISTS ${q(name)}`;
}

/**
 * `ALTER TABLE table ADD CONSTRAINT name <definition>` unless the table has a constraint of that
 * name (PostgreSQL has no IF NOT EXISTS for it): one statement, safe to run again.
 */
export function addConstraintUnlessPresent(table: string, name: string, definition: string): string {
  return [
    'DO $bg$',
    'BEGIN',
    `    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = ${sqlString(q(table))}::regclass AND conname = ${sqlString(name)}) THEN`,
    `        ALTER TABLE ${q(table)} ADD CONSTRAINT ${q(name)} ${definition};`,
    '    END IF;',
    'END',
    '$bg$',
  ].join('\n');
}

/** Words of SQL expressions that name no column (keywords, literals, parts of type names and casts). */
const EXPRESSION_WORDS = new Set(
  (
    'and or not null is true false unknown case when then else end in like ilike similar escape between symmetric cast as ' +
    'distinct from interval at time zone with without varying double precision current_date current_time current_timestamp ' +
    'localtime localtimestamp current_user session_user user any all some exists array row collate isnull notnull ' +
    'overlaps both leading trailing for position substring trim extract year month day hour minute second'
  ).split(' '),
);

/**
 * The names an SQL expression over a row uses as columns: identifiers outside string literals that
 * are not called (`coalesce(`), cast to (`::bigint`), qualified (`t.x`), or SQL words; a
 * double-quoted one as written, others folded to lower case as PostgreSQL folds them. A heuristic,
 * for saying which names a table has not: it never parses the expression.
 */
export function columnsNamedIn(expression: string): string[] {
  const names = new Set<string>();
  const token = /'(?:[^']|'')*'|"((?:[^"]|"")+)"|([A-Za-z_][A-Za-z0-9_$]*)|::\s*[A-Za-z_][\w\s]*|[.]\s*[A-Za-z_]\w*|\d[\w.]*/g;
  for (const match of expression.matchAll(token)) {
    const [whole, quoted, word] = match;
    if (quoted === undefined && word === undefined) continue; // a literal, a cast, a qualified part, a number
    const after = expression.slice(match.index + whole.length);
    if (/^\s*[.(]/.test(after)) continue; // a function called, or a table or schema qualifying a name
    if (quoted !== undefined) names.add(quoted.replace(/""/g, '"'));
    else if (!EXPRESSION_WORDS.has(word!.toLowerCase())) names.add(word!.toLowerCase());
  }
  return [...names];
}
