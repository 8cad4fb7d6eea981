/**
 * The phase markers bg-scaffold stamps into a project (DESIGN §3), read back from source text:
 * - `# bg-scaffold: <change> <k>/<N> <note>` trailing a model line it edited;
 * - `# >>> bg-scaffold <change> <k>/<N> <role>` … `# <<< bg-scaffold <change> <k>/<N>` around code;
 * - `BG_SCAFFOLD = {"change": ..., "op": ..., "phase": k, "phases": N}` in a migration.
 * `# bg-scaffold: ignore` is not a marker: it silences the reference scanner on its line.
 */

export type MarkerKind = 'line' | 'block' | 'migration';

export interface Marker {
  kind: MarkerKind;
  change: string;
  phase: number;
  of: number;
  /** Relative posix path. */
  file: string;
  /** 1-based line of the marker (the opening line of a block, the `BG_SCAFFOLD =` line). */
  line: number;
  /** Last line of a block; the marker's line otherwise. */
  endLine: number;
  /** A block's role (`dual-write`), a line marker's note, a migration's op. */
  detail: string;
}

const LINE_MARKER = /#\s*bg-scaffold:\s+([a-z0-9][a-z0-9-]*)\s+(\d+)\/(\d+)\b[ \t]*(.*)$/;
const BLOCK_OPEN = /^[ \t]*#\s*>>>\s*bg-scaffold\s+(\S+)\s+(\d+)\/(\d+)\b[ \t]*(\S*)/;
const BLOCK_CLOSE = /^[ \t]*#\s*<<<\s*bg-scaffold\s+(\S+)\s+(\d+)\/(\d+)\b/;
const MIGRATION_CONSTANT = /^BG_SCAFFOLD\s*=\s*\{([^}]*)\}/m;

/** Every marker in a Python source. Cheap when the text does not mention bg-scaffold. */
export function findMarkers(file: string, source: string): Marker[] {
  if (!source.includes('bg-scaffold') && !source.includes('BG_SCAFFOLD')) return [];
  const markers: Marker[] = [];
  const lines = source.split('\n');
  const open: Marker[] = [];
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!;
    if (!text.includes('bg-scaffold')) continue;
    const opening = BLOCK_OPEN.exec(text);
    if (opening) {
      const marker: Marker = {
        kind: 'block',
        change: opening[1]!,
        phase: Number(opening[2]),
        of: Number(opening[3]),
        file,
        line: i + 1,
        endLine: i + 1,
        detail: opening[4] ?? '',
      };
      markers.push(marker);
      open.push(marker);
      continue;
    }
    const closing = BLOCK_CLOSE.exec(text);
    if (closing) {
      const index = open.findIndex((m) => m.change === closing[1] && m.phase === Number(closing[2]));
      if (index !== -1) open.splice(index, 1)[0]!.endLine = i + 1;
      continue;
    }
    const trailing = LINE_MARKER.exec(text);
    if (trailing && trailing[1] !== 'ignore') {
      markers.push({
        kind: 'line',
        change: trailing[1]!,
        phase: Number(trailing[2]),
        of: Number(trailing[3]),
        file,
        line: i + 1,
        endLine: i + 1,
        detail: (trailing[4] ?? '').trim(),
      });
    }
  }
  const migration = migrationMarker(file, source);
  if (migration) markers.push(migration);
  return markers;
}

/** The `BG_SCAFFOLD = {...}` constant of a migration, or null. */
export function migrationMarker(file: string, source: string): Marker | null {
  const match = MIGRATION_CONSTANT.exec(source);
  if (!match) return null;
  const body = match[1]!;
  const text = (key: string): string | null => new RegExp(`["']${key}["']\\s*:\\s*["']([^"']*)["']`).exec(body)?.[1] ?? null;
  const number = (key: string): number | null => {
    const value = new RegExp(`["']${key}["']\\s*:\\s*(\\d+)`).exec(body)?.[1];
    return value === undefined ? null : Number(value);
  };
  const change = text('change');
  const phase = number('phase');
  const of = number('phases');
  if (change === null || phase === null || of === null) return null;
  const line = source.slice(0, match.index).split('\n').length;
  return { kind: 'migration', change, phase, of, file, line, endLine: line, detail: text('op') ?? '' };
}
