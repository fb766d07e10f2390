/**
 * `divround`: round(a·k / b) exactly — the op behind int8 activation codes q = round(127·u/max|u|).
 * The interpreter against a BigInt definition (ties, signs, b ≤ 0, quotients past 2^20), the wasm
 * kernel against the interpreter bit for bit, and the lowering: a BitLinear's codes come out of one
 * divround of the values with the RMSNorm's rstd cancelled, equal to float64's codes but within the
 * input format's precision of a tie.
 */
import { describe, expect, it } from 'vitest';
import { divRound } from '../../../compiler/ir/arith.js';
import { parseGraph } from '../../../compiler/ir/text.js';
import { validate } from '../../../compiler/ir/validate.js';
import { analyzeRanges } from '../../../compiler/ir/range.js';
import { rng } from '../../../compiler/lower/calibrate.js';
import { compileOnnx } from '../../../compiler/compile.js';
import { evalGraph } from '../../../compiler/float/eval.js';
import { Interpreter } from '../../../compiler/interp/interp.js';
import { compareWithInterpreter } from '../../../fixtures/wasm-harness.js';
import { GraphBuilder } from '../../../fixtures/onnx-builder.js';

/** round_half_even(a·k/b) with BigInt: the definition, independent of divRound's float steps. */
function reference(a: number, k: number, b: number): number {
  if (b <= 0) return 0;
  const n = BigInt(a) * BigInt(k),
    d = BigInt(b);
  let q = n / d,
    r = n % d; // truncating
  if (r < 0n) {
    q -= 1n;
    r += d;
  }
  const twice = 2n * r;
  if (twice > d || (twice === d && q % 2n !== 0n)) q += 1n;
  return Number(q);
}

function cases(count: number, seed: number): [number, number, number][] {
  const r = rng(seed);
  const out: [number, number, number][] = [];
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  for (let i = 0; i < count; i++) {
    const k = [1, 127, 127, 255, 32767][int(0, 4)];
    const b = [int(1, 7), int(1, 2 ** 31 - 1), int(-3, 0), 2 ** 31 - 1][int(0, 3)];
    // dividends near ties (b odd or even), small, and large (quotients far past 2^20)
    const a = [Math.round(((int(-127, 127) + 0.5) * b) / k), int(-1000, 1000), int(-(2 ** 31) + 1, 2 ** 31 - 1)][int(0, 2)];
    if (Math.abs(a) < 2 ** 31) out.push([a, k, b]);
  }
  return out;
}

