/**
 * No internal error for a valid model: random valid ONNX graphs (test/fixtures/random-onnx.ts) are
 * compiled with default settings. Each either compiles and matches onnxruntime on inputs drawn
 * like the default calibration's, or is refused with a TritError that names the node. An error
 * whose text says "internal", or any exception that is not a TritError, fails the test.
 * 500 graphs in CI; TRIT_RANDOM_GRAPHS=N runs more.
 */
import { describe, expect, it } from 'vitest';
import ort from 'onnxruntime-node';
import { compileOnnx } from '../../../../compiler/compile.js';
import { Interpreter } from '../../../../compiler/interp/interp.js';
import { rng } from '../../../../compiler/lower/calibrate.js';
import { TritError } from '../../../../common/errors.js';
import { randomGraph } from '../../../../fixtures/random-onnx.js';

const GRAPHS = Number(process.env.TRIT_RANDOM_GRAPHS ?? 500);
const FIRST = Number(process.env.TRIT_RANDOM_FIRST ?? 1);

/** Relative error allowed: 1% of the output's largest magnitude (fixed-point formats are sized
 *  from calibration on the same input distribution; a wrong semantics is off by O(1)). */
const TOL = 1e-2;

describe('random valid ONNX graphs', () => {
  it(`${GRAPHS} graphs: each compiles and matches onnxruntime, or is refused with an error naming the node`, async () => {
    let ok = 0;
    const refusals = new Map<string, number>();
    let worst = 0;
    for (let seed = FIRST; seed < FIRST + GRAPHS; seed++) {
      const g = randomGraph(seed);
      const what = `graph ${seed} (opset ${g.opset}: ${g.steps.join(', ')})`;
      let c;
      try {
        c = compileOnnx(g.bytes, { file: `random${seed}.onnx` });
      } catch (e) {
        expect(e, `${what}: ${(e as Error).stack}`).toBeInstanceOf(TritError);
        const msg = (e as Error).message;
        expect(msg, what).not.toMatch(/internal/i);
        expect((e as TritError).site.node ?? (e as TritError).site.tensor, `${what}: '${msg}' names no node`).toBeTruthy();
        const key = msg
          .replace(/^.*?node '[^']*': /, '')
          .replace(/\n.*$/s, '')
          .replace(/-?\d+(\.\d+)?(e[+-]?\d+)?/g, 'N')
          .replace(/'[^']*'/g, "'…'");
        refusals.set(key, (refusals.get(key) ?? 0) + 1);
        continue;
      }
      const sess = await ort.InferenceSession.create(g.bytes);
      const it2 = new Interpreter(c.ir);
      const r = rng(seed * 7919);
      for (let k = 0; k < 3; k++) {
        const feeds: Record<string, ort.Tensor> = {},
          mine: Record<string, ArrayLike<number>> = {};
        for (const i of g.inputs) {
          if (i.vocab) {
            const id = Math.floor(r() * i.vocab);
            feeds[i.name] = new ort.Tensor('int64', BigInt64Array.of(BigInt(id)), [1]);
            mine[i.name] = [id];
          } else {
            const x = Float32Array.from({ length: i.w! }, () => r());
            feeds[i.name] = new ort.Tensor('float32', x, [1, i.w!]);
            mine[i.name] = x;
          }
        }
        const ref = await sess.run(feeds);
        const got = it2.run(mine).outputs;
        for (const o of g.outputs) {
          const a = ref[o].data as Float32Array,
            b = got[o];
          let e = 0,
            m = 1e-3;
          for (let j = 0; j < a.length; j++) {
            e = Math.max(e, Math.abs(a[j] - b[j]));
            m = Math.max(m, Math.abs(a[j]));
          }
          worst = Math.max(worst, e / m);
          expect(e / m, `${what}, output ${o}, input ${k}: relative error`).toBeLessThanOrEqual(TOL);
        }
      }
      ok++;
    }
    const refused = [...refusals.values()].reduce((p, q) => p + q, 0);
    console.log(`random graphs: ${ok} compiled and matched onnxruntime (worst relative error ${worst.toExponential(2)}), ${refused} refused:`);
    for (const [k, n] of [...refusals].sort((p, q) => q[1] - p[1])) console.log(`  ${n} × ${k}`);
    expect(ok + refused).toBe(GRAPHS);
    expect(ok).toBeGreaterThan(GRAPHS * 0.6); // refusing everything would pass the other checks
  }, 600_000);
});
