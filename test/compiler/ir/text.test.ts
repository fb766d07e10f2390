import { describe, expect, it } from 'vitest';
import { parseGraph, printGraph } from '../../../compiler/ir/text.js';
import { validate } from '../../../compiler/ir/validate.js';
import { OPS } from '../../../compiler/ir/ops.js';
import { i32b64 } from './helpers.js';

// One graph that uses every op of the IR at least once.
const ALL = `trit-ir 1
graph "every-op"
meta source = "test"
input %img : f32[1,4]
input %ids : i32[1]
state %h : i32[1,4] frac 8
const @w : ternary[3,4] = "JQkA"
const @c : i32[4] frac 4 = "${i32b64([1, 2, 3, 4])}"
const @t : i32[3] frac 8 = "${i32b64([0, 128, 256])}"
const @e : i32[2,4] frac 8 = "${i32b64([1, 2, 3, 4, 5, 6, 7, 8])}"
%x = quantize %img {round=half_even} : i32[1,4] frac 8
%r = state_read {state=h} : i32[1,4] frac 8
%a = add %x, %r {sat} : i32[1,4] frac 8
%b = sub %a, %r : i32[1,4] frac 8
%n = neg %b : i32[1,4] frac 8
%ab = abs %n : i32[1,4] frac 8
%mx = max %ab, %x : i32[1,4] frac 8
%mn = min %mx, %x : i32[1,4] frac 8
%s = shift %mn {by=2, round=half_up} : i32[1,4] frac 6
%q = sat %s {lo=-128, hi=127} : i8[1,4] frac 6
%mm = ternary_matmul %q, @w : i32[1,3] frac 6
%mc = mulc %x, @c {shift=4, round=floor} : i32[1,4] frac 8
%mu = mul %mc, %x {shift=8, round=trunc, sat} : i32[1,4] frac 8
%lu = lut %mu, @t {lo=-256, step=8, interp=linear} : i32[1,4] frac 8
%rs = rsqrt %ab {lutbits=8, newton=2} : i32[1,4] frac 20
%rc = recip %ab {lutbits=6, newton=1, sat} : i32[1,4] frac 20
%su = reduce_sum %x : i32[1,1] frac 8
%ma = reduce_max %x : i32[1,1] frac 8
%am = reduce_absmax %x : i32[1,1] frac 8
%dr = divround %x, %am {mul=127, round=half_even, sat} : i8[1,4]
%ag = argmax %x : i32[1,1]
%g = gather @e, %ids : i32[1,4] frac 8
%sl = slice %g {axis=1, start=1, end=3} : i32[1,2] frac 8
%cc = concat %sl, %sl {axis=1} : i32[1,4] frac 8
%rh = reshape %cc : i32[4] frac 8
%wr = state_write %lu {state=h} : i32[1,4] frac 8
%d = dequantize %mm : f32[1,3]
output out = %d
output ids = %ag
`;

describe('IR text form', () => {
  it('covers every op', () => {
    const used = new Set(parseGraph(ALL).nodes.map((n) => n.op));
    expect([...Object.keys(OPS)].filter((o) => !used.has(o as never))).toEqual([]);
  });

  it('round-trips: print(parse(text)) === text, and the graph validates', () => {
    const g = parseGraph(ALL);
    validate(g);
    expect(printGraph(g)).toBe(ALL);
    expect(printGraph(parseGraph(printGraph(g)))).toBe(ALL);
  });

  it('round-trips constant data exactly, ternary included', () => {
    const g = parseGraph(ALL);
    expect(Array.from(g.consts.get('@w')!.data)).toEqual([1, 1, -1, 0, 1, -1, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(parseGraph(printGraph(g)).consts.get('@e')!.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('reports the line of a syntax error', () => {
    expect(() => parseGraph('trit-ir 1\ngraph "x"\n%a = frobnicate %b : i32[1]')).toThrow(/line 3: unknown op 'frobnicate'/);
    expect(() => parseGraph('trit-ir 2\n')).toThrow(/line 1: expected header/);
    expect(() => parseGraph('trit-ir 1\nconst @w : ternary[2,2] = "/w=="')).toThrow(/invalid code 3/);
  });
});
