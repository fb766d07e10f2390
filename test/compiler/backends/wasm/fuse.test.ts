/**
 * Elementwise fusion (compiler/backends/wasm/fuse.ts): which nodes share a loop, which values stay
 * in memory, and that the generated loops equal the interpreter on the edge cases of their ops —
 * every rounding mode at ties, clamps at both ends, divround's zero and negative divisors and its
 * saturated quotients. (exact.test.ts checks fused builds of random programs and zoo models.)
 */
import { describe, expect, it } from 'vitest';
import { parseGraph } from '../../../../compiler/ir/text.js';
import { validate } from '../../../../compiler/ir/validate.js';
import { analyzeRanges } from '../../../../compiler/ir/range.js';
import { valueTypes, type IRGraph } from '../../../../compiler/ir/graph.js';
import { fuseElementwise } from '../../../../compiler/backends/wasm/fuse.js';
import { compareWithInterpreter } from '../../../../fixtures/wasm-harness.js';
import { ROUND_MODES } from '../../../../compiler/ir/arith.js';
import { i32b64 } from '../../ir/helpers.js';

function graph(body: string): IRGraph {
  const g = parseGraph(`trit-ir 1\ngraph "fuse"\n${body}`);
  validate(g);
  analyzeRanges(g);
  return g;
}

function fusion(g: IRGraph) {
  const types = valueTypes(g);
  return fuseElementwise(g, (v) => (v.startsWith('@') ? g.consts.get(v)!.type : types.get(v)!));
}

describe('elementwise fusion: grouping', () => {
  it('fuses a chain, keeps values with other readers and graph outputs in memory, and keeps the order topological', () => {
    const g = graph(`input %xf : f32[1,6]
const @c : i32[6] frac 4 = "${i32b64([1, -2, 3, -4, 5, -6])}"
%x = quantize %xf {round=half_even} : i32[1,6] frac 8
%m = max %x, %x : i32[1,6] frac 8
%a = mulc %x, @c {shift=4, round=half_up, sat} : i32[1,6] frac 8
%b = shift %a {by=2, round=half_even, sat} : i32[1,6] frac 6
%r = reduce_absmax %b : i32[1,1] frac 6
%s = add %b, %r {sat} : i32[1,6] frac 6
%t = neg %s : i32[1,6] frac 6
output y = %t
output z = %m`);
    const f = fusion(g);
    // %a's one reader is %b; %b has two (%r and %s): it ends a loop and is stored; %s → %t is a second loop.
    expect([...f.loops.keys()].sort()).toEqual(['b', 't']);
    expect([...f.internal].sort()).toEqual(['a', 's']);
    expect(f.loops.get('b')!.steps.map((s) => s.op)).toEqual(['mul', 'shift']);
    expect(f.loops.get('t')!.inputs).toEqual([
      { value: 'b', scalar: false },
      { value: 'r', scalar: true },
    ]);
    const order = f.graph.nodes.map((n) => n.out);
    for (const n of f.graph.nodes)
      for (const x of n.inputs) if (!x.startsWith('@') && x !== 'xf') expect(order.indexOf(x)).toBeLessThan(order.indexOf(n.out));
  });

  it('leaves per-row broadcasts to the kernels', () => {
    const g = graph(`input %xf : f32[2,4]
%x = quantize %xf {round=half_even} : i32[2,4] frac 8
%r = reduce_absmax %x : i32[2,1] frac 8
%a = add %x, %r {sat} : i32[2,4] frac 8
%b = neg %a : i32[2,4] frac 8
output y = %b`);
    const f = fusion(g);
    expect(f.loops.size).toBe(0);
    expect(f.internal.size).toBe(0);
  });
});

describe('elementwise fusion: generated loops equal the interpreter', () => {
  it('every rounding mode at ties and clamps at both ends, scalar and full operands, odd lengths', async () => {
    for (const round of ROUND_MODES) {
      const g = graph(`input %xf : f32[1,7]
input %sf : f32[1,1]
%x = quantize %xf {round=half_even} : i32[1,7] frac 4
%s = quantize %sf {round=half_even} : i32[1,1] frac 2
%m = mul %x, %s {shift=3, round=${round}, sat} : i16[1,7] frac 3
%h = shift %m {by=1, round=${round}} : i16[1,7] frac 2
%d = sub %h, %s {sat} : i16[1,7] frac 2
%n = abs %d : i16[1,7] frac 2
%c = sat %n {lo=-100, hi=200} : i16[1,7] frac 2
output y = %c`);
      expect(fusion(g).loops.get('c')!.steps.length).toBe(5);
      const k = (v: number[]) => v.map((x) => x / 16); // x = the integer k
      const feeds = [
        { xf: k([1, -1, 3, -3, 5, -5, 7]), sf: [1] }, // x·s = 4k: ties of the shift by 3, then of the shift by 1
        { xf: k([2, -2, 6, -6, 10, -10, 0]), sf: [1] },
        { xf: [30000, -30000, 32767, -32767, 12345, -12345, 0], sf: [8191] }, // saturate at both ends
        { xf: k([2, 6, 10, -2, -6, -10, 1]), sf: [-1] },
      ];
      const c = await compareWithInterpreter(g, feeds, { link: { optimize: 1 } });
      expect(c.mismatch, round).toBeNull();
    }
  });

  it('divround by a broadcast divisor: ties to even, b ≤ 0 gives 0, quotients far beyond the clamp saturate', async () => {
    const g = graph(`input %af : f32[1,9]
input %bf : f32[1,1]
%a = quantize %af {round=half_even} : i32[1,9] frac 0
%b = quantize %bf {round=half_even} : i32[1,1] frac 0
%q = divround %a, %b {mul=127, round=half_even, sat} : i8[1,9] frac 0
%n = neg %q : i8[1,9] frac 0
output y = %n`);
    expect(fusion(g).internal.has('q')).toBe(true);
    const feeds = [
      { af: [1, 3, 5, -1, -3, -5, 254, 0, 2], bf: [254] }, // ±0.5, ±1.5, ±2.5: ties
      { af: [2e9, -2e9, 1, 2, 3, 4, 5, 6, 7], bf: [1] }, // quotients of 2.5·10^11 saturate
      { af: [5, 6, 7, 8, 9, 10, 11, 12, 13], bf: [0] }, // b ≤ 0 → 0
      { af: [5, 6, 7, 8, 9, 10, 11, 12, 13], bf: [-3] },
      { af: [1e6, -1e6, 77, 2147483, -2147483, 3, 4, 5, 6], bf: [2e9] },
      { af: [16900, -16900, 8450, -8450, 25350, 1, 2, 3, 4], bf: [16900] }, // ±127, ±63.5, 190.5
    ];
    const c = await compareWithInterpreter(g, feeds, { link: { optimize: 1 } });
    expect(c.mismatch).toBeNull();
  });
});
