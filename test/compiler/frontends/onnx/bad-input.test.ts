/**
 * Bad input gets a TritError naming the file, node or tensor — never a stack trace, a hang or an
 * allocation of what a corrupt header claims.
 */
import { describe, expect, it } from 'vitest';
import { compileOnnx } from '../../../../compiler/compile.js';
import { TritError } from '../../../../common/errors.js';
import { Interpreter } from '../../../../compiler/interp/interp.js';
import { rng } from '../../../../compiler/lower/calibrate.js';
import { buildMatmulFreeLM } from '../../../../fixtures/models.js';
import { FLOAT, GraphBuilder, INT8 } from '../../../../fixtures/onnx-builder.js';

const compile = (bytes: Uint8Array) => compileOnnx(bytes, { file: 'bad.onnx', calibrationSteps: 4 });
const tritError = (f: () => unknown): TritError => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TritError);
    return e as TritError;
  }
  throw new Error('expected a TritError');
};

/** A one-layer ternary model: x[1,8] → MatMul(W ternary) → y. */
function linear(mutate: (b: GraphBuilder) => void = () => {}, w = Array.from({ length: 64 }, (_, i) => (i % 3) - 1)): GraphBuilder {
  const b = new GraphBuilder('lin');
  const x = b.input('x', [1, 8]);
  const W = b.op('Cast', [b.init('W', [8, 8], w, INT8)], { to: FLOAT });
  b.op('MatMul', [x, W], {}, 'y');
  b.output('y', [1, 8]);
  mutate(b);
  return b;
}

describe('bad ONNX input', () => {
  const good = buildMatmulFreeLM({ vocab: 16, d: 8, layers: 1, inter: 16, seed: 1 });

  it('the unmutated fixtures compile', () => {
    expect(() => compile(good)).not.toThrow();
    expect(() => compile(linear().encode())).not.toThrow();
  });

  it('empty and garbage files', () => {
    expect(tritError(() => compile(new Uint8Array(0))).message).toMatch(/bad.onnx: the file is empty/);
    expect(tritError(() => compile(new TextEncoder().encode('hello, I am not a model'))).message).toMatch(
      /bad.onnx: not (a valid ONNX file|an ONNX model)/,
    );
  });

  it('truncated files', () => {
    for (const cut of [1, 10, 100, good.length >> 1, good.length - 3]) {
      expect(tritError(() => compile(good.subarray(0, cut))).message).toMatch(/bad.onnx/);
    }
  });

  it('wrong opset', () => {
    const m = linear().encode(7);
    expect(tritError(() => compile(m)).message).toMatch(/opset 7 is not supported \(trit reads opsets 13–21\)[\s\S]*hint: re-export/);
  });

  it('unsupported op: names the node, its type and the supported set', () => {
    const b = linear((g) => {
      g.op('Erf', ['y'], {}, 'z');
    });
    const e = tritError(() => compile(b.encode()));
    expect(e.message).toMatch(/node 'Erf_\d+': op Erf is not supported/);
    expect(e.message).toMatch(/trit reads these standard ONNX ops: Abs, Add/);
  });

  it('missing initializer', () => {
    const b = new GraphBuilder('m');
    b.input('x', [1, 8]);
    b.op('MatMul', ['x', 'W_missing'], {}, 'y');
    b.output('y', [1, 8]);
    expect(tritError(() => compile(b.encode())).message).toMatch(/tensor 'W_missing'.*not defined/);
  });

  it('mismatched dims', () => {
    const b = new GraphBuilder('m');
    b.input('x', [1, 8]);
    b.op('MatMul', ['x', b.init('W', [6, 4], new Array(24).fill(1))], {}, 'y');
    b.output('y', [1, 4]);
    expect(tritError(() => compile(b.encode())).message).toMatch(/MatMul_\d+.*shapes \[1,8\] × \[6,4\] do not fit/);
  });

  it('absurd dims are refused before anything is allocated', () => {
    const b = new GraphBuilder('m');
    b.input('x', [1, 8]);
    b.inits.push({ name: 'W', dims: [2 ** 20, 2 ** 20], dataType: FLOAT, rawData: new Uint8Array(16) });
    b.op('MatMul', ['x', 'W'], {}, 'y');
    b.output('y', [1, 4]);
    expect(tritError(() => compile(b.encode())).message).toMatch(/tensor 'W'.*more than 2\^31 elements/);
    const c = new GraphBuilder('m');
    c.input('x', [2 ** 20, 2 ** 21]);
    c.op('Relu', ['x'], {}, 'y');
    c.output('y', [1]);
    expect(tritError(() => compile(c.encode())).message).toMatch(/tensor 'x'.*more than 2\^31 elements/);
  });

  it('payload shorter than the shape', () => {
    const b = new GraphBuilder('m');
    b.input('x', [1, 8]);
    b.inits.push({ name: 'W', dims: [8, 8], dataType: FLOAT, rawData: new Uint8Array(100) });
    b.op('MatMul', ['x', 'W'], {}, 'y');
    b.output('y', [1, 8]);
    expect(tritError(() => compile(b.encode())).message).toMatch(/tensor 'W': tensor payload is 100 bytes but shape \[8,8\] of FLOAT needs 256/);
  });

  it('non-ternary values in a "ternary" initializer', () => {
    const w = Array.from({ length: 64 }, (_, i) => (i === 5 ? 2 : (i % 3) - 1));
    const e = tritError(() => compile(linear(() => {}, w).encode()));
    expect(e.message).toMatch(/weight 'W' is not ternary: it takes 4 distinct values \(-1, 0, 1, 2\)/);
    expect(e.message).toMatch(/hint: trit compiles ternary matrix layers only/);
  });

  it('a MatMul of two activations', () => {
    const b = new GraphBuilder('m');
    b.input('x', [1, 8]);
    b.input('z', [8, 8]);
    b.op('MatMul', ['x', 'z'], {}, 'y');
    b.output('y', [1, 8]);
    expect(tritError(() => compile(b.encode())).message).toMatch(/MatMul of two activations/);
  });
});

