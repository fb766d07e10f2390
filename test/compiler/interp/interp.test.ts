import { describe, expect, it } from 'vitest';
import { parseGraph } from '../../../compiler/ir/text.js';
import { Interpreter } from '../../../compiler/interp/interp.js';
import { recipFixed, rsqrtFixed } from '../../../compiler/ir/newton.js';
import { i32b64, runText } from '../ir/helpers.js';

const H = 'trit-ir 1\ngraph "t"\n';

describe('interpreter semantics', () => {
  it('shifts negative numbers with each rounding mode', () => {
    const modes = ['floor', 'trunc', 'half_up', 'half_even', 'half_away'];
    const text = H + 'input %x : i32[6]\n' + modes.map((m) => `%${m} = shift %x {by=1, round=${m}} : i32[6] frac -1\noutput ${m} = %${m}`).join('\n');
    const r = runText(text, { x: [-5, -3, -1, 1, 3, 5] });
    expect(Array.from(r.outputs.floor)).toEqual([-3, -2, -1, 0, 1, 2]);
    expect(Array.from(r.outputs.trunc)).toEqual([-2, -1, 0, 0, 1, 2]);
    expect(Array.from(r.outputs.half_up)).toEqual([-2, -1, 0, 1, 2, 3]);
    expect(Array.from(r.outputs.half_even)).toEqual([-2, -2, 0, 0, 2, 2]);
    expect(Array.from(r.outputs.half_away)).toEqual([-3, -2, -1, 1, 2, 3]);
  });

  it('saturates and counts the clamped elements', () => {
    const r = runText(H + 'input %x : i32[4]\n%y = sat %x {lo=-128, hi=127} : i8[4]\noutput y = %y', { x: [-1000, -128, 127, 300] });
    expect(Array.from(r.outputs.y)).toEqual([-128, -128, 127, 127]);
    expect(r.saturations.get('y')).toBe(2);
  });

  it('sat flag clamps to the symmetric dtype range instead of failing', () => {
    const r = runText(H + 'input %x : i16[2]\n%y = add %x, %x {sat} : i16[2]\n%n = neg %y : i16[2]\noutput y = %y\noutput n = %n', {
      x: [30000, -30000],
    });
    expect(Array.from(r.outputs.y)).toEqual([32767, -32767]);
    expect(Array.from(r.outputs.n)).toEqual([-32767, 32767]); // neg of a saturated value cannot overflow
  });

  it('an overflow without sat is an error naming the node, never a wrap-around', () => {
    const g = parseGraph(H + 'input %x : i16[1]\n%boom = add %x, %x : i16[1]\noutput y = %boom');
    expect(() => new Interpreter(g).run({ x: [30000] })).toThrow(/boom.*does not fit i16/);
  });

  it('lut: clamps below the first and above the last entry, interpolates linearly between', () => {
    const table = i32b64([0, 100, 400, 900]);
    const text =
      H +
      `input %x : i32[7]\nconst @t : i32[4] frac 2 = "${table}"\n` +
      '%y = lut %x, @t {lo=-8, step=2, interp=linear} : i32[7] frac 2\n%z = lut %x, @t {lo=-8, step=2, interp=none} : i32[7] frac 2\noutput y = %y\noutput z = %z';
    // x - lo = [-1, 0, 2, 4, 6, 12, 100] ; segment width 4
    const r = runText(text, { x: [-9, -8, -6, -4, -2, 4, 92] });
    expect(Array.from(r.outputs.y)).toEqual([0, 0, 50, 100, 250, 900, 900]);
    expect(Array.from(r.outputs.z)).toEqual([0, 0, 0, 100, 100, 900, 900]);
  });

  it('reductions, argmax (first index on ties), gather', () => {
    const emb = i32b64([1, 2, 3, 4, 5, 6]);
    const text =
      H +
      `input %x : i16[2,3]\ninput %ids : i32[2]\nconst @e : i32[3,2] = "${emb}"\n` +
      '%s = reduce_sum %x : i32[2,1]\n%m = reduce_max %x : i32[2,1]\n%a = reduce_absmax %x : i32[2,1]\n%i = argmax %x : i32[2,1]\n%g = gather @e, %ids : i32[2,2]\n' +
      'output s = %s\noutput m = %m\noutput a = %a\noutput i = %i\noutput g = %g';
    const r = runText(text, { x: [3, -7, 3, 0, 5, 5], ids: [2, 0] });
    expect(Array.from(r.outputs.s)).toEqual([-1, 10]);
    expect(Array.from(r.outputs.m)).toEqual([3, 5]);
    expect(Array.from(r.outputs.a)).toEqual([7, 5]);
    expect(Array.from(r.outputs.i)).toEqual([0, 1]);
    expect(Array.from(r.outputs.g)).toEqual([5, 6, 1, 2]);
  });

  it('reduce_sum {shift}: the exact sum, rounded once (rounding each term first would differ)', () => {
    // Four terms of 3/8 sum to 1.5: once rounded (half even) that is 2; each term rounded to
    // an integer first (0 each) would give 0. Past i32 before the shift is fine: the sum is exact.
    const text =
      H +
      'input %x : i32[2,4] frac 3\n%s = reduce_sum %x {shift=3, round=half_even} : i32[2,1] frac 0\n%f = reduce_sum %x {shift=3, round=floor} : i32[2,1] frac 0\n' +
      'output s = %s\noutput f = %f';
    const big = 2 ** 31 - 1;
    const r = runText(text, { x: [3, 3, 3, 3, big, big, big, -5] });
    expect(Array.from(r.outputs.s)).toEqual([2, Math.round((3 * big - 5) / 8)]);
    expect(Array.from(r.outputs.f)).toEqual([1, Math.floor((3 * big - 5) / 8)]);
  });
  it('gather refuses an out-of-range id', () => {
    const text = H + `input %ids : i32[1]\nconst @e : i32[2,1] = "${i32b64([1, 2])}"\n%g = gather @e, %ids : i32[1,1]\noutput g = %g`;
    expect(() => runText(text, { ids: [2] })).toThrow(/id 2 is out of range \[0, 2\)/);
  });

  it('ternary matmul is sums and differences of inputs', () => {
    // W = [[1, 0, -1], [-1, 1, 1]] packed 2 bits each: codes 1,0,2 | 2,1,1
    const codes = [1, 0, 2, 2, 1, 1];
    const bytes = new Uint8Array(2);
    codes.forEach((c, i) => {
      bytes[i >> 2] |= c << ((i & 3) * 2);
    });
    const w = btoa(String.fromCharCode(...bytes));
    const r = runText(H + `input %x : i8[2,3]\nconst @w : ternary[2,3] = "${w}"\n%y = ternary_matmul %x, @w : i32[2,2]\noutput y = %y`, {
      x: [10, 20, 30, -1, -2, 127],
    });
    expect(Array.from(r.outputs.y)).toEqual([10 - 30, -10 + 20 + 30, -1 - 127, 1 - 2 + 127]);
  });

  it('state writes take effect at the end of the step', () => {
    const g = parseGraph(
      H +
        'input %x : i32[1]\nstate %h : i32[1]\n%r = state_read {state=h} : i32[1]\n%n = add %r, %x : i32[1]\n%w = state_write %n {state=h} : i32[1]\noutput r = %r',
    );
    const it2 = new Interpreter(g);
    expect(Array.from(it2.run({ x: [5] }).outputs.r)).toEqual([0]);
    expect(Array.from(it2.run({ x: [2] }).outputs.r)).toEqual([5]);
    expect(Array.from(it2.run({ x: [0] }).outputs.r)).toEqual([7]);
    it2.reset();
    expect(Array.from(it2.run({ x: [0] }).outputs.r)).toEqual([0]);
  });

  it('quantize rounds half to even and saturates; dequantize scales back', () => {
    const r = runText(H + 'input %x : f32[5]\n%q = quantize %x {round=half_even} : i8[5] frac 1\n%d = dequantize %q : f32[5]\noutput d = %d', {
      x: [0.25, 0.75, -0.25, 100, -100],
    });
    expect(Array.from(r.outputs.d, (v) => v + 0)).toEqual([0, 1, 0, 63.5, -63.5]);
  });
});

