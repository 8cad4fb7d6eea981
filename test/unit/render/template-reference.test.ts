/**
 * docs/templates.md is generated from the TypeScript types (scripts/template-reference.ts), so it
 * cannot drift from what the templates receive: this test regenerates it and compares.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { describe, expect, it } from 'vitest';
import { generateTemplateReference, REFERENCE_PATH, rootVariables } from '../../../scripts/template-reference.js';
import { builtinPack, templateNames } from '../../../src/render/pack.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

describe('the template reference for pack authors', () => {
  const generated = generateTemplateReference(repo);

  it('docs/templates.md is up to date with the types (regenerate it with `npm run docs:templates`)', () => {
    expect(generated === readFileSync(join(repo, REFERENCE_PATH), 'utf8'), 'docs/templates.md is stale: run npm run docs:templates').toBe(true);
  }, 60_000);

  it('documents every template of the built-in pack', () => {
    for (const name of templateNames(builtinPack())) expect(generated).toContain(`### \`${name}\``);
  });

  it('documents the template API version and every helper', () => {
    expect(generated).toContain('Template API version **1**');
    for (const helper of ['py', 'comment', 'headerComment', 'join', 'eq', 'and', 'sql']) expect(generated).toMatch(new RegExp(`\\| \`${helper}\` \\|`));
  });
});

describe('the variables a template reads', () => {
  const read = (source: string) => [...rootVariables(Handlebars.parse(source))].sort();

  it('are the heads of the paths in its own context, inside if/unless and as helper arguments', () => {
    expect(read('{{plan.change}} {{#if phase.risks}}{{py marker}}{{/if}} {{headerComment (concat "x" migration.why)}}')).toEqual(['marker', 'migration', 'phase', 'plan']);
  });

  it('leave out what each/with blocks read (another context), data variables and helpers', () => {
    expect(read('{{#each operations}}{{comment this.comment}}{{@index}}{{/each}}{{#with plan}}{{change}}{{/with}}{{toolVersion}}')).toEqual(['operations', 'plan', 'toolVersion']);
  });

  it('include the context and the computed name of a partial', () => {
    expect(read('{{> (lookup operation "partial") operation}}')).toEqual(['operation']);
  });
});
