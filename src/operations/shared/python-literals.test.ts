/** Python string literals as plans write them: the value survives exactly, in the quotes ruff keeps. */
import { describe, expect, it } from 'vitest';
import { pythonString } from './python-literals.js';

describe('Python string literals', () => {
  it('keep double quotes, and single ones where they avoid escaping, as ruff format does', () => {
    expect(pythonString('shop.customer')).toBe('"shop.customer"');
    expect(pythonString('say "hi"')).toBe(`'say "hi"'`);
    expect(pythonString(`it's "x"`)).toBe(`"it's \\"x\\""`);
  });

  it('hold exactly the value: backslashes and control characters escaped, a line break never a triple-quoted block', () => {
    expect(pythonString('a\\b')).toBe('"a\\\\b"');
    expect(pythonString('two\nlines\tand\r\u0001')).toBe('"two\\nlines\\tand\\r\\u0001"');
  });
});
