/**
 * @fileoverview Random IR programs that exercise every op the wasm kernels implement, with random
 * shapes (rarely multiples of 16), random ternary densities, every rounding mode, saturation,
 * broadcasts, and activations from tiny to huge.
 */
import { emptyGraph, type IRGraph, type IRNode } from '../../compiler/ir/graph.js';
import { ROUND_MODES } from '../../compiler/ir/arith.js';
import type { TensorType } from '../../compiler/ir/types.js';
import { rng } from '../../compiler/lower/calibrate.js';

export function randomIR(seed: number): { ir: IRGraph; feeds: () => Record<string, number[]> } {
  const r = rng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const g = emptyGraph(`random-${seed}`);
  const R = pick([1, 1, 2, 3]), K = int(1, 90), N = int(1, 70);
  const wide = r() < 0.25; // i16 activations take the general matmul kernel
  g.inputs.push({ name: 'x', type: { dtype: 'f32', shape: [R, K], frac: 0 } });
  let k = 0;
  const add = (op: IRNode['op'], inputs: string[], type: TensorType, attrs: IRNode['attrs'] = {}) => {
    const out = `v${k++}`;
    g.nodes.push({ out, op, inputs, attrs, type });
    return out;
  };
  const konst = (shape: number[], data: number[], frac: number, ternary = false) => {
    const name = `@c${g.consts.size}`;
    g.consts.set(name, { name, type: { dtype: ternary ? 'i8' : 'i32', shape, frac }, ternary, data: ternary ? Int8Array.from(data) : Int32Array.from(data) });
    return name;
  };
  const fq = int(-2, 8);
  const q = add('quantize', ['x'], { dtype: wide ? 'i16' : 'i8', shape: [R, K], frac: fq }, { round: pick(ROUND_MODES) });
  const dens = r();
  const W = konst([N, K], Array.from({ length: N * K }, () => (r() < dens ? (r() < 0.5 ? -1 : 1) : 0)), 0, true);
  let v = add('ternary_matmul', [q, W], { dtype: 'i32', shape: [R, N], frac: fq });
  let f = fq;
  const shape = [R, N];
  const t = (fr: number): TensorType => ({ dtype: 'i32', shape, frac: fr });
  const sat = { sat: true as const };
  const cshape = () => pick([[N], [1], [R, 1], [R, N]]);
  const cdata = (s: number[], mag: number) => Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => int(-mag, mag));
  const ops = int(4, 12);
  const stateType: TensorType[] = [];
  for (let i = 0; i < ops; i++) {
    switch (int(0, 12)) {
      case 0: { const by = int(-6, 14); v = add('shift', [v], t(f - by), { by, round: pick(ROUND_MODES), ...sat }); f -= by; break; }
      case 1: { const s = cshape(); const sh = int(-3, 20), cf = int(0, 12); v = add('mulc', [v, konst(s, cdata(s, 2 ** int(0, 20)), cf)], t(f + cf - sh), { shift: sh, round: pick(ROUND_MODES), ...sat }); f += cf - sh; break; }
      case 2: { const sh = int(0, 40); v = add('mul', [v, v], t(2 * f - sh), { shift: sh, round: pick(ROUND_MODES), ...sat }); f = 2 * f - sh; break; }
      case 3: { const s = cshape(); v = add(pick(['add', 'sub'] as const), [v, konst(s, cdata(s, 2 ** int(0, 31) - 1), f)], t(f), sat); break; }
      case 4: { const s = cshape(); v = add(pick(['max', 'min'] as const), [v, konst(s, cdata(s, 2 ** int(0, 20)), f)], t(f)); break; }
      case 5: v = add(pick(['neg', 'abs'] as const), [v], t(f)); break;
      case 6: { const lo = -int(0, 2 ** 20), hi = int(0, 2 ** 20); v = add('sat', [v], t(f), { lo, hi }); break; }
      case 7: { const len = int(2, 40), tf = int(0, 16); const T = konst([len], cdata([len], 2 ** int(1, 30)), tf);
        v = add('lut', [v, T], t(tf), { lo: -int(0, 2 ** 16), step: int(0, 20), interp: pick(['none', 'linear']) }); f = tf; break; }
      case 8: { const of = int(0, 24); v = add(pick(['recip', 'rsqrt'] as const), [v], t(of), { lutbits: int(1, 10), newton: int(0, 3), ...sat }); f = of; break; }
      case 9: { const red = pick(['reduce_sum', 'reduce_max', 'reduce_absmax'] as const);
        const s = add(red, [v], { dtype: 'i32', shape: [R, 1], frac: f }, red === 'reduce_sum' ? sat : {});
        v = add('sub', [v, s], t(f), sat); break; }
      case 10: if (N > 1) { const a = int(1, N - 1);
        const p = add('slice', [v], { dtype: 'i32', shape: [R, a], frac: f }, { axis: 1, start: 0, end: a });
        const q2 = add('slice', [v], { dtype: 'i32', shape: [R, N - a], frac: f }, { axis: 1, start: a, end: N });
        v = add('concat', [q2, p], t(f), { axis: 1 }); } break;
      case 11: { const rs = add('reshape', [v], { dtype: 'i32', shape: [R * N], frac: f }); v = add('reshape', [rs], t(f)); break; }
      default: if (!stateType.length) { stateType.push(t(f)); } break;
    }
  }
  if (stateType.length) {
    // Recurrent state of the final value's type: v ← v + h; h ← v.
    g.states.push({ name: 'h', type: t(f) });
    const h = add('state_read', [], t(f), { state: 'h' });
    v = add('add', [v, h], t(f), sat);
    add('state_write', [v], t(f), { state: 'h' });
  }
  const y = add('dequantize', [v], { dtype: 'f32', shape, frac: 0 });
  const am = add('argmax', [v], { dtype: 'i32', shape: [R, 1], frac: 0 });
  g.outputs.push({ name: 'y', value: y }, { name: 'argmax', value: am });
  const feeds = () => {
    const scale = pick([1e-3, 1, 30, 1e4, 1e9]);
    return { x: Array.from({ length: R * K }, () => (r() < 0.1 ? 0 : (r() - 0.5) * 2 * scale)) };
  };
  return { ir: g, feeds };
}
