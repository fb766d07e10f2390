/**
 * @fileoverview A classifier's UP5K build checked on MNIST in simulation — the search's front-runners,
 * or any model — as the exactness tests check the shipped ones:
 *
 *   node dist/bench/up5k-mnist.js <model.onnx> [--images 1000]
 *
 * Compiles the model for the UP5K as `trit compile --device up5k` does (its calibration file beside
 * it), runs the first N MNIST test images through the core in Verilator and prints one JSON line:
 * images whose logits equal the interpreter's in every bit, accuracy in simulation and in the
 * interpreter, and the cycles per image.
 */
import { parseArgs } from 'node:util';
import { compileFile } from '../compiler/node.js';
import { readMnistTest } from '../compiler/formats/idx.js';
import { compileForDevice } from '../hdl-gen/src/build.js';
import { deviceByName } from '../hdl-gen/src/device.js';
import { mnistInSimulation } from '../fixtures/hdl-harness.js';
import { MNIST_DIR } from '../fixtures/mnist.js';

const { values, positionals } = parseArgs({ options: { images: { type: 'string' } }, allowPositionals: true });
const model = positionals[0];
if (!model) {
  process.stderr.write('usage: node dist/bench/up5k-mnist.js <model.onnx> [--images 1000]\n');
  process.exit(2);
}
const n = Number(values.images ?? 1000);
const c = compileForDevice((lower) => compileFile(model, undefined, lower, 'fpga'), deviceByName('up5k'));
const { images, labels } = readMnistTest(MNIST_DIR, n);
const r = await mnistInSimulation(c.ir, images, labels);
process.stdout.write(
  JSON.stringify({
    model,
    ...r,
    simulationAccuracy: r.hwRight / r.images,
    interpreterAccuracy: r.swRight / r.images,
    bitExact: r.exact === r.images,
  }) + '\n',
);
