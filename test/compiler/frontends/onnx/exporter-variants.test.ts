/**
 * Real files come from different exporters: the same ternary layer spelled five ways must import as
 * a ternary matmul (0 weight multiplies) and match onnxruntime on the same file.
 */
import { describe, expect, it } from 'vitest';
import ort from 'onnxruntime-node';
import { compileOnnx } from '../../../../compiler/compile.js';
import { Interpreter } from '../../../../compiler/interp/interp.js';
import { rng } from '../../../../compiler/lower/calibrate.js';
import { FLOAT, GraphBuilder, INT8 } from '../../../../fixtures/onnx-builder.js';

const K = 24,
  N = 12;
const r = rng(9);
const T = Array.from({ length: K * N }, () => Math.floor(r() * 3) - 1); // [K, N] row-major
const TT = Array.from({ length: N * K }, (_, i) => T[(i % K) * N + Math.floor(i / K)]); // [N, K]
const C = 0.37;

/** Per-token int8 quantization of x (abs-max), spelled with Pow and ReduceSumSquare for variety. */
function quantized(b: GraphBuilder, x: string): { q: string; s: string } {
  const ms = b.op('Div', [b.op('ReduceSumSquare', [x], { axes: [-1], keepdims: 1 }), b.scalar(K)]);
  const y = b.op('Mul', [x, b.op('Pow', [b.op('Add', [ms, b.scalar(1e-6)]), b.scalar(-0.5)])]);
  const s = b.op('Div', [b.scalar(127), b.op('Max', [b.op('ReduceMax', [b.op('Abs', [y])], { axes: [-1], keepdims: 1 }), b.scalar(1e-5)])]);
  return { q: b.op('Clip', [b.op('Round', [b.op('Mul', [y, s])]), b.scalar(-128), b.scalar(127)]), s };
}

const VARIANTS: Record<string, (b: GraphBuilder, q: string, s: string) => string> = {
  'INT8 · Cast · Mul(scale)': (b, q, s) =>
    b.op('MatMul', [b.op('Div', [q, s]), b.op('Mul', [b.op('Cast', [b.init('W', [K, N], T, INT8)], { to: FLOAT }), b.scalar(C)])]),
  'FLOAT initializer {−c, 0, +c}': (b, q, s) =>
    b.op('MatMul', [
      b.op('Div', [q, s]),
      b.init(
        'W',
        [K, N],
        T.map((v) => v * C),
      ),
    ]),
  'DequantizeLinear(INT8, scale)': (b, q, s) =>
    b.op('MatMul', [b.op('Div', [q, s]), b.op('DequantizeLinear', [b.init('W', [K, N], T, INT8), b.scalar(C)])]),
  'Gemm(transB=1) on [N, K]': (b, q, s) =>
    b.op(
      'Gemm',
      [
        b.op('Div', [q, s]),
        b.init(
          'W',
          [N, K],
          TT.map((v) => v * C),
        ),
      ],
      { transB: 1 },
    ),
  'MatMulInteger on int8 activations': (b, q, s) => {
    const acc = b.op('MatMulInteger', [b.op('Cast', [q], { to: INT8 }), b.init('W', [K, N], T, INT8)]);
    return b.op('Div', [b.op('Mul', [b.op('Cast', [acc], { to: FLOAT }), b.scalar(C)]), s]);
  },
};

describe('the same ternary layer from different exporters', () => {
  for (const [name, spell] of Object.entries(VARIANTS)) {
    it(name, async () => {
      const b = new GraphBuilder(name);
      const x = b.input('x', [1, K]);
      const { q, s } = quantized(b, x);
      b.op('Identity', [spell(b, q, s)], {}, 'y');
      b.output('y', [1, N]);
      const bytes = b.encode();
      const c = compileOnnx(bytes, { file: `${name}.onnx` });
      expect(c.stats.weightMultiplies).toBe(0);
      expect(c.ir.nodes.filter((n) => n.op === 'ternary_matmul')).toHaveLength(1);
      const mm = c.ir.nodes.find((n) => n.op === 'ternary_matmul')!;
      const xType = c.ir.nodes.find((n) => n.out === mm.inputs[0])?.type;
      expect(xType?.dtype).toBe('i8'); // the matmul sums int8 activations
      const sess = await ort.InferenceSession.create(bytes);
      const it2 = new Interpreter(c.ir);
      let worst = 0;
      for (let k = 0; k < 50; k++) {
        const v = Float32Array.from({ length: K }, () => (r() - 0.5) * 4);
        const ref = (await sess.run({ x: new ort.Tensor('float32', v, [1, K]) })).y.data as Float32Array;
        const got = it2.run({ x: v }).outputs.y;
        let m = 0;
        for (let i = 0; i < N; i++) m = Math.max(m, Math.abs(ref[i]));
        for (let i = 0; i < N; i++) worst = Math.max(worst, Math.abs(ref[i] - got[i]) / m);
      }
      expect(worst).toBeLessThan(0.02);
    });
  }
});
