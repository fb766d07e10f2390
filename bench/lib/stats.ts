/**
 * @fileoverview Summaries of repeated measurements and the unit conversions every table uses.
 * A figure in a report is always a `Summary` of its repeats (median, min, max, n), never one run
 * passed off as typical: this VM drifts ±20–30% between runs.
 */

/** Median, min and max of repeated measurements of one quantity. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
}

/** Summarises repeats; NaN and non-finite values are dropped (a failed repeat is not a zero). */
export function summarize(values: readonly number[]): Summary | null {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  const median = v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  return { median, min: v[0], max: v[v.length - 1], n: v.length };
}

/** Summary of a field over repeats (repeats missing the field are skipped). */
export function summarizeField<T>(repeats: readonly T[], pick: (r: T) => number | null | undefined): Summary | null {
  return summarize(repeats.map(pick).filter((x): x is number => typeof x === 'number'));
}

/** p-quantile (0..1) of values by the nearest-rank method, as the decode latencies use. */
export function quantile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const v = [...values].sort((a, b) => a - b);
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil(p * v.length) - 1))];
}

/** Rounds to `sig` significant digits (tables should not print 12 digits of noise). */
export function sig(x: number, digits = 3): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const e = Math.floor(Math.log10(Math.abs(x)));
  const f = 10 ** (digits - 1 - e);
  return Math.round(x * f) / f;
}

/** A number for a table: thousands separators above 1,000, `digits` significant digits below. */
export function fmt(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString('en-US');
  if (a === 0) return '0';
  if (a < 1e-3) return x.toExponential(digits - 1);
  return String(sig(x, digits));
}

/** "median (min–max)" for a summary, or the median alone when every repeat agrees. */
export function fmtSummary(s: Summary | null | undefined, digits = 3): string {
  if (!s) return '–';
  if (s.n === 1 || fmt(s.min, digits) === fmt(s.max, digits)) return fmt(s.median, digits);
  return `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;
}

/** Energy in joules as the most readable SI prefix: 1.2 mJ, 35 µJ, 4.1 nJ. */
export function fmtJoules(j: number | null | undefined, digits = 3): string {
  if (j === null || j === undefined || !Number.isFinite(j)) return '–';
  const units: [number, string][] = [
    [1, 'J'],
    [1e-3, 'mJ'],
    [1e-6, 'µJ'],
    [1e-9, 'nJ'],
    [1e-12, 'pJ'],
  ];
  for (const [scale, u] of units) if (Math.abs(j) >= scale) return `${fmt(j / scale, digits)} ${u}`;
  return `${fmt(j / 1e-12, digits)} pJ`;
}

/** Power in watts with an SI prefix: 2.3 W, 780 µW. */
export function fmtWatts(w: number | null | undefined, digits = 3): string {
  if (w === null || w === undefined || !Number.isFinite(w)) return '–';
  if (Math.abs(w) >= 1) return `${fmt(w, digits)} W`;
  if (Math.abs(w) >= 1e-3) return `${fmt(w * 1e3, digits)} mW`;
  return `${fmt(w * 1e6, digits)} µW`;
}
