/** @fileoverview What machine a benchmark ran on, recorded beside every figure. */
import { cpus, totalmem, platform, arch } from 'node:os';

export function machine() {
  const c = cpus();
  return {
    cpu: c[0]?.model ?? 'unknown',
    cores: c.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${platform()} ${arch()}`,
    node: process.version,
    v8: process.versions.v8,
    date: new Date().toISOString(),
  };
}

/** Median of repeated timings (ms) of fn, each repeated until it takes ≥ minMs. */
export function timeIt(fn: () => void, opts: { runs?: number; minMs?: number } = {}): { msPerCall: number; calls: number } {
  const runs = opts.runs ?? 5,
    minMs = opts.minMs ?? 200;
  fn(); // warm-up (and tier-up)
  let reps = 1;
  for (;;) {
    const t = performance.now();
    for (let i = 0; i < reps; i++) fn();
    if (performance.now() - t >= minMs / 4 || reps > 1e6) break;
    reps *= 2;
  }
  const per: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    for (let i = 0; i < reps; i++) fn();
    per.push((performance.now() - t) / reps);
  }
  per.sort((a, b) => a - b);
  return { msPerCall: per[Math.floor(runs / 2)], calls: reps * runs };
}
