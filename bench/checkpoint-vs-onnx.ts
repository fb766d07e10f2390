/**
 * @fileoverview A checkpoint directory read two ways — by trit's checkpoint frontend (weights
 * quantized at load) and through the ONNX the trainer exported from the same directory (weights
 * quantized by PyTorch) — compared matrix by matrix: ternary values and scales. For the big shapes,
 * where the test's step-by-step logits comparison (test/compiler/frontends/hf) would take long. Measured, not
 * asserted.
 *
 *   node dist/bench/checkpoint-vs-onnx.js <dir with model.onnx>
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openCheckpoint } from '../compiler/frontends/hf/checkpoint.js';
import { importHgrnBit } from '../compiler/frontends/hf/hgrn-bit.js';
import { nodeCheckpointIO } from '../compiler/frontends/hf/node-io.js';
import { importOnnx } from '../compiler/frontends/onnx/import.js';
import { canonicalize } from '../compiler/float/passes.js';

const dir = process.argv[2];
let t = Date.now();
const io = nodeCheckpointIO();
const hf = canonicalize(importHgrnBit(openCheckpoint(dir, io)).graph);
io.close();
const tHf = (Date.now() - t) / 1000;
t = Date.now();
const onnx = canonicalize(importOnnx(new Uint8Array(readFileSync(join(dir, 'model.onnx'))), { file: join(dir, 'model.onnx') }));
const tOnnx = (Date.now() - t) / 1000;
const ta = hf.nodes.filter((n) => n.op === 'ternary_matmul'),
  tb = onnx.nodes.filter((n) => n.op === 'ternary_matmul');
let weights = 0,
  differ = 0,
  scales = 0;
for (let i = 0; i < Math.min(ta.length, tb.length); i++) {
  const a = hf.consts.get(ta[i].inputs[1])!.data,
    b = onnx.consts.get(tb[i].inputs[1])!.data;
  weights += a.length;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) differ++;
  if (ta[i].attrs.scale !== tb[i].attrs.scale) scales++;
}
console.log(
  JSON.stringify({
    dir,
    matrices: [ta.length, tb.length],
    weights,
    weightsDiffering: differ,
    scalesDiffering: scales,
    importSeconds: { checkpoint: tHf, onnx: tOnnx },
  }),
);
