/**
 * What a run measured, computed from pgbench's per-transaction log. Pure functions: times are
 * epoch microseconds, the clock of pgbench's log and of the migration's timeline.
 *
 * pgbench in open loop (-R) measures a transaction's latency from the moment it was SCHEDULED,
 * not from when a client got round to sending it: a write that had to wait behind a lock queue
 * counts the whole wait, as a user's request would (no coordinated omission).
 */

/** One transaction of the load: when it ended and how long it took from its scheduled start. */
export interface Transaction {
  endUs: number;
  latencyUs: number;
  /** pgbench's client number. */
  client?: number;
  /** A write that ended in an error; its latency is how long it waited before the error came. */
  failed?: boolean;
  /** pgbench's script number: 0 the insert, 1 the get-and-save (load.ts writes them in that order). */
  script?: number;
}

/** A span of time, e.g. from the migration's start to its end. */
export interface Span {
  startUs: number;
  endUs: number;
}

/** Throughput is counted in buckets of this length: a 300 ms stall shows as 0.3 s. */
export const BUCKET_US = 100_000;

/** Median of the values (the mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * The slowest transaction scheduled during the span. A write that arrives while a migration holds
 * or waits for a lock is scheduled in the span and counts its whole wait, even when it ends after
 * the span; one that was already running when the span began is not the migration's doing (it
 * is what the migration waits for). Zero when none was scheduled then.
 */
export function maxLatencyMs(transactions: readonly Transaction[], span: Span): number {
  let worst = 0;
  for (const t of transactions) {
    const scheduledUs = t.endUs - t.latencyUs;
    if (scheduledUs >= span.startUs && scheduledUs <= span.endUs) worst = Math.max(worst, t.latencyUs);
  }
  return worst / 1000;
}

/**
 * A client that pgbench ended on an error logs nothing for the write that failed, though it may
 * have waited seconds in a lock queue first. Each such write counts as a transaction that took
 * from the client's last logged end to the moment the error arrived: a lower bound of its wait.
 */
export function failedWrites(logged: readonly Transaction[], aborts: ReadonlyArray<{ client: number; atUs: number }>, startedUs: number): Transaction[] {
  const lastEnd = new Map<number, number>();
  for (const t of logged) if (t.client !== undefined) lastEnd.set(t.client, Math.max(lastEnd.get(t.client) ?? 0, t.endUs));
  return aborts.map(({ client, atUs }) => {
    const since = Math.min(atUs, lastEnd.get(client) ?? startedUs);
    return { client, endUs: atUs, latencyUs: atUs - since, failed: true };
  });
}

/** Transactions that ended in each bucket from `span.startUs` on (the last bucket may be partial). */
export function throughputBuckets(transactions: readonly Transaction[], span: Span, bucketUs = BUCKET_US): number[] {
  const count = Math.max(0, Math.ceil((span.endUs - span.startUs) / bucketUs));
  const buckets = new Array<number>(count).fill(0);
  for (const t of transactions) {
    if (t.failed || t.endUs < span.startUs || t.endUs >= span.endUs) continue;
    buckets[Math.floor((t.endUs - span.startUs) / bucketUs)]! += 1;
  }
  return buckets;
}

/**
 * Seconds of `window` in which fewer than half the steady state's median throughput completed.
 * `steady` is load without a migration (the run's first seconds); counted in 100 ms buckets.
 */
export function secondsBelowHalfThroughput(transactions: readonly Transaction[], steady: Span, window: Span, bucketUs = BUCKET_US): number {
  const typical = median(throughputBuckets(transactions, steady, bucketUs));
  if (!(typical > 0)) return 0;
  // Whole buckets only, starting at the window's start: a partial last bucket would look like a drop.
  const whole: Span = { startUs: window.startUs, endUs: window.startUs + Math.max(1, Math.ceil((window.endUs - window.startUs) / bucketUs)) * bucketUs };
  const low = throughputBuckets(transactions, whole, bucketUs).filter((n) => n < typical / 2).length;
  return round((low * bucketUs) / 1_000_000, 1);
}

/** Mean latency of the transactions that ended in the span, in ms. */
export function meanLatencyMs(transactions: readonly Transaction[], span: Span): number {
  let sum = 0;
  let n = 0;
  for (const t of transactions) {
    if (t.failed || t.endUs < span.startUs || t.endUs > span.endUs) continue;
    sum += t.latencyUs;
    n += 1;
  }
  return n === 0 ? Number.NaN : sum / n / 1000;
}

/**
 * Parses pgbench's per-transaction log (`--log`): `client_id transaction_no time script_no
 * time_epoch time_us [schedule_lag]`, where `time` is the latency in microseconds. Lines for
 * skipped or failed transactions (`skipped`, `failed`) have no latency and are left out.
 */
export function parsePgbenchLog(text: string): Transaction[] {
  const transactions: Transaction[] = [];
  for (const line of text.split('\n')) {
    const t = parsePgbenchLogLine(line);
    if (t) transactions.push(t);
  }
  return transactions;
}

/** One line of pgbench's per-transaction log; null for a line without a latency. */
export function parsePgbenchLogLine(line: string): Transaction | null {
  const fields = line.trim().split(/\s+/);
  if (fields.length < 6) return null;
  const latency = Number(fields[2]);
  const seconds = Number(fields[4]);
  const micros = Number(fields[5]);
  if (!Number.isFinite(latency) || !Number.isFinite(seconds) || !Number.isFinite(micros)) return null;
  return { endUs: seconds * 1_000_000 + micros, latencyUs: latency, client: Number(fields[0]), script: Number(fields[3]) };
}

export function round(value: number, digits: number): number {
  if (!Number.isFinite(value)) return value;
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
