/** One Django-version check for every plan that depends on what the project's Django allows. */
import { describe, expect, it } from 'vitest';
import { djangoAtLeast, supportsDbDefault } from './django-version.js';

describe('Django versions', () => {
  it('db_default from Django 5.0; an unknown version is taken as current', () => {
    expect(supportsDbDefault('4.2')).toBe(false);
    expect(supportsDbDefault('5.0')).toBe(true);
    expect(supportsDbDefault('6.0')).toBe(true);
    expect(supportsDbDefault(null)).toBe(true);
    expect(djangoAtLeast('5.1', '5.2')).toBe(false);
    expect(djangoAtLeast('5.2', '5.2')).toBe(true);
  });
});
