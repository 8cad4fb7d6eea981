/**
 * Which files the scanner reads, and as what: Python modules, and templates by their extension and
 * by the folder they are loaded from.
 */
import { describe, expect, it } from 'vitest';
import { languageOf } from '../../../src/check/source-files.js';

describe('which files are read, and as what', () => {
  it.each([
    ['shop/views.py', 'python'],
    ['shop/templates/shop/order.html', 'template'],
    ['frontend/order.jinja2', 'template'],
    ['shop/templates/emails/shipped.txt', 'template'],
    ['shop/templates/sitemap.xml', 'template'],
    ['docs/notes.txt', null],
    ['requirements.txt', null],
    ['mail/shipped.txt', null],
    ['shop/static/app.js', null],
  ])('%s: %s', (path, language) => {
    expect(languageOf(path)).toBe(language);
  });

  it('a text file is a template in a folder the settings name (TEMPLATES DIRS), whatever that folder is called', () => {
    expect(languageOf('mail/shipped.txt', ['mail'])).toBe('template');
    expect(languageOf('mail/orders/shipped.email', ['mail'])).toBe('template');
    expect(languageOf('mailbox/shipped.txt', ['mail'])).toBeNull();
    expect(languageOf('mail/logo.png', ['mail'])).toBeNull();
  });
});