describe('divround', () => {
  it('equals the BigInt definition on 20,000 cases (ties, signs, b ≤ 0, large quotients)', () => {
    let ties = 0;
    for (const [a, k, b] of cases(20000, 1)) {
      expect(divRound(a, k, b, 'half_even'), `${a}·${k}/${b}`).toBe(reference(a, k, b));
      if (b > 0 && (2 * ((a * k) % b) === b || 2 * ((a * k) % b) === -b)) ties++;
    }
    expect(ties).toBeGreaterThan(500);
    expect(divRound(5, 1, 2, 'half_even')).toBe(2);
    expect(divRound(7, 1, 2, 'half_even')).toBe(4);
    expect(divRound(-5, 1, 2, 'half_even')).toBe(-2);
    expect(divRound(3, 127, 0, 'half_even')).toBe(0);
  });

  it('the wasm kernel equals the interpreter bit for bit (per-row divisor, saturation to i8 and i32)', async () => {
    const all = cases(4000, 2);
    const R = 100,
      K = 40;
    // i32 inputs would be read as token ids by the runtime: feed floats, quantized at frac 0.
    const text =
      `trit-ir 1\ngraph "div"\ninput %af : f32[${R},${K}]\ninput %bf : f32[${R},1]\n` +
      `%a = quantize %af {round=half_even} : i32[${R},${K}]\n%b = quantize %bf {round=half_even} : i32[${R},1]\n` +
      `%q8 = divround %a, %b {mul=127, round=half_even, sat} : i8[${R},${K}]\n%q32 = divround %a, %b {mul=127, round=half_even, sat} : i32[${R},${K}]\n` +
      `output q8 = %q8\noutput q32 = %q32`;
    const g = parseGraph(text);
    validate(g);
    analyzeRanges(g);
    // float32 holds integers exactly below 2^24: dividends and divisors are taken there
    const f32 = (v: number) => Math.max(-(2 ** 24), Math.min(2 ** 24, v));
    const feeds = [0, 1, 2].map((s) => ({
      af: Array.from({ length: R * K }, (_, i) => f32(all[(s * R * K + i) % all.length][0])),
      bf: Array.from({ length: R }, (_, i) => f32(all[(s * R + i * 7) % all.length][2])),
    }));
    const c = await compareWithInterpreter(g, feeds);
    expect(c.mismatch).toBeNull();
    // and the interpreter is the definition, saturated
    const out = new Interpreter(g).run(feeds[0]).outputs;
    for (let i = 0; i < R * K; i++) {
      const want = reference(feeds[0].af[i], 127, feeds[0].bf[Math.floor(i / K)]);
      expect(out.q32[i]).toBe(Math.max(-(2 ** 31 - 1), Math.min(2 ** 31 - 1, want)));
      expect(out.q8[i]).toBe(Math.max(-127, Math.min(127, want)));
    }
  });

  it('the validator refuses a divisor that is not one value per row, mismatched fracs and other rounding', () => {
    const bad = [
      '%q = divround %a, %a {mul=127, round=half_even, sat} : i8[2,4]',
      '%q = divround %a, %b {mul=127, round=half_up, sat} : i8[2,4]',
      '%q = divround %a, %c {mul=127, round=half_even, sat} : i8[2,4]',
    ];
    for (const line of bad) {
      const g = parseGraph(
        `trit-ir 1\ngraph "d"\ninput %a : i32[2,4] frac 3\ninput %b : i32[2,1] frac 3\ninput %c : i32[2,1] frac 4\n${line}\noutput q = %q`,
      );
      expect(() => validate(g), line).toThrow();
    }
  });

  it("a BitLinear lowers to one divround of the rstd-free values, and its codes equal float64's but at near-ties", () => {
    // RMSNorm (eps 1e-6, weight g) → abs-max int8 → ternary MatMul, as the canonical ONNX writes it.
    const D = 33,
      N = 7,
      r = rng(4);
    const b = new GraphBuilder('bitlinear');
    const x = b.input('x', [1, D]);
    const ms = b.op('ReduceMean', [b.op('Mul', [x, x])], { axes: [-1], keepdims: 1 });
    const y = b.op('Mul', [
      b.op('Mul', [x, b.op('Reciprocal', [b.op('Sqrt', [b.op('Add', [ms, b.scalar(1e-6)])])])]),
      b.init(
        'g',
        [D],
        Array.from({ length: D }, () => 0.5 + r()),
      ),
    ]);
    const s = b.op('Div', [b.scalar(127), b.op('Max', [b.op('ReduceMax', [b.op('Abs', [y])], { axes: [-1], keepdims: 1 }), b.scalar(1e-5)])]);
    const q = b.op('Clip', [b.op('Round', [b.op('Mul', [y, s])]), b.scalar(-128), b.scalar(127)], {}, 'q');
    b.op(
      'MatMul',
      [
        b.op('Div', [q, s]),
        b.init(
          'W',
          [D, N],
          Array.from({ length: D * N }, () => Math.floor(r() * 3) - 1),
        ),
      ],
      {},
      'out',
    );
    b.output('out', [1, N]);
    b.output('q', [1, D]);
    const sample = (k: number) => Float32Array.from({ length: D }, () => (r() - 0.5) * (k % 3 === 0 ? 0.01 : 10));
    const c = compileOnnx(b.encode(), { calibration: [Array.from({ length: 64 }, (_, k) => ({ x: sample(k) }))] });
    const div = c.ir.nodes.filter((n) => n.op === 'divround');
    expect(div).toHaveLength(1);
    // its dividend does not depend on the rsqrt: the rstd cancelled
    const deps = new Set<string>();
    const byOut = new Map(c.ir.nodes.map((n) => [n.out, n]));
    const walk = (v: string) => {
      const n = byOut.get(v);
      if (!n || deps.has(v)) return;
      deps.add(v);
      n.inputs.forEach(walk);
    };
    walk(div[0].inputs[0]);
    expect([...deps].some((v) => byOut.get(v)!.op === 'rsqrt')).toBe(false);
    const it2 = new Interpreter(c.ir);
    const round = c.float.nodes.find((n) => n.op === 'round')!;
    let codes = 0,
      nearTies = 0;
    for (let k = 0; k < 300; k++) {
      const xv = sample(k);
      const env = evalGraph(c.float, { x: xv });
      const want = env.get(c.float.outputs.find((o) => o.name === 'q')!.value)!,
        pre = env.get(round.inputs[0])!;
      const got = it2.run({ x: xv }).outputs.q;
      for (let i = 0; i < D; i++, codes++) {
        if (got[i] === want[i]) continue;
        // Only where float64 itself is within the input format's precision of a tie (x is
        // quantized at ~27 fraction bits: 127·2^-27/0.005 ≈ 2·10^-4 for the smallest inputs).
        expect(Math.abs(Math.abs(pre[i] - Math.trunc(pre[i])) - 0.5), `input ${k}, code ${i}: ${got[i]} vs ${want[i]} (${pre[i]})`).toBeLessThan(
          1e-3,
        );
        expect(Math.abs(got[i] - want[i])).toBe(1);
        nearTies++;
      }
    }
    expect(nearTies).toBeLessThan(5);
    expect(codes).toBe(300 * D);
  });
});