describe('recip and rsqrt units (seed table + Newton)', () => {
  // The lowering's default: 8-bit seed tables, 2 Newton steps: within one output LSB of exact
  // (beyond that only the output format limits precision). 1 step is ~1e-5, a bare seed ~1e-2.
  it.each([
    [8, 2, 1e-8],
    [8, 1, 2e-5],
    [6, 0, 1e-2],
  ])('lutbits=%i newton=%i: error < max(1 LSB, %f relative)', (bits, newton, tol) => {
    let worst = 0;
    for (let k = 0; k < 4000; k++) {
      const x = Math.floor(2 ** (k / 200)) + k; // 1 … ~2^20, frac 10
      const exactR = 2 ** 30 / (x / 1024),
        exactS = 2 ** 28 / Math.sqrt(x / 1024);
      const errR = Math.abs(recipFixed(x, 10, 30, bits, newton) - exactR) / Math.max(1 + exactR * tol, 1);
      const errS = Math.abs(rsqrtFixed(x, 10, 28, bits, newton) - exactS) / Math.max(1 + exactS * tol, 1);
      worst = Math.max(worst, errR, errS);
    }
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('non-positive inputs count as one LSB', () => {
    expect(recipFixed(0, 0, 8, 8, 2)).toBe(recipFixed(1, 0, 8, 8, 2));
    expect(rsqrtFixed(-5, 4, 8, 8, 2)).toBe(rsqrtFixed(1, 4, 8, 8, 2));
  });
});
