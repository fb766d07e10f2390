/**
 * @fileoverview Kernel throughput against a streaming roofline, with tinybench: the production
 * ternary×int8 matrix-vector kernel (runtime-wasm's LUT kernel, fixed SIMD, one thread) and a plain
 * v128 load+add stream over the same packed bytes, for an in-cache and an out-of-cache shape.
 * The kernel's output is checked against a JS reference before it is timed.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { packLut } from '../../compiler/backends/wasm/pack.js';
import { summarize, type Summary } from '../lib/stats.js';

interface Kernels {
  buildTables(tab: number, x: number, rows: number, k: number): void;
  matmulLut(out: number, tab: number, w: number, rows: number, k: number, n: number): void;
  stream(p: number, bytes: number): number;
}

export interface KernelResult {
  shape: string;
  N: number;
  K: number;
  weightBytes: number;
  /** G weights/s of the production kernel over tinybench's samples. */
  gWeightsPerSec: Summary;
  /** GB/s of the stream over the same bytes, and the G weights/s that is at 2 bits/weight. */
  streamGBps: Summary;
  rooflineGWeightsPerSec: number;
  /** Kernel ÷ roofline. */
  fractionOfRoofline: number;
  samples: { kernel: number; stream: number };
}

const PAGE = 65536;

export async function kernelBench(quick: boolean, log: (s: string) => void): Promise<KernelResult[]> {
  const bytes = readFileSync(fileURLToPath(new URL('../../runtime-wasm/bench-kernels.wasm', import.meta.url)));
  const memory = new WebAssembly.Memory({ initial: (160 * 2 ** 20) / PAGE, maximum: (160 * 2 ** 20) / PAGE });
  const k = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory }, trit: { runJob() {} } }).exports as unknown as Kernels;
  const shapes = [
    { shape: 'in cache (N 512, K 4096: 512 KiB)', N: 512, K: 4096 },
    { shape: 'out of cache (N 16384, K 8192: 32 MiB)', N: 16384, K: 8192 },
  ];
  const out: KernelResult[] = [];
  for (const { shape, N, K } of shapes) {
    let s = (N * 31 + K) >>> 0;
    const r = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    const W = Int8Array.from({ length: N * K }, () => {
      const u = r();
      return u < 1 / 3 ? -1 : u < 2 / 3 ? 0 : 1;
    });
    const A = Int32Array.from({ length: K }, () => Math.floor(r() * 256) - 128);
    const X32 = 65536,
      TAB = 1 << 20,
      OUT = 2 << 20,
      WTS = 4 << 20;
    new Int32Array(memory.buffer, X32, K).set(A);
    new Uint8Array(memory.buffer).set(packLut(W, N, K), WTS);
    k.buildTables(TAB, X32, 1, K);
    k.matmulLut(OUT, TAB, WTS, 1, K, N);
    const got = new Int32Array(memory.buffer, OUT, N);
    for (let o = 0; o < N; o++) {
      let acc = 0;
      for (let j = 0; j < K; j++) acc += W[o * K + j] * A[j];
      if (got[o] !== acc)
        throw new Error(`kernel benchmark: row ${o} is ${got[o]}, expected ${acc} (the kernel build is wrong; rebuild with npm run build)`);
    }
    const weightBytes = (N * K) / 4;
    const bench = new Bench({ time: quick ? 150 : 1500, warmupTime: quick ? 30 : 200 });
    bench.add('kernel', () => k.matmulLut(OUT, TAB, WTS, 1, K, N));
    bench.add('stream', () => {
      k.stream(WTS, weightBytes);
    });
    await bench.run();
    const samples = (name: string) => bench.tasks.find((t) => t.name === name)!.result!.samples;
    const kern = summarize(samples('kernel').map((ms) => (N * K) / (ms * 1e6)))!;
    const stream = summarize(samples('stream').map((ms) => weightBytes / (ms * 1e6)))!;
    const roof = stream.median * 4;
    out.push({
      shape,
      N,
      K,
      weightBytes,
      gWeightsPerSec: kern,
      streamGBps: stream,
      rooflineGWeightsPerSec: roof,
      fractionOfRoofline: kern.median / roof,
      samples: { kernel: samples('kernel').length, stream: samples('stream').length },
    });
    log(`  kernel ${shape}: ${kern.median.toFixed(1)} G weights/s, stream ${stream.median.toFixed(1)} GB/s`);
  }
  return out;
}
