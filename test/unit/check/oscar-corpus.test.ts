/**
 * The labelled django-oscar corpus (test/fixtures/oscar-quantity) is well-formed and matches the sdist
 * it was made from: every hit points at the word `quantity` in the pinned source, the hits are exactly
 * what the corpus's search finds there, and every hit carries one of the three labels with its reasons.
 * Nothing here runs bg-scaffold's own reference search: this only guards the corpus.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { OSCAR_SDIST_SHA256, OSCAR_VERSION, type OscarLabel, oscarSource, readOscarCorpus } from '../../support/oscar-sdist.js';


const LABELS: readonly OscarLabel[] = ['target', 'other', 'not-a-reference'];

/**
 * `quantity` as a whole word, where `__` also counts as a boundary (`quantity__sum`, `lines__quantity`):
 * the search the corpus's README describes.
 */
const WORD_SOURCE = String.raw`(?:(?<![A-Za-z0-9_])|(?<=__))quantity(?:(?![A-Za-z0-9_])|(?=__))`;

const corpus = readOscarCorpus();

let root: string;
const sources = new Map<string, string[]>();

function sourceLines(file: string): string[] {
  const lines = sources.get(file);
  if (!lines) throw new Error(`${file} was not read`);
  return lines;
}

/** Every .py, .html and .txt file under src/oscar, outside migrations/ folders, relative to the sdist root. */
async function searchedFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await fs.readdir(path.join(root, dir), { withFileTypes: true })) {
    const relative = `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (entry.name !== 'migrations') found.push(...(await searchedFiles(relative)));
    } else if (/\.(py|html|txt)$/.test(entry.name)) {
      found.push(relative);
    }
  }
  return found;
}

beforeAll(async () => {
  root = await oscarSource();
  for (const file of await searchedFiles('src/oscar')) {
    sources.set(file, (await fs.readFile(path.join(root, file), 'utf8')).split('\n'));
  }
});

describe('the django-oscar quantity corpus', () => {
  it('names the pinned sdist and the order line field as its target', () => {
    expect(corpus.source).toEqual({ package: 'django-oscar', version: OSCAR_VERSION, sha256: OSCAR_SDIST_SHA256 });
    expect(corpus.target).toEqual({ app: 'order', model: 'Line', field: 'quantity' });
  });

  it('labels at least 250 hits, each once, sorted by file, line and column', () => {
    expect(corpus.hits.length).toBeGreaterThanOrEqual(250);
    const keys = corpus.hits.map((hit) => `${hit.file}:${hit.line}:${hit.column}`);
    expect(new Set(keys).size).toBe(keys.length);
    const sorted = [...corpus.hits].sort(
      (a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.column - b.column,
    );
    expect(corpus.hits).toEqual(sorted);
  });

  it('gives every hit one of the three labels, an owner and a reason', () => {
    for (const hit of corpus.hits) {
      expect(LABELS, `${hit.file}:${hit.line}`).toContain(hit.label);
      expect(hit.owner.trim(), `${hit.file}:${hit.line} owner`).not.toBe('');
      expect(hit.why.trim(), `${hit.file}:${hit.line} why`).not.toBe('');
      if (hit.label === 'target') expect(hit.owner, `${hit.file}:${hit.line}`).toBe('order.Line');
    }
    for (const label of LABELS) {
      expect(corpus.hits.some((hit) => hit.label === label), label).toBe(true);
    }
  });

  it('points every hit at the word quantity on the quoted line of the sdist', () => {
    for (const hit of corpus.hits) {
      const where = `${hit.file}:${hit.line}:${hit.column}`;
      expect(sources.has(hit.file), where).toBe(true);
      const line = sourceLines(hit.file)[hit.line - 1];
      expect(line, where).toBeDefined();
      expect(line.trim(), where).toBe(hit.text);
      const at = hit.column - 1;
      expect(line.slice(at, at + 'quantity'.length), where).toBe('quantity');
      const word = new RegExp(WORD_SOURCE, 'y');
      word.lastIndex = at;
      expect(word.test(line), `${where}: not a whole word there`).toBe(true);
    }
  });

  it('holds every hit the search finds in src/oscar, and no other', () => {
    const found: string[] = [];
    for (const [file, lines] of sources) {
      lines.forEach((line, index) => {
        for (const match of line.matchAll(new RegExp(WORD_SOURCE, 'g'))) found.push(`${file}:${index + 1}:${match.index + 1}`);
      });
    }
    const labelled = corpus.hits.map((hit) => `${hit.file}:${hit.line}:${hit.column}`);
    expect([...labelled].sort()).toEqual(found.sort());
  });

  it('labels the field declaration in the order app\u2019s AbstractLine as the target', () => {
    const file = 'src/oscar/apps/order/abstract_models.py';
    const lines = sourceLines(file);
    const classLine = lines.findIndex((line) => line.startsWith('class AbstractLine('));
    const nextClass = lines.findIndex((line, index) => index > classLine && line.startsWith('class '));
    const declaration = lines.findIndex(
      (line, index) => index > classLine && index < nextClass && /^ {4}quantity = models\./.test(line),
    );
    expect(classLine).toBeGreaterThanOrEqual(0);
    expect(declaration).toBeGreaterThan(classLine);
    const hit = corpus.hits.find((candidate) => candidate.file === file && candidate.line === declaration + 1);
    expect(hit?.label).toBe('target');
  });
});
