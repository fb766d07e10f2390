import { describe, expect, it } from 'vitest';
import { parseGraph } from '../../../compiler/ir/text.js';
import { validate } from '../../../compiler/ir/validate.js';
import { analyzeRanges } from '../../../compiler/ir/range.js';
import { i32b64 } from './helpers.js';

const H = 'trit-ir 1\ngraph "t"\n';
const ranges = (t: string) => {
  const g = parseGraph(H + t);
  validate(g);
  return analyzeRanges(g);
};

describe('range analysis', () => {
  it('proves a fitting chain and reports its intervals', () => {
    const r = ranges('input %x : i8[4]\n%a = add %x, %x : i16[4]\n%s = shift %a {by=1, round=floor} : i8[4] frac -1\noutput y = %s');
    expect(r.get('a')).toEqual([-256, 254]);
    expect(r.get('s')).toEqual([-128, 127]);
  });

  it('fails naming the node when a sum can overflow its type', () => {
    expect(() => ranges('input %x : i8[4]\n%wide = add %x, %x : i8[4]\noutput y = %wide')).toThrow(
      /node 'wide'.*range \[-256, 254\] of add does not fit i8/,
    );
  });

  it('accepts the same node when it saturates explicitly', () => {
    expect(ranges('input %x : i8[4]\n%wide = add %x, %x {sat} : i8[4]\noutput y = %wide').get('wide')).toEqual([-127, 127]);
  });

  it("bounds a ternary matmul by its rows' nonzero counts", () => {
    // W row 0 = [1,1,1,1] → sum of 4 × i8 ∈ [-512, 508], which does not fit i8 but fits i16.
    const w = btoa(String.fromCharCode(0x55, 0x00));
    expect(() => ranges(`input %x : i8[1,4]\nconst @w : ternary[2,4] = "${w}"\n%mm = ternary_matmul %x, @w : i8[1,2]\noutput y = %mm`)).toThrow(
      /node 'mm'.*\[-512, 508\]/,
    );
    expect(ranges(`input %x : i8[1,4]\nconst @w : ternary[2,4] = "${w}"\n%mm = ternary_matmul %x, @w : i16[1,2]\noutput y = %mm`).get('mm')).toEqual([
      -512, 508,
    ]);
  });

  it('catches a product that overflows after its shift', () => {
    expect(() => ranges('input %x : i16[2]\n%p = mul %x, %x {shift=2, round=floor} : i16[2] frac -2\noutput y = %p')).toThrow(/node 'p'/);
  });

  it('bounds reductions by the axis length', () => {
    const r = ranges('input %x : i8[3,100]\n%s = reduce_sum %x : i16[3,1]\noutput y = %s');
    expect(r.get('s')).toEqual([-12800, 12700]);
    expect(() => ranges('input %x : i8[3,300]\n%s = reduce_sum %x : i16[3,1]\noutput y = %s')).toThrow(/node 's'/);
  });

  it('bounds lut outputs by the table', () => {
    expect(
      ranges(
        `input %x : i32[2]\nconst @t : i32[3] = "${i32b64([-5, 0, 9])}"\n%l = lut %x, @t {lo=0, step=4, interp=linear} : i8[2]\noutput y = %l`,
      ).get('l'),
    ).toEqual([-5, 9]);
  });
});

describe('validator', () => {
  const bad = (t: string) => () => validate(parseGraph(H + t));
  it('refuses adding values of different fixed-point formats', () => {
    expect(bad('input %x : i32[2] frac 3\ninput %y : i32[2] frac 4\n%z = add %x, %y : i32[2] frac 4\noutput o = %z')).toThrow(
      /node 'z'.*insert a shift/,
    );
  });
  it('checks the frac arithmetic of mul and shift', () => {
    expect(bad('input %x : i32[2] frac 3\n%z = mul %x, %x {shift=2, round=floor} : i32[2] frac 3\noutput o = %z')).toThrow(
      /output frac must be 3 \+ 3 − 2/,
    );
    expect(bad('input %x : i32[2] frac 3\n%z = shift %x {by=2, round=floor} : i32[2] frac 3\noutput o = %z')).toThrow(
      /output frac must be 3 − 2 = 1/,
    );
  });
  it('requires attributes and known rounding modes', () => {
    expect(bad('input %x : i32[2]\n%z = shift %x {by=2} : i32[2] frac -2\noutput o = %z')).toThrow(/needs attribute 'round'/);
    expect(bad('input %x : i32[2]\n%z = shift %x {by=2, round=sideways} : i32[2] frac -2\noutput o = %z')).toThrow(/not a valid round/);
  });
  it('requires ternary weights to be constants', () => {
    expect(bad('input %x : i8[1,2]\ninput %w : i8[2,2]\n%z = ternary_matmul %x, %w : i32[1,2]\noutput o = %z')).toThrow(/must be a constant/);
  });
  it('keeps floats at the edges', () => {
    expect(bad('input %x : f32[2]\n%z = neg %x : f32[2]\noutput o = %z')).toThrow(/floats exist only at the edges/);
  });
  it('checks state use', () => {
    expect(bad('state %h : i32[1]\n%r = state_read {state=h} : i32[1]\noutput o = %r')).toThrow(/never written/);
    expect(
      bad(
        'state %h : i32[1]\n%r = state_read {state=h} : i32[1]\n%a = state_write %r {state=h} : i32[1]\n%b = state_write %r {state=h} : i32[1]\noutput o = %r',
      ),
    ).toThrow(/written twice/);
  });
  it('refuses use before definition and duplicate names', () => {
    expect(bad('%z = neg %y : i32[1]\noutput o = %z')).toThrow(/not defined before use/);
    expect(bad('input %x : i32[1]\n%x = neg %x : i32[1]\noutput o = %x')).toThrow(/defined twice/);
  });
});
