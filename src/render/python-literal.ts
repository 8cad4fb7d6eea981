/** JavaScript values as Python source literals for the templates (`{{py}}`), quoted the way `ruff format` keeps them. */
import { pythonString } from '../operations/shared/python-literals.js';

/** Multi-line SQL reads best as a triple-quoted block (SQL ignores the line breaks it adds at either end). */
function pythonBlock(text: string): string {
  return `"""\n${text.replace(/\\/g, '\\\\').replace(/"""/g, '\\"\\"\\"')}\n"""`;
}

export function pythonLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot write ${value} as a Python literal`);
    // Underscores for readability, as a person writes 10_000.
    return Number.isInteger(value) && Math.abs(value) >= 10_000 ? value.toLocaleString('en-US').replace(/,/g, '_') : String(value);
  }
  if (typeof value === 'string') return value.includes('\n') ? pythonBlock(value) : pythonString(value);
  if (Array.isArray(value)) return `[${value.map(pythonLiteral).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${pythonLiteral(k)}: ${pythonLiteral(v)}`);
    return `{${entries.join(', ')}}`;
  }
  throw new Error(`cannot write a ${typeof value} as a Python literal`);
}
