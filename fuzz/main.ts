/**
 * @fileoverview `npm run fuzz`: the fuzz tier's explicit command. Generates cases per input format
 * (generators.ts), runs them under the watchdog (runner.ts) and writes a report: cases per format,
 * clean errors, accepted, and the three that must stay 0 — crashes, hangs, memory blow-ups — with
 * every failing case's id, so that `--only <id>` replays it.
 *
 *   node dist/fuzz/main.js [--cases 10000] [--formats onnx,wasm,...] [--seed 1] [--jobs 2]
 *                          [--timeout-ms 20000] [--memory-mib 1024] [--out fuzz-report.json]
 *
 * --memory-mib is what one case may add to its worker's resident memory.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { assets } from './assets.js';
import { FORMATS, generate, type Format } from './generators.js';
import { BAD, runCases, type Result } from './runner.js';
import { cpus } from 'node:os';

const { values: v } = parseArgs({
  options: {
    cases: { type: 'string', default: '200' },
    formats: { type: 'string', default: FORMATS.join(',') },
    seed: { type: 'string', default: '1' },
    jobs: { type: 'string', default: String(Math.min(2, cpus().length)) },
    'timeout-ms': { type: 'string', default: '20000' },
    'memory-mib': { type: 'string', default: '1024' },
    only: { type: 'string' },
    out: { type: 'string' },
  },
});

/** Counts per format and verdict, and the cases that failed. */
export function summarise(results: Result[]) {
  const per: Record<string, Record<string, number>> = {};
  for (const r of results) {
    per[r.format] ??= { cases: 0, clean: 0, accepted: 0, crash: 0, hang: 0, memory: 0, unclean: 0, 'mean ms': 0, 'max MiB': 0 };
    const p = per[r.format];
    p['mean ms'] = (p['mean ms'] * p.cases + r.ms) / (p.cases + 1);
    p.cases++;
    p[r.verdict]++;
    p['max MiB'] = Math.max(p['max MiB'], r.peakMiB);
  }
  for (const p of Object.values(per)) p['mean ms'] = Math.round(p['mean ms']);
  return { perFormat: per, failures: results.filter((r) => BAD.includes(r.verdict)) };
}

const a = await assets();
const seed = Number(v.seed);
const formats = v.formats!.split(',') as Format[];
const per = Number(v.cases);
const only = v.only?.split(',');
const cases = only
  ? only.map((id) => {
      const [f, s, i] = id.split(':');
      return generate(f as Format, Number(s), Number(i), a);
    })
  : { count: formats.length * per, make: (k: number) => generate(formats[Math.floor(k / per)], seed, k % per, a) };
const total = Array.isArray(cases) ? cases.length : cases.count;
const t0 = Date.now();
let done = 0;
const results = await runCases(cases, {
  jobs: Number(v.jobs),
  timeoutMs: Number(v['timeout-ms']),
  memoryMiB: Number(v['memory-mib']),
  onResult: (r) => {
    done++;
    if (BAD.includes(r.verdict)) process.stderr.write(`\n${r.verdict.toUpperCase()} ${r.id}: ${r.line}\n`);
    if (done % 50 === 0 || done === total) process.stderr.write(`\r${done}/${total} cases, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  },
});
process.stderr.write('\n');
const s = summarise(results);
const report = {
  command: `node dist/fuzz/main.js ${process.argv.slice(2).join(' ')}`.trim(),
  date: new Date().toISOString(),
  seed,
  limits: { timeoutMs: Number(v['timeout-ms']), memoryMiB: Number(v['memory-mib']) },
  seconds: (Date.now() - t0) / 1000,
  ...s,
  slowest: [...results].sort((x, y) => y.ms - x.ms).slice(0, 5),
  peakMiB: Math.max(...results.map((r) => r.peakMiB)),
};
if (v.out) writeFileSync(v.out, JSON.stringify(report, null, 2) + '\n');
console.table(s.perFormat);
process.exitCode = s.failures.length ? 1 : 0;
