/**
 * @fileoverview Ternary × int8 matrix-vector kernels in wasm, one thread: G weights/s for an
 * in-cache and an out-of-cache shape, beside a streaming roofline measured in the same run.
 *
 *   node dist/bench/wasm-kernels.js            (fixed SIMD; relaxed if the engine accepts it)
 *   node --experimental-wasm-relaxed-simd dist/bench/wasm-kernels.js   (Node 20: adds relaxed)
 *
 * Variants (runtime-wasm/assembly/bench.ts): LUT = the production kernel (TL1-style sum tables,
 * i8x16.swizzle, 16-row tiles taken two at a time so each table load serves 32 rows); LUT 16-row =
 * its first form, one tile per pass; DOT = 2-bit unpack + extend + i32x4.dot_i16x8_s on pre-widened
 * activations; SELECT = multiply-free sign select + extadd_pairwise. Every variant's output is
 * checked against a JS reference before it is timed. Writes bench/results/wasm-kernels.json.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { machine, timeIt } from './lib/machine.js';
import { packLut, packLutTiles } from '../compiler/backends/wasm/pack.js';

interface K {
  buildTables(tab: number, x: number, rows: number, k: number): void;
  matmulLut(out: number, tab: number, w: number, rows: number, k: number, n: number): void;
  matmulLut16(out: number, tab: number, w: number, k: number, n: number): void;
  matmulDot(out: number, a16: number, sumA: number, w: number, k: number, n: number): void;
  matmulSelect(out: number, a8: number, w: number, k: number, n: number): void;
  stream(p: number, bytes: number): number;
}

const dist = (f: string) => fileURLToPath(new URL(`../runtime-wasm/${f}`, import.meta.url));
const PAGE = 65536;
const ROUNDS = 5;

function instantiate(file: string, memory: WebAssembly.Memory): K | null {
  const bytes = readFileSync(dist(file));
  if (!WebAssembly.validate(bytes)) return null;
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory }, trit: { runJob() {} } }).exports as unknown as K;
}

function rand(seed: number) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

const SHAPES = [
  { name: 'in-cache', N: 512, K: 4096 },
  { name: 'out-of-cache (32 MiB of 2-bit weights)', N: 16384, K: 8192 },
];

const memory = new WebAssembly.Memory({ initial: (160 * 2 ** 20) / PAGE, maximum: (160 * 2 ** 20) / PAGE });
const fixed = instantiate('bench-kernels.wasm', memory)!;
const relaxed = instantiate('bench-kernels-relaxed.wasm', memory);
const u8 = () => new Uint8Array(memory.buffer);
const results: Record<string, unknown>[] = [];

for (const sh of SHAPES) {
  const { N, K } = sh;
  const r = rand(N + K);
  const W = Int8Array.from({ length: N * K }, () => {
    const u = r();
    return u < 1 / 3 ? -1 : u < 2 / 3 ? 0 : 1;
  });
  const A = Int8Array.from({ length: K }, () => Math.floor(r() * 256) - 128);
  // Memory plan: [1 MiB) activations, tables; then weights; then outputs.
  const X32 = 65536,
    A16 = X32 + K * 4,
    A8 = A16 + K * 2,
    TAB = 1 << 20,
    OUT = 2 << 20,
    WTS = 4 << 20;
  new Int32Array(memory.buffer, X32, K).set(A);
  new Int16Array(memory.buffer, A16, K).set(A);
  new Int8Array(memory.buffer, A8, K).set(A);
  let sumA = 0;
  for (const a of A) sumA += a;
  // JS reference.
  const ref = new Int32Array(N);
  for (let o = 0; o < N; o++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += W[o * K + k] * A[k];
    ref[o] = s;
  }
  const check = (label: string) => {
    const got = new Int32Array(memory.buffer, OUT, N);
    for (let o = 0; o < N; o++) if (got[o] !== ref[o]) throw new Error(`${label}: row ${o} is ${got[o]}, expected ${ref[o]}`);
    got.fill(0);
  };
  // 2-bit row-major codes for DOT/SELECT: block of 64 weights = 16 bytes, weight q·16+b at byte b bits 2q.
  const packRow = () => {
    const out = new Uint8Array((N * K) / 4);
    for (let o = 0; o < N; o++)
      for (let k = 0; k < K; k++) {
        const blk = Math.floor(k / 64),
          j = k % 64,
          q = Math.floor(j / 16),
          b = j % 16;
        out[o * (K / 4) + blk * 16 + b] |= (W[o * K + k] + 1) << (2 * q);
      }
    return out;
  };
  const weights = N * K;
  const row: Record<string, unknown> = { shape: sh.name, N, K, weightBytes2bit: weights / 4 };
  const lut = packLut(W, N, K);
  const variants: [string, K | null, () => void, Uint8Array][] = [
    ['LUT fixed (production)', fixed, () => fixed.matmulLut(OUT, TAB, WTS, 1, K, N), lut],
    ['LUT relaxed_swizzle', relaxed, () => relaxed!.matmulLut(OUT, TAB, WTS, 1, K, N), lut],
    ['LUT fixed, one 16-row tile per pass', fixed, () => fixed.matmulLut16(OUT, TAB, WTS, K, N), packLutTiles(W, N, K)],
  ];
  const rowPacked = packRow();
  variants.push(['DOT fixed (extend + dot_i16x8)', fixed, () => fixed.matmulDot(OUT, A16, sumA, WTS, K, N), rowPacked]);
  variants.push(['SELECT fixed (sign select + extadd)', fixed, () => fixed.matmulSelect(OUT, A8, WTS, K, N), rowPacked]);
  // Rounds interleave the variants so a noisy neighbour slows them alike; each round is a
  // median of 5 timings; the table reports the median round and the range.
  const rounds: Record<string, number[]> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [label, inst, fn, packed] of variants) {
      if (!inst) {
        row[label] = 'not available in this engine';
        continue;
      }
      u8().set(packed, WTS);
      inst.buildTables(TAB, X32, 1, K);
      fn();
      check(label);
      const t = timeIt(fn);
      (rounds[label] ??= []).push(weights / (t.msPerCall * 1e6));
    }
  }
  for (const [label, xs] of Object.entries(rounds)) {
    xs.sort((a, b) => a - b);
    row[label] = +xs[Math.floor(xs.length / 2)].toFixed(2);
    row[`${label} (range)`] = `${xs[0].toFixed(1)}–${xs[xs.length - 1].toFixed(1)}`;
  }
  const tb = timeIt(() => fixed.buildTables(TAB, X32, 1, K));
  row['LUT table build, µs per row'] = +(tb.msPerCall * 1000).toFixed(2);
  const bytes = weights / 4;
  const st = timeIt(() => {
    fixed.stream(WTS, bytes);
  });
  const gbs = bytes / (st.msPerCall * 1e6);
  row['stream roofline GB/s'] = +gbs.toFixed(1);
  row['roofline G weights/s at 2 bits'] = +(gbs * 4).toFixed(1);
  results.push(row);
}

const report = {
  machine: machine(),
  unit: `G weights/s, one thread; median of ${ROUNDS} interleaved rounds (each a median of 5 timings), with the range`,
  results,
};
mkdirSync(fileURLToPath(new URL('../../bench/results/', import.meta.url)), { recursive: true });
writeFileSync(fileURLToPath(new URL('../../bench/results/wasm-kernels.json', import.meta.url)), JSON.stringify(report, null, 2) + '\n');
console.log(`machine: ${report.machine.cpu}, ${report.machine.cores} cores, Node ${report.machine.node}`);
for (const r of results) {
  console.log(`\n${r.shape}: N=${r.N} K=${r.K}`);
  for (const [k, v] of Object.entries(r)) if (!['shape', 'N', 'K'].includes(k)) console.log(`  ${k.padEnd(40)} ${v}`);
}
