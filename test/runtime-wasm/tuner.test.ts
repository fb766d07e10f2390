/**
 * The thread tuner alone, on step times made up here: it keeps the count that is faster, drops to
 * one thread when a competitor makes two slower, comes back when the competitor leaves, and spends
 * few steps measuring the other count once its choice has settled.
 */
import { describe, expect, it } from 'vitest';
import { ThreadTuner } from '../../runtime-wasm/host/tuner.js';

/** Runs steps [from, to); `cost(n, step)` is the made-up time of a step on n threads. */
function drive(t: ThreadTuner, from: number, to: number, cost: (n: number, step: number) => number): number[] {
  const used: number[] = [];
  for (let s = from; s < to; s++) {
    const n = t.next();
    used.push(n);
    t.record(n, cost(n, s));
  }
  return used;
}
const share = (used: number[], n: number) => used.filter((x) => x === n).length / used.length;

describe('ThreadTuner', () => {
  it('keeps two threads while they are faster; once settled, measures one thread in ≤ 6 of 262 steps', () => {
    const t = new ThreadTuner(2);
    const used = drive(t, 0, 3000, (n) => (n === 2 ? 6 : 10));
    expect(t.current).toBe(2);
    expect(share(used.slice(1000), 1)).toBeLessThanOrEqual(6 / 262 + 0.01);
  });

  it('drops to one thread when two are slower (a busy core), and returns when they are faster again', () => {
    const t = new ThreadTuner(2);
    const busy = (n: number, s: number) => (s < 2000 ? (n === 2 ? 18 : 10) : n === 2 ? 6 : 10);
    const used = drive(t, 0, 2000, busy);
    expect(t.current).toBe(1);
    expect(share(used.slice(12), 2)).toBeLessThan(0.08); // after the first comparison
    const back = drive(t, 2000, 2400, busy);
    expect(t.current).toBe(2);
    expect(back.indexOf(2)).toBeLessThan(270); // found again within one settled run phase
  });

  it('a wrong first choice (the engine still compiling) is revisited within 16 steps', () => {
    const t = new ThreadTuner(2);
    // The first 12 steps are slow whatever the count; afterwards two threads are faster.
    const used = drive(t, 0, 60, (n, s) => (s < 12 ? (n === 2 ? 50 : 20) : n === 2 ? 6 : 10));
    expect(used.slice(12, 28)).toContain(1); // it chose one thread first…
    expect(t.current).toBe(2); // …and came back
  });

  it('prefers one thread when two win by less than the margin (a core for somebody else)', () => {
    const t = new ThreadTuner(2);
    drive(t, 0, 300, (n) => (n === 2 ? 9.8 : 10));
    expect(t.current).toBe(1);
  });

  it('a noisy step does not decide: the median does', () => {
    const t = new ThreadTuner(2);
    drive(t, 0, 500, (n, s) => (n === 2 ? (s % 6 === 3 ? 100 : 6) : 10));
    expect(t.current).toBe(2);
  });
});
