/** The backfill lab's pure parts (bench/stall/backfill-lab.ts): which arms a run measures, and its ratios. */
import { describe, expect, it } from 'vitest';
import { GENERATED_ARM, LAB_ARMS, labArms, labMarkdown, SINGLE_UPDATE, summarizeLab, type LabRun } from '../../../bench/stall/backfill-lab.js';
import { parseStallArgs } from '../../../bench/stall/options.js';

const run = (round: number, rowsPerSecond: number, maxLatencyMs: number | null): LabRun => ({
  round,
  rows: rowsPerSecond,
  seconds: 1,
  rowsPerSecond,
  maxLatencyMs,
  maxInsertMs: null,
  maxUpdateMs: null,
  steadyMaxLatencyMs: null,
  leftNull: 0,
  hotPercent: 0,
  heapGrowth: 2,
  detail: {},
  writeErrors: [],
  error: null,
  loadAverage: 1,
});

describe('the backfill lab', () => {
  it('always measures the single UPDATE, which every throughput is divided by', () => {
    expect(labArms(['ctid 20ms +load']).map((a) => a.id)).toEqual([SINGLE_UPDATE, 'ctid 20ms +load']);
    expect(labArms(['anchors']).map((a) => a.id)).toEqual([SINGLE_UPDATE, GENERATED_ARM, 'keyset +load', 'keyset']);
    expect(labArms(['all'])).toHaveLength(LAB_ARMS.length);
    expect(() => labArms(['ctid 7ms'])).toThrow(/no arm "ctid 7ms"/);
    expect(parseStallArgs(['--lab', 'anchors', '--lab', 'ctid 20ms +load']).lab).toEqual(['anchors', 'ctid 20ms +load']);
  });

  it('compares each run with the single UPDATE of its own round, and the slowest write with the baseline', () => {
    const arms = labArms(['ctid 20ms +load']);
    const runs = new Map([
      [SINGLE_UPDATE, [run(1, 100_000, null), run(2, 50_000, null)]],
      // Round 2 ran on a slower machine: its ratio is the same as round 1's.
      ['ctid 20ms +load', [run(1, 80_000, 30), run(2, 40_000, 50)]],
    ]);
    const lab = summarizeLab(arms, runs, 20, { template: 't', setSql: 's', whereSql: 'w' });
    expect(lab.arms[1]).toMatchObject({ throughputRatio: 0.8, maxLatencyMs: 40, latencyRatio: 2 });
    expect(labMarkdown(lab, 20)).toContain('| ctid 20ms +load | 40% | 60,000 | 0.8× | 40 | 2× |');
    expect(labMarkdown(lab, 20)).toMatch(/\| ctid 20ms \+load .*\| met \|/);
  });

  it('names the arms a cut-short run never reached instead of showing empty figures', () => {
    const lab = summarizeLab(labArms(['keyset']), new Map([[SINGLE_UPDATE, [run(1, 100_000, null)]]]), 20, { template: 't', setSql: 's', whereSql: 'w' });
    const table = labMarkdown(lab, 20);
    expect(table).toContain('Not run (the run was cut short): keyset.');
    expect(table).not.toContain('NaN');
  });
});