describe('fuzz: 1,000 mutated copies of a valid model', () => {
  it('each imports (and runs) or fails with a TritError — no other exception, no hang', () => {
    const good = buildMatmulFreeLM({ vocab: 16, d: 8, layers: 1, inter: 16, seed: 1 });
    const r = rng(42);
    const outcome = { ok: 0, refused: 0 };
    let slowest = 0;
    for (let k = 0; k < 1000; k++) {
      const m = good.slice();
      const kind = k % 4;
      if (kind === 0) for (let j = 0; j < 1 + Math.floor(r() * 8); j++) m[Math.floor(r() * m.length)] ^= 1 << Math.floor(r() * 8);
      else if (kind === 1) for (let j = 0; j < 1 + Math.floor(r() * 4); j++) m[Math.floor(r() * m.length)] = Math.floor(r() * 256);
      else if (kind === 2) m[Math.floor(r() * Math.min(m.length, 400))] ^= 1 << Math.floor(r() * 8); // headers and graph structure
      const bytes = kind === 3 ? m.subarray(0, Math.floor(r() * m.length)) : m;
      const t0 = performance.now();
      try {
        const c = compileOnnx(bytes, { file: `fuzz${k}.onnx`, calibrationSteps: 2 });
        const inputs: Record<string, number[]> = {};
        for (const i of c.ir.inputs) inputs[i.name] = new Array(i.type.shape.reduce((p, d) => p * d, 1)).fill(1);
        new Interpreter(c.ir).run(inputs);
        outcome.ok++;
      } catch (e) {
        if (!(e instanceof TritError)) throw new Error(`mutation ${k} (kind ${kind}) escaped as ${(e as Error).stack}`);
        outcome.refused++;
      }
      slowest = Math.max(slowest, performance.now() - t0);
    }
    console.log(`fuzz: ${outcome.ok} compiled and ran, ${outcome.refused} refused with a TritError; slowest case ${slowest.toFixed(0)} ms`);
    expect(outcome.ok + outcome.refused).toBe(1000);
    // Both paths must really be exercised, or the test proves nothing.
    expect(outcome.ok).toBeGreaterThan(50);
    expect(outcome.refused).toBeGreaterThan(50);
  });
});
