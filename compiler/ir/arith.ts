/**
 * @fileoverview Exact integer arithmetic shared by the interpreter, the range analysis and the lowering.
 *
 * Everything here is the *definition* of the IR's rounding and saturation; the back-ends must agree
 * with it bit for bit. JS numbers are exact integers below 2^53; products that may exceed that go
 * through BigInt so the interpreter never rounds silently.
 */

/** How a right shift (division by 2^s) rounds. */
export type RoundMode = 'floor' | 'trunc' | 'half_up' | 'half_even' | 'half_away';

/** All rounding modes, in the order the docs list them. */
export const ROUND_MODES: readonly RoundMode[] = ['floor', 'trunc', 'half_up', 'half_even', 'half_away'];

const SAFE = 2 ** 52;

/** Rounds the integer v·2^-s (s may be negative: then it is an exact left shift). */
export function roundShift(v: number, s: number, mode: RoundMode): number {
  if (s <= 0) return v * 2 ** -s;
  if (Math.abs(v) >= SAFE) return roundShiftBig(BigInt(v), s, mode);
  const d = 2 ** s;
  const q = Math.floor(v / d);
  const r = v - q * d; // 0 <= r < d, exact
  return q + roundUp(q % 2 !== 0, r * 2, d, v < 0, mode);
}

/** Whether the floor quotient q must be bumped by one: r2 = 2·remainder, d = divisor. */
function roundUp(qOdd: boolean, r2: number, d: number, negative: boolean, mode: RoundMode): number {
  if (r2 === 0) return 0;
  switch (mode) {
    case 'floor':
      return 0;
    case 'trunc':
      return negative ? 1 : 0;
    case 'half_up':
      return r2 >= d ? 1 : 0;
    case 'half_even':
      return r2 > d || (r2 === d && qOdd) ? 1 : 0;
    case 'half_away':
      return r2 > d || (r2 === d && !negative) ? 1 : 0;
  }
}

function roundShiftBig(v: bigint, s: number, mode: RoundMode): number {
  const q = v >> BigInt(s); // BigInt >> floors
  const r = v - (q << BigInt(s));
  const d = 2 ** s;
  // r < d <= 2^31 here in practice; Number(r) is exact for s < 53.
  return Number(q) + roundUp(q % 2n !== 0n, Number(r) * 2, d, v < 0n, mode);
}

/** Exact round(a·b·2^-s): the product is formed without rounding, even past 2^53. */
export function mulShift(a: number, b: number, s: number, mode: RoundMode): number {
  const p = a * b;
  if (Math.abs(p) < SAFE) return roundShift(p, s, mode);
  const big = BigInt(a) * BigInt(b);
  if (s <= 0) return Number(big << BigInt(-s));
  return roundShiftBig(big, s, mode);
}

/** Rounds a real number to an integer with the given mode (used only at f32 edges and by the compiler). */
/**
 * round(a·k / b) of integers, exactly (the `divround` op): the rational a·k/b rounded by `mode`,
 * 0 when b ≤ 0 (an all-zero row quantizes to zeros). |a·k| < 2^53, so the product and the
 * remainder below are exact doubles.
 */
export function divRound(a: number, k: number, b: number, mode: RoundMode): number {
  if (!(b > 0)) return 0;
  const n = a * k + 0; // + 0: no −0 out of a zero dividend
  let q = Math.floor(n / b);
  let r = n - q * b; // exact; the float quotient may be off by one, corrected here
  while (r < 0) {
    q--;
    r += b;
  }
  while (r >= b) {
    q++;
    r -= b;
  }
  if (r === 0) return q;
  const twice = 2 * r; // compare r with b/2 without halving
  switch (mode) {
    case 'floor':
      return q;
    case 'trunc':
      return n < 0 ? q + 1 : q;
    case 'half_up':
      return twice >= b ? q + 1 : q;
    case 'half_away':
      return twice > b || (twice === b && n > 0) ? q + 1 : q;
    default:
      return twice > b || (twice === b && q % 2 !== 0) ? q + 1 : q; // half_even
  }
}

export function roundReal(x: number, mode: RoundMode): number {
  const f = Math.floor(x);
  const r = x - f;
  switch (mode) {
    case 'floor':
      return f;
    case 'trunc':
      return Math.trunc(x);
    case 'half_up':
      return r >= 0.5 ? f + 1 : f;
    case 'half_even':
      return r > 0.5 || (r === 0.5 && f % 2 !== 0) ? f + 1 : f;
    case 'half_away':
      return r > 0.5 || (r === 0.5 && x > 0) ? f + 1 : f;
  }
}

/** Clamps v into [lo, hi]. */
export function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
