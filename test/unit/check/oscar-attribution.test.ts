/**
 * The reference scanner on a large real codebase: django-oscar 4.2.1, target `order.Line.quantity`,
 * against the hand-labelled corpus in test/fixtures/oscar-quantity. Every hit of the word is either
 * reported (certain or possible) or not (dropped as another model's, or never a reference), and the
 * labels say what it really is. The measure:
 * - recall: certain and possible findings together hold ≥ 99% of the `target` hits (the field's own
 *   declaration left out: check never reports a definition);
 * - precision of certain findings ≥ 95%: a CI that fails on them can be trusted;
 * - certain findings hold ≥ 80% of the true references.
 * The scan runs on a copy of the sdist in a temp folder (the sdist sits in .cache/, which git ignores).
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findReferences, type Reference } from '../../../src/check/references.js';
import { type OscarHit, type OscarLabel, oscarSource, readOscarCorpus } from '../../support/oscar-sdist.js';


const corpus = readOscarCorpus();
const LABELS: readonly OscarLabel[] = ['target', 'other', 'not-a-reference'];
type Outcome = 'certain' | 'possible' | 'dropped' | 'not reported';
const OUTCOMES: readonly Outcome[] = ['certain', 'possible', 'dropped', 'not reported'];

let work: string;
let references: Reference[];
let dropped: Reference[];

beforeAll(async () => {
  const source = await oscarSource();
  work = mkdtempSync(path.join(tmpdir(), 'bg-oscar-'));
  cpSync(path.join(source, 'src'), path.join(work, 'src'), { recursive: true });
  const { target } = corpus;
  const all = await findReferences(work, [{ app: target.app, model: target.model, name: target.field, kind: 'field' }], { explain: true });
  references = all.filter((ref) => ref.certainty !== 'dropped');
  dropped = all.filter((ref) => ref.certainty === 'dropped');
  // The first run downloads the sdist: the suite's hook limit (vitest.config.ts) only stops a hang.
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const key = (at: { file: string; line: number; column: number }): string => `${at.file}:${at.line}:${at.column}`;

/** What the scanner made of each labelled hit. */
function outcomes(): Map<string, { hit: OscarHit; outcome: Outcome; reason: string }> {
  const found = new Map<string, Reference>();
  for (const ref of [...references, ...dropped]) found.set(key(ref), ref);
  const result = new Map<string, { hit: OscarHit; outcome: Outcome; reason: string }>();
  for (const hit of corpus.hits) {
    const ref = found.get(key(hit));
    result.set(key(hit), { hit, outcome: ref ? (ref.certainty as Outcome) : 'not reported', reason: ref?.reason ?? '' });
  }
  return result;
}

/** The field's own statement: check never reports a definition, so it is left out of the measure. */
function isDeclaration(hit: OscarHit): boolean {
  return hit.label === 'target' && /^quantity = models\./.test(hit.text);
}

describe('check on django-oscar: quantity attributed to order.Line', () => {
  it('reports only labelled hits', () => {
    const labelled = new Set(corpus.hits.map(key));
    const unlabelled = [...references, ...dropped].filter((ref) => !labelled.has(key(ref)));
    expect(unlabelled.map((ref) => `${key(ref)} ${ref.text}`)).toEqual([]);
  });

  it('finds the order line’s quantity with the recall and precision a CI gate needs', () => {
    const table = new Map<string, number>();
    const rows = outcomes();
    for (const { hit, outcome } of rows.values()) {
      if (isDeclaration(hit)) continue;
      table.set(`${outcome}|${hit.label}`, (table.get(`${outcome}|${hit.label}`) ?? 0) + 1);
    }
    const count = (outcome: Outcome, label: OscarLabel): number => table.get(`${outcome}|${label}`) ?? 0;
    const lines = [
      `| (declaration left out) | ${LABELS.join(' | ')} |`,
      `| --- | ${LABELS.map(() => '---:').join(' | ')} |`,
      ...OUTCOMES.map((outcome) => `| ${outcome} | ${LABELS.map((label) => count(outcome, label)).join(' | ')} |`),
    ];
    const targets = [...rows.values()].filter(({ hit }) => hit.label === 'target' && !isDeclaration(hit)).length;
    const found = count('certain', 'target') + count('possible', 'target');
    const certain = LABELS.reduce((sum, label) => sum + count('certain', label), 0);
    const recall = found / targets;
    const precision = certain === 0 ? 0 : count('certain', 'target') / certain;
    const certainShare = count('certain', 'target') / targets;
    const missed = [...rows.values()].filter(({ hit, outcome }) => hit.label === 'target' && !isDeclaration(hit) && (outcome === 'dropped' || outcome === 'not reported'));
    const wrong = [...rows.values()].filter(({ hit, outcome }) => hit.label !== 'target' && outcome === 'certain');
    console.log(
      [
        'oscar, target order.Line.quantity:',
        ...lines,
        `recall (certain + possible) ${found}/${targets} = ${(recall * 100).toFixed(1)}%`,
        `precision of certain ${count('certain', 'target')}/${certain} = ${(precision * 100).toFixed(1)}%`,
        `certain share of the true references ${count('certain', 'target')}/${targets} = ${(certainShare * 100).toFixed(1)}%`,
        ...missed.map(({ hit, outcome, reason }) => `  missed (${outcome}): ${key(hit)} ${hit.text} ${reason}`),
        ...wrong.map(({ hit, reason }) => `  certain but ${hit.label} (${hit.owner}): ${key(hit)} ${hit.text} ${reason}`),
      ].join('\n'),
    );
    expect(recall).toBeGreaterThanOrEqual(0.99);
    expect(precision).toBeGreaterThanOrEqual(0.95);
    expect(certainShare).toBeGreaterThanOrEqual(0.8);
  });
});
