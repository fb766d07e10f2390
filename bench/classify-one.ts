/**
 * @fileoverview One classifier benchmark in its own process (so its peak memory is its own):
 *
 *   node dist/bench/classify-one.js <runtime> <model> <threads> <images> <mnist-dir>
 *     runtime: trit (model = .wasm) | ort-node | ort-web (model = the .onnx trit compiled)
 *
 * Classifies the first <images> MNIST test images one at a time (batch 1) and prints one JSON
 * line: images/s, the first image's latency (cold), CPU-seconds, accuracy and peak RSS.
 */
import { readFileSync } from 'node:fs';
import { TritSession } from '../runtime-wasm/host/session.js';
import { raplDomains, raplJoules, raplRead } from './lib/energy.js';

/** RAPL package counters when readable (measured energy of the timed part); none in most VMs. */
const rapl = raplDomains();
import { readMnistTest } from '../compiler/formats/idx.js';

const [runtime, model, threadsArg, countArg, mnistDir] = process.argv.slice(2);
const threads = Number(threadsArg ?? 1),
  count = Number(countArg ?? 1000);
const { images, labels } = readMnistTest(mnistDir, count);
const WARM = Math.min(16, images.length);
// As decode-one.ts: warm-up of at least TRIT_WARM_MS, timed part of at least TRIT_MIN_SECONDS
// (the images are cycled; accuracy counts the first pass).
const WARM_MS = Number(process.env.TRIT_WARM_MS ?? 0),
  MIN_MS = Number(process.env.TRIT_MIN_SECONDS ?? 0) * 1000;

type Classify = (img: Float32Array) => Promise<number> | number;

async function session(): Promise<{ classify: Classify; close: () => Promise<void> }> {
  if (runtime === 'trit') {
    const s = await TritSession.create(model, { threads });
    return { classify: (x) => s.classify(x).label, close: () => s.close() };
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const ort: any = runtime === 'ort-node' ? await import('onnxruntime-node') : await import('onnxruntime-web');
  if (runtime === 'ort-web') {
    ort.env.wasm.numThreads = threads;
    ort.env.wasm.simd = true;
  }
  const opts =
    runtime === 'ort-node'
      ? { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' }
      : { executionProviders: ['wasm'] };
  const sess = await ort.InferenceSession.create(runtime === 'ort-node' ? model : new Uint8Array(readFileSync(model)), opts);
  const input = sess.inputNames[0] as string,
    output = sess.outputNames[0] as string;
  return {
    classify: async (x) => {
      const o = await sess.run({ [input]: new ort.Tensor('float32', x, [1, x.length]) });
      const s = o[output].data as Float32Array;
      let best = 0;
      for (let i = 1; i < s.length; i++) if (s[i] > s[best]) best = i;
      return best;
    },
    close: async () => {
      await sess.release?.();
    },
  };
}

const t0 = performance.now();
const s = await session();
const loadMs = performance.now() - t0;
const xs = images.map((im) => Float32Array.from(im, (v) => v / 255));
const a = performance.now();
await s.classify(xs[0]);
const firstImageMs = performance.now() - a;
for (let i = 1; i < WARM || performance.now() - a < WARM_MS; i++) await s.classify(xs[i % xs.length]);
const cpu0 = process.cpuUsage();
const rapl0 = raplRead(rapl);
const t1 = performance.now();
let correct = 0,
  done = 0;
for (; done < xs.length || performance.now() - t1 < MIN_MS; done++) {
  const i = done % xs.length;
  if ((await s.classify(xs[i])) === labels[i] && done < xs.length) correct++;
}
const secs = (performance.now() - t1) / 1000;
const cpu = process.cpuUsage(cpu0);
const raplJ = rapl.length ? raplJoules(rapl, rapl0, raplRead(rapl)) : null;
await s.close();
process.stdout.write(
  JSON.stringify({
    runtime,
    model,
    threads,
    images: done,
    imagesPerSecond: +(done / secs).toFixed(2),
    accuracy: correct / xs.length,
    firstImageMs: +firstImageMs.toFixed(3),
    loadMs: +loadMs.toFixed(0),
    wallSeconds: +secs.toFixed(4),
    cpuSeconds: +((cpu.user + cpu.system) / 1e6).toFixed(4),
    raplJoules: raplJ,
    peakRssMiB: +(process.resourceUsage().maxRSS / 1024).toFixed(1),
  }) + '\n',
);
process.exit(0);
