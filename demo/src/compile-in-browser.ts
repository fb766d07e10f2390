/**
 * @fileoverview Compiling a dropped ONNX model in the page: the same pipeline as
 * `trit compile --target wasm` (compiler/compile.ts → backends/wasm/link.ts), which uses no Node
 * built-in on this path. Calibration uses the seeded random inputs (there is no golden file).
 */
import { compileOnnx } from '../../compiler/compile.js';
import { linkWasm } from '../../compiler/backends/wasm/link.js';
import { setKernelBytes } from './kernels-browser.js';
import { TritError } from '../../common/errors.js';

export async function compileToWasm(
  onnx: Uint8Array,
  name: string,
  vocab: string[] | undefined,
  onProgress: (stage: string, done: number, total: number) => void,
): Promise<{ wasm: Uint8Array; seconds: number; summary: string[] }> {
  const t0 = performance.now();
  const url = new URL('../kernels.wasm', import.meta.url);
  const r = await fetch(url);
  if (!r.ok)
    throw new TritError(`cannot fetch the wasm kernels (HTTP ${r.status})`, { file: url.pathname }, 'rebuild the demo site with `npm run demo`');
  setKernelBytes('fixed', new Uint8Array(await r.arrayBuffer()));
  const c = compileOnnx(onnx, { file: name, onProgress });
  const linked = linkWasm(c.ir, { vocab, onProgress });
  const s = c.stats;
  return {
    wasm: linked.bytes,
    seconds: (performance.now() - t0) / 1000,
    summary: [
      `${c.ir.nodes.length} IR nodes, ${s.ternaryWeights.toLocaleString('en-US')} ternary weights`,
      `per step: ${s.weightAdds.toLocaleString('en-US')} weight adds/subs, ${s.weightMultiplies} weight multiplies`,
      `.wasm: ${(linked.bytes.length / 1024).toFixed(0)} KiB, ${(linked.meta.pages / 16).toFixed(2)} MiB of memory`,
    ],
  };
}
