/**
 * @fileoverview Resident memory of a loaded model: the peak while loading and the steady state
 * after it (forced GC), for loading from a path (streamed) and from bytes.
 *
 *   node --expose-gc dist/bench/wasm-memory.js <model.wasm> [path|bytes]
 */
import { readFileSync } from 'node:fs';
import { TritSession } from '../runtime-wasm/host/session.js';

const [file, mode = 'path'] = process.argv.slice(2);
const base = process.memoryUsage().rss;
const s = mode === 'path' ? await TritSession.create(file) : await TritSession.create(new Uint8Array(readFileSync(file)));
s.reset();
s.run(Object.fromEntries(s.meta.inputs.map((i) => [i.name, new Array(i.shape.reduce((a, b) => a * b, 1)).fill(0)])));
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
await new Promise((r) => setTimeout(r, 200));
gc?.();
const mib = (b: number) => +(b / 2 ** 20).toFixed(0);
console.log(
  JSON.stringify({
    file,
    mode,
    wasmMemoryMiB: mib(s.memoryBytes),
    nodeBaselineMiB: mib(base),
    steadyRssMiB: mib(process.memoryUsage().rss),
    peakRssMiB: +(process.resourceUsage().maxRSS / 1024).toFixed(0),
    gcForced: !!gc,
  }),
);
await s.close();
