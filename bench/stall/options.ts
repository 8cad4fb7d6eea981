/** The write-stall benchmark's settings: the method's defaults, quick mode, and the command line. */

export type Protocol = 'prepared' | 'extended' | 'simple';

export interface StallOptions {
  /** Orders in shop_order before the load starts. */
  rows: number;
  quick: boolean;
  /** Runs per scenario; the report gives the median of their maxima. */
  runs: number;
  /** Substrings of scenario ids (`rename-column/trigger 1/2`, `remove-column naive +reader`); none: all. */
  only: string[];
  /** Also run every scenario while a reader holds shop_order (the lock-queue case). */
  lockQueue: boolean;
  /** Measure the sync trigger's write overhead. */
  triggerOverhead: boolean;
  clients: number;
  threads: number;
  /**
   * pgbench's query protocol. `prepared` (the method's default) keeps a server-side plan per
   * statement; Django prepares nothing by default (psycopg 3: client-side binding over the simple
   * protocol, prepare_threshold None; psycopg2: simple protocol), which only matters when a
   * column's type changes under a prepared SELECT ("cached plan must not change result type").
   */
  protocol: Protocol;
  /** The open-loop rate as a share of the maximum throughput measured first. */
  rateShare: number;
  /** Load before the migration starts: the run's steady state. */
  preSeconds: number;
  /** Load after the migration ends: the backlog of a stall drains. */
  tailSeconds: number;
  /** Length of each baseline run (load, no migration). */
  baselineSeconds: number;
  /** Closed-loop run that finds the maximum throughput. */
  maxTpsSeconds: number;
  /** Each run of the trigger-overhead comparison. */
  overheadSeconds: number;
  /** How long the lock-queue reader holds the table. */
  readerSeconds: number;
  /** Passed to bg-scaffold when set; otherwise its defaults (what users get). */
  lockTimeout?: string;
  lockRetries?: number;
  batchSize?: number;
  /** Where the JSON report goes. */
  out?: string;
  /**
   * The backfill lab's arms (`all`, `anchors`, or arm ids of bench/stall/backfill-lab.ts): when
   * set, the run measures only add-column's backfill phase, beside its anchors and prototypes.
   */
  lab: string[];
}

export function defaultOptions(quick: boolean): StallOptions {
  return {
    rows: quick ? 100_000 : 10_000_000,
    quick,
    runs: 3,
    only: [],
    lockQueue: true,
    triggerOverhead: true,
    clients: 8,
    threads: 2,
    protocol: 'prepared',
    rateShare: 0.4,
    preSeconds: quick ? 2 : 5,
    tailSeconds: quick ? 1 : 3,
    baselineSeconds: quick ? 5 : 30,
    maxTpsSeconds: quick ? 3 : 10,
    overheadSeconds: quick ? 3 : 10,
    readerSeconds: 6,
    lab: [],
  };
}

export const USAGE = `npm run bench:stall -- [options]

  --quick              100,000 rows and short windows (what npm test runs, with fewer scenarios)
  --rows N             orders in shop_order (default 10,000,000; --quick 100,000)
  --runs N             runs per scenario, median of their maxima (default 3)
  --only TEXT          only scenarios whose id contains TEXT (repeatable), e.g. "trigger 1/2", naive
  --no-lock-queue      skip the lock-queue runs (a 6 s reader holding shop_order)
  --no-trigger-overhead
  --clients N          pgbench clients (default 8)
  --protocol P         pgbench -M: prepared (default), extended, or simple (what Django sends
                       by default: it prepares nothing server-side)
  --rate-share X       open-loop rate as a share of the maximum throughput (default 0.4)
  --lock-timeout T, --lock-retries N, --batch-size N
                       passed to bg-scaffold (default: its own defaults, 1s and 10 tries)
  --out FILE           the JSON report (default .cache/bench/stall-<rows>.json)
  --lab ARM            the backfill lab (issue 20), repeatable: only add-column's backfill phase,
                       beside the single UPDATE and other arms on the same table, rounds
                       alternating the arms (--runs rounds): all, anchors, or an arm's id
                       (bench/stall/backfill-lab.ts)`;

/** Parses the command line; throws with a one-line message on a bad option. */
export function parseStallArgs(argv: readonly string[]): StallOptions {
  const options = defaultOptions(argv.includes('--quick'));
  const args = [...argv];
  const value = (flag: string) => {
    const v = args.shift();
    if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value`);
    return v;
  };
  const count = (flag: string) => {
    const v = value(flag).replace(/[_,]/g, '');
    if (!/^[1-9]\d*$/.test(v)) throw new Error(`${flag} must be a whole number of at least 1`);
    return Number(v);
  };
  while (args.length > 0) {
    const flag = args.shift()!;
    switch (flag) {
      case '--quick':
        break;
      case '--rows':
        options.rows = count(flag);
        break;
      case '--runs':
        options.runs = count(flag);
        break;
      case '--only':
        options.only.push(value(flag));
        break;
      case '--no-lock-queue':
        options.lockQueue = false;
        break;
      case '--no-trigger-overhead':
        options.triggerOverhead = false;
        break;
      case '--clients':
        options.clients = count(flag);
        break;
      case '--protocol': {
        const protocol = value(flag);
        if (protocol !== 'prepared' && protocol !== 'extended' && protocol !== 'simple') throw new Error('--protocol must be prepared, extended or simple');
        options.protocol = protocol;
        break;
      }
      case '--rate-share': {
        const share = Number(value(flag));
        if (!(share > 0 && share <= 1)) throw new Error('--rate-share must be above 0 and at most 1');
        options.rateShare = share;
        break;
      }
      case '--lock-timeout':
        options.lockTimeout = value(flag);
        break;
      case '--lock-retries':
        options.lockRetries = count(flag);
        break;
      case '--batch-size':
        options.batchSize = count(flag);
        break;
      case '--out':
        options.out = value(flag);
        break;
      case '--lab':
        options.lab.push(value(flag));
        break;
      default:
        throw new Error(`unknown option ${flag}`);
    }
  }
  return options;
}
