/** Reads an app's migration files and works out its migration graph's leaves, as Django would. */
import { assignmentOf, bodyStatements, callArguments, keywordArgument, lastNamePart, moduleClasses, stringValue } from '../python/edit.js';
import type { SyntaxNode, SyntaxTree } from '../python/parser.js';
import type { MigrationInfo, MigrationStateOperation } from './types.js';

/** `("shop", "0001_initial")` or `["shop", "0001_initial"]`; anything else (swappable_dependency, ...) → null. */
function readPair(node: SyntaxNode): [string, string] | null {
  if (node.type !== 'tuple' && node.type !== 'list') return null;
  const items = node.namedChildren.filter((child) => child.type !== 'comment');
  if (items.length !== 2) return null;
  const app = stringValue(items[0]!);
  const name = stringValue(items[1]!);
  return app !== null && name !== null ? [app, name] : null;
}

function readPairs(value: SyntaxNode): Array<[string, string]> {
  if (value.type !== 'list' && value.type !== 'tuple') return [];
  return value.namedChildren.map(readPair).filter((pair): pair is [string, string] => pair !== null);
}

/** Reads `dependencies` and `replaces` from the `Migration` class of a parsed migration module. */
export function readMigration(tree: SyntaxTree, name: string, file: string): MigrationInfo {
  const classes = moduleClasses(tree.rootNode);
  const migration = classes.find((cls) => cls.childForFieldName('name')?.text === 'Migration') ?? classes[0];
  let dependencies: Array<[string, string]> = [];
  let replaces: Array<[string, string]> = [];
  for (const statement of migration ? bodyStatements(migration) : []) {
    const assignment = assignmentOf(statement);
    const target = assignment?.childForFieldName('left')?.text;
    const value = assignment?.childForFieldName('right');
    if (!value) continue;
    if (target === 'dependencies') dependencies = readPairs(value);
    if (target === 'replaces') replaces = readPairs(value);
  }
  const leadingNumber = /^(\d+)/.exec(name);
  return {
    name,
    file,
    number: leadingNumber ? Number(leadingNumber[1]) : null,
    dependencies,
    replaces,
    stateOperations: readStateOperations(tree.rootNode),
  };
}

/** Argument `keyword`, else the positional argument at `position` (Django's operations take both). */
function argument(call: SyntaxNode, keyword: string, position: number): SyntaxNode | null {
  const named = keywordArgument(call, keyword);
  if (named) return named.childForFieldName('value');
  const positional = callArguments(call).filter((arg) => arg.type !== 'keyword_argument' && arg.type !== 'comment');
  return positional[position] ?? null;
}

function stringArgument(call: SyntaxNode, keyword: string, position: number): string | null {
  const node = argument(call, keyword, position);
  return node ? stringValue(node) : null;
}

/**
 * The operations anywhere in a migration module (inside SeparateDatabaseAndState too) that bring a
 * model or a field into Django's state: what tells whether makemigrations has seen it.
 */
export function readStateOperations(root: SyntaxNode): MigrationStateOperation[] {
  const found: MigrationStateOperation[] = [];
  for (const call of root.descendantsOfType('call')) {
    if (!call) continue;
    const callee = call.childForFieldName('function')?.text;
    if (!callee) continue;
    switch (lastNamePart(callee)) {
      case 'CreateModel': {
        const model = stringArgument(call, 'name', 0);
        const fields = argument(call, 'fields', 1);
        if (model === null) break;
        const names = fields && (fields.type === 'list' || fields.type === 'tuple')
          ? fields.namedChildren.flatMap((item) => {
              const first = item.type === 'tuple' || item.type === 'list' ? item.namedChildren.find((child) => child.type !== 'comment') : null;
              const value = first ? stringValue(first) : null;
              return value === null ? [] : [value];
            })
          : [];
        found.push({ kind: 'CreateModel', model, fields: names });
        break;
      }
      case 'AddField': {
        const model = stringArgument(call, 'model_name', 0);
        const field = stringArgument(call, 'name', 1);
        if (model !== null && field !== null) found.push({ kind: 'AddField', model, field });
        break;
      }
      case 'RenameField': {
        const model = stringArgument(call, 'model_name', 0);
        const oldName = stringArgument(call, 'old_name', 1);
        const newName = stringArgument(call, 'new_name', 2);
        if (model !== null && oldName !== null && newName !== null) found.push({ kind: 'RenameField', model, oldName, newName });
        break;
      }
      case 'RenameModel': {
        const oldName = stringArgument(call, 'old_name', 0);
        const newName = stringArgument(call, 'new_name', 1);
        if (oldName !== null && newName !== null) found.push({ kind: 'RenameModel', oldName, newName });
        break;
      }
    }
  }
  return found;
}

/**
 * Leaves of one app's graph: its migrations that no other migration of the app depends on.
 * A squashed migration stands in for the migrations it replaces (as on a fresh database), so
 * dependencies on a replaced migration count as dependencies on the squashed one.
 */
export function migrationLeaves(label: string, migrations: MigrationInfo[]): string[] {
  const names = new Set(migrations.map((migration) => migration.name));
  const replacedBy = new Map<string, string>();
  for (const migration of migrations) {
    for (const [app, replaced] of migration.replaces) {
      if (app === label && names.has(replaced)) replacedBy.set(replaced, migration.name);
    }
  }
  const nodes = migrations.filter((migration) => !replacedBy.has(migration.name));
  const parents = new Set<string>();
  for (const migration of nodes) {
    for (const [app, dependency] of migration.dependencies) {
      if (app !== label) continue;
      const parent = replacedBy.get(dependency) ?? dependency;
      if (parent !== migration.name) parents.add(parent);
    }
  }
  return nodes
    .map((migration) => migration.name)
    .filter((name) => !parents.has(name))
    .sort();
}

/** Highest leading migration number + 1 (numbers may repeat after merges); 1 when there is none. */
export function nextMigrationNumber(migrations: MigrationInfo[]): number {
  return migrations.reduce((highest, migration) => Math.max(highest, migration.number ?? 0), 0) + 1;
}
