/**
 * @fileoverview Big shapes: the linked .wasm against the IR interpreter, bit for bit, on a few
 * decode steps (the property tests cover small shapes; this covers K = 2816, N = 32000, 24 layers).
 *
 *   node --max-old-space-size=16000 dist/bench/big-exact.js <model.onnx> [steps]
 */
import { readFileSync } from 'node:fs';
import { compileOnnx } from '../compiler/compile.js';
import { Interpreter } from '../compiler/interp/interp.js';
import { linkWasm } from '../compiler/backends/wasm/link.js';
import { TritSession } from '../runtime-wasm/host/session.js';

const [file, stepsArg] = process.argv.slice(2);
const steps = Number(stepsArg ?? 3);
const b = readFileSync(file);
const { ir } = compileOnnx(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), { file });
const s = await TritSession.create(linkWasm(ir).bytes);
const interp = new Interpreter(ir);
let identical = 0;
for (let t = 0; t < steps; t++) {
  const id = (t * 7919) % 32000;
  const t0 = performance.now();
  const want = interp.run({ input_ids: [id] }).outputs.logits;
  const t1 = performance.now();
  const got = s.step(id);
  let same = want.length === got.length;
  for (let i = 0; i < want.length && same; i++) same = want[i] === got[i];
  if (same) identical++;
  console.log(`step ${t}: logits ${same ? 'identical' : 'DIFFER'} (interpreter ${((t1 - t0) / 1000).toFixed(1)} s)`);
}
console.log(JSON.stringify({ file, steps, identicalSteps: identical }));
await s.close();
process.exit(identical === steps ? 0 : 1);
