/**
 * The Meta edits on a large real codebase: every model class of django-oscar 4.2.1's
 * `abstract_models.py` files (Meta with `abstract = True`, `app_label`, ordering, verbose names,
 * unique_together, existing index and constraint lists, models without Meta) gets an index and a
 * constraint added, then a second index. The file must still parse, and the only lines that
 * change are the ones added, or a one-line list rewritten.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { diffLines } from 'diff';
import { beforeAll, describe, expect, it } from 'vitest';
import { moduleClasses } from '../../../src/python/edit.js';
import { assertParses, loadPythonParser, parsePython } from '../../../src/python/parser.js';
import { applyModelEdits } from '../../../src/render/model-edits.js';
import { oscarSource } from '../../support/oscar-sdist.js';

await loadPythonParser();

const MARKER = { change: 'oscar-meta', phase: 1, of: 1 };
let files: Array<{ file: string; source: string }>;

beforeAll(async () => {
  const root = path.join(await oscarSource(), 'src', 'oscar', 'apps');
  files = readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name === 'abstract_models.py')
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort()
    .map((file) => ({ file: path.relative(root, file), source: readFileSync(file, 'utf8') }));
});

/** The model classes of a module: classes whose bases name a model (`models.Model`, `AbstractX`). */
function modelClasses(source: string): string[] {
  return moduleClasses(parsePython(source).rootNode)
    .filter((cls) => /Model\b|\bAbstract\w+/.test(cls.childForFieldName('superclasses')?.text ?? ''))
    .map((cls) => cls.childForFieldName('name')!.text);
}

describe('Meta entries on django-oscar 4.2.1', () => {
  it('adds an index and a constraint to every model class of every abstract_models.py, changing no line it does not mean to', () => {
    let models = 0;
    for (const { file, source } of files) {
      for (const model of modelClasses(source)) {
        models += 1;
        const edited = applyModelEdits(
          source,
          file,
          [
            { kind: 'add-meta-entry', model, list: 'indexes', entry: 'models.Index(fields=["id"], name="bg_probe_idx")', note: 'probe' },
            { kind: 'add-meta-entry', model, list: 'constraints', entry: 'models.CheckConstraint(condition=models.Q(id__gte=0), name="bg_probe_check")', note: 'probe' },
          ],
          MARKER,
        );
        assertParses(edited, `${file} (${model})`);
        const removed = diffLines(source, edited)
          .filter((part) => part.removed)
          .flatMap((part) => part.value.split('\n').filter(Boolean));
        // Only a one-line `indexes = [...]` / `constraints = [...]` is rewritten (one item per line).
        expect(removed.filter((line) => !/^\s*(indexes|constraints)\s*=/.test(line)), `${file} ${model}`).toEqual([]);
        expect(edited.match(/# bg-scaffold: oscar-meta 1\/1 probe/g)?.length, `${file} ${model}: both entries marked`).toBe(2);
      }
    }
    // Oscar's apps define about seventy abstract models: the test saw them.
    expect(models).toBeGreaterThan(60); // 71 in 4.2.1
  });
});
