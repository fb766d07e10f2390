/**
 * @fileoverview One decode benchmark in its own process (so its peak memory is its own):
 *
 *   node dist/bench/decode-one.js <runtime> <model> <threads> <steps>
 *     runtime: trit (model = .wasm) | ort-node | ort-web (model = .onnx, the same file trit compiled)
 *
 * Feeds a fixed token sequence one step at a time (batch 1, the recurrent state carried) and
 * prints one JSON line: tokens/s, per-step latency (median, p90), the first step's latency (cold:
 * straight after the session is created), CPU-seconds of the timed steps (process.cpuUsage, all
 * threads of the process) and peak resident memory.
 */
import { readFileSync } from 'node:fs';
import { TritSession } from '../runtime-wasm/host/session.js';
import { raplDomains, raplJoules, raplRead } from './lib/energy.js';
import { quantile } from './lib/stats.js';

/** RAPL package counters when readable (measured energy of the timed part); none in most VMs. */
const rapl = raplDomains();

const [runtime, model, threadsArg, stepsArg] = process.argv.slice(2);
const threads = Number(threadsArg ?? 1),
  steps = Number(stepsArg ?? 64);
// Warm-up: at least WARM steps and TRIT_WARM_MS (the engine tiers wasm up in background threads,
// whose CPU time would otherwise land in the timed part); timed: at least `steps` steps and
// TRIT_MIN_SECONDS, so a fast model's CPU-seconds are not dominated by one-off work.
const WARM = Math.min(8, Math.max(2, steps >> 3));
const WARM_MS = Number(process.env.TRIT_WARM_MS ?? 0),
  MIN_MS = Number(process.env.TRIT_MIN_SECONDS ?? 0) * 1000;

/** A fixed pseudo-random token sequence (the same for every runtime). */
function tokenStream(V: number): () => number {
  let s = 12345;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) % V;
}

let cpu0: NodeJS.CpuUsage | undefined;
let rapl0: number[] = [];
let warm = 0;

/** Runs `step` through the warm-up and the timed part; returns every step's latency (ms). */
async function timedLoop(V: number, step: (token: number) => unknown): Promise<number[]> {
  const next = tokenStream(V),
    lat: number[] = [];
  const t0 = performance.now();
  let timed0 = -1;
  for (let i = 0; ; i++) {
    if (timed0 < 0 && i >= WARM && performance.now() - t0 >= WARM_MS) {
      warm = i;
      cpu0 = process.cpuUsage();
      rapl0 = raplRead(rapl);
      timed0 = performance.now();
    }
    if (timed0 >= 0 && i - warm >= steps && performance.now() - timed0 >= MIN_MS) return lat;
    const a = performance.now();
    const r = step(next());
    if (r instanceof Promise) await r; // onnxruntime; trit's step is synchronous
    lat.push(performance.now() - a);
  }
}

function summary(lat: number[], extra: Record<string, unknown>) {
  const cpu = process.cpuUsage(cpu0);
  const raplJ = rapl.length ? raplJoules(rapl, rapl0, raplRead(rapl)) : null;
  const t = lat.slice(warm);
  const total = t.reduce((a, b) => a + b, 0);
  return {
    runtime,
    model,
    threads,
    steps: t.length,
    tokensPerSecond: +((t.length * 1000) / total).toFixed(2),
    msPerTokenMedian: +quantile(t, 0.5).toFixed(3),
    msPerTokenP90: +quantile(t, 0.9).toFixed(3),
    firstTokenMs: +lat[0].toFixed(3),
    wallSeconds: +(total / 1000).toFixed(4),
    cpuSeconds: +((cpu.user + cpu.system) / 1e6).toFixed(4),
    raplJoules: raplJ,
    peakRssMiB: +(process.resourceUsage().maxRSS / 1024).toFixed(1),
    ...extra,
  };
}

async function trit() {
  const t0 = performance.now();
  // trit-fixed: every step on every thread (the session's default picks 1 or all by measuring).
  const s = await TritSession.create(model, { threads, adaptiveThreads: runtime !== 'trit-fixed' });
  const load = performance.now() - t0;
  const V = s.meta.outputs.find((o) => o.name === s.meta.primary)!.shape.at(-1)!;
  const lat = await timedLoop(V, (t) => s.step(t));
  const r = summary(lat, {
    loadMs: +load.toFixed(0),
    threadsUsed: s.threads,
    threadsInUseAtEnd: s.threadsInUse,
    wasmMemoryMiB: +(s.memoryBytes / 2 ** 20).toFixed(1),
  });
  await s.close();
  return r;
}

async function ort(kind: 'ort-node' | 'ort-web') {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const ortm: any = kind === 'ort-node' ? await import('onnxruntime-node') : await import('onnxruntime-web');
  if (kind === 'ort-web') {
    ortm.env.wasm.numThreads = threads;
    ortm.env.wasm.simd = true;
  }
  const t0 = performance.now();
  const opts =
    kind === 'ort-node'
      ? { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' }
      : { executionProviders: ['wasm'], graphOptimizationLevel: process.env.TRIT_ORT_OPT ?? 'all' };
  const sess = await ortm.InferenceSession.create(kind === 'ort-node' ? model : new Uint8Array(readFileSync(model)), opts);
  const load = performance.now() - t0;
  const meta = sess.inputNames as string[];
  const idName = meta.find((n: string) => n.includes('input_ids')) ?? meta[0];
  const stateNames = meta.filter((n: string) => n !== idName);
  // State shapes from a first run with zero states of the shapes the outputs report.
  let state: Record<string, unknown> = {};
  const dims = (n: string) => (sess.inputMetadata?.find?.((m: { name: string }) => m.name === n)?.shape ?? null) as number[] | null;
  for (const n of stateNames) {
    const d = (dims(n) ?? [1, 0]).map((x: number | string) => (typeof x === 'number' && x > 0 ? x : 1));
    state[n] = new ortm.Tensor('float32', new Float32Array(d.reduce((a: number, b: number) => a * b, 1)), d);
  }
  const V = Number(process.env.TRIT_VOCAB ?? 256);
  const lat = await timedLoop(V, async (t) => {
    const o = await sess.run({ [idName]: new ortm.Tensor('int64', BigInt64Array.of(BigInt(t)), [1]), ...state });
    const next: Record<string, unknown> = {};
    for (const n of stateNames) next[n] = o[`new_${n}`] ?? o[`${n}_out`];
    state = next;
  });
  return summary(lat, { loadMs: +load.toFixed(0) });
}

const result = runtime === 'trit' || runtime === 'trit-fixed' ? await trit() : await ort(runtime as 'ort-node' | 'ort-web');
process.stdout.write(JSON.stringify(result) + '\n');
process.exit(0);
