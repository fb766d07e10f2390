import { describe, expect, it } from 'vitest';
import { mulShift, roundReal, roundShift, ROUND_MODES } from '../../../compiler/ir/arith.js';

// Each row: v, shift, expected per mode (floor, trunc, half_up, half_even, half_away).
const CASES: [number, number, number[]][] = [
  [5, 1, [2, 2, 3, 2, 3]], // 2.5
  [7, 1, [3, 3, 4, 4, 4]], // 3.5
  [-5, 1, [-3, -2, -2, -2, -3]], // -2.5
  [-7, 1, [-4, -3, -3, -4, -4]], // -3.5
  [-1, 2, [-1, 0, 0, 0, 0]], // -0.25
  [-3, 2, [-1, 0, -1, -1, -1]], // -0.75
  [-2, 2, [-1, 0, 0, 0, -1]], // -0.5
  [6, 2, [1, 1, 2, 2, 2]], // 1.5
  [-6, 2, [-2, -1, -1, -2, -2]], // -1.5
  [8, 2, [2, 2, 2, 2, 2]],
  [-8, 2, [-2, -2, -2, -2, -2]],
];

describe('roundShift', () => {
  for (const [v, s, want] of CASES) {
    it(`${v} >> ${s}`, () => {
      expect(ROUND_MODES.map((m) => roundShift(v, s, m))).toEqual(want);
    });
  }
  it('negative shift is an exact left shift', () => {
    expect(roundShift(-3, -4, 'floor')).toBe(-48);
  });
  it('agrees with exact rational rounding on random values, including past 2^53', () => {
    let seed = 1;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let k = 0; k < 2000; k++) {
      const a = Math.floor((rnd() - 0.5) * 2 ** 31),
        b = Math.floor((rnd() - 0.5) * 2 ** 31),
        s = 1 + Math.floor(rnd() * 40);
      const P = BigInt(a) * BigInt(b);
      const fl = P >> BigInt(s);
      const r2 = (P - (fl << BigInt(s))) * 2n,
        d = 1n << BigInt(s);
      const halfEven = fl + (r2 > d || (r2 === d && fl % 2n !== 0n) ? 1n : 0n);
      expect(mulShift(a, b, s, 'floor')).toBe(Number(fl));
      expect(mulShift(a, b, s, 'half_even')).toBe(Number(halfEven));
    }
  });
});

describe('roundReal', () => {
  it('half_even matches torch.round / ONNX Round on ties', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5].map((x) => roundReal(x, 'half_even') + 0)).toEqual([0, 2, 2, 0, -2, -2]);
  });
  it('half_away matches the Triton kernel', () => {
    expect([0.5, 1.5, 2.5, -0.5, -2.5].map((x) => roundReal(x, 'half_away'))).toEqual([1, 2, 3, -1, -3]);
  });
});
