/** JavaScript values as Python source literals, quoted the way `ruff format` keeps them. */

export function pythonString(text: string): string {
  if (text.includes('\n')) {
    // Multi-line SQL reads best as a triple-quoted block.
    return `"""\n${text.replace(/\\/g, '\\\\').replace(/"""/g, '\\"\\"\\"')}\n"""`;
  }
  const escaped = text.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\r/g, '\\r');
  // Ruff prefers double quotes but keeps single quotes when they avoid escaping.
  if (escaped.includes('"') && !escaped.includes("'")) return `'${escaped}'`;
  return `"${escaped.replace(/"/g, '\\"')}"`;
}

export function pythonLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot write ${value} as a Python literal`);
    // Underscores for readability, as a person writes 10_000.
    return Number.isInteger(value) && Math.abs(value) >= 10_000 ? value.toLocaleString('en-US').replace(/,/g, '_') : String(value);
  }
  if (typeof value === 'string') return pythonString(value);
  if (Array.isArray(value)) return `[${value.map(pythonLiteral).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${pythonString(k)}: ${pythonLiteral(v)}`);
    return `{${entries.join(', ')}}`;
  }
  throw new Error(`cannot write a ${typeof value} as a Python literal`);
}
