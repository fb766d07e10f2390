/**
 * Constant folding follows ONNX: random constant subgraphs (elementwise, comparison, Where, Cast,
 * shape arithmetic, reductions over several axes, Slice with negative steps, Gather with negative
 * indices, Range, Expand, Tile, CumSum, Softmax) over FLOAT, INT64 and INT32, folded by trit
 * (compiler/frontends/onnx/fold.ts) and run by onnxruntime as a graph whose leaves are inputs.
 * Every value in every chain is compared: integers and booleans exactly, float32 results of
 * add/sub/mul/div exactly, Sqrt, Reciprocal, transcendental functions, float reductions and Softmax to
 * 2^-17 relative + 2^-20 absolute (onnxruntime uses fast approximations for sigmoid, tanh and exp, 16+ ulp off, and
 * its own summation order).
 */
import { describe, expect, it } from 'vitest';
import ort from 'onnxruntime-node';
import { foldNode, type CT } from '../../../../compiler/frontends/onnx/fold.js';
import { onnx } from '../../../../compiler/frontends/onnx/proto.js';
import { rng } from '../../../../compiler/lower/calibrate.js';
import { BOOL, FLOAT, GraphBuilder, INT32, INT64 } from '../../../../fixtures/onnx-builder.js';
import { numel } from '../../../../compiler/ir/types.js';

type R = () => number;
interface Val {
  name: string;
  t: CT;
}
interface Step {
  op: string;
  ins: (Val | null)[];
  attrs?: Record<string, number | number[]>;
  outs?: number;
  approx?: boolean;
}

const ri = (r: R, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const pickOf = <T>(r: R, xs: T[]): T => xs[Math.floor(r() * xs.length)];

/** A random tensor: floats in (−8, 8) with some exact halves (Round ties), ints in [−20, 20]. */
function tensor(r: R, dtype: number, shape: number[], opts: { positive?: boolean; lo?: number; hi?: number } = {}): CT {
  const n = numel(shape);
  const data = Float64Array.from({ length: n }, () => {
    if (dtype === BOOL) return r() < 0.5 ? 1 : 0;
    if (dtype === FLOAT) {
      const v = r() < 0.2 ? Math.round(r() * 16 - 8) + 0.5 : Math.fround((r() - 0.5) * 16);
      return Math.fround(opts.positive ? Math.abs(v) + 0.25 : v);
    }
    const v = ri(r, opts.lo ?? -20, opts.hi ?? 20);
    return opts.positive ? Math.abs(v) + 1 : v;
  });
  return { dtype, shape, data };
}

const shapeOf = (r: R): number[] => Array.from({ length: ri(r, 0, 3) }, () => ri(r, 1, 4));
/** A shape that broadcasts against s (dims dropped from the left or set to 1). */
const broadcastable = (r: R, s: number[]): number[] => s.slice(ri(r, 0, s.length)).map((d) => (r() < 0.3 ? 1 : d));

/** One random step whose inputs come from the pool (or fresh leaves). */
function randomStep(r: R, pool: Val[], leaf: (t: CT) => Val): Step {
  const any = (dtype?: number) => {
    const c = pool.filter((v) => dtype === undefined || v.t.dtype === dtype);
    return c.length && r() < 0.7 ? pickOf(r, c) : null;
  };
  const fresh = (dtype: number, shape = shapeOf(r), o = {}) => leaf(tensor(r, dtype, shape, o));
  const num = () => any(pickOf(r, [FLOAT, INT64, INT32])) ?? fresh(pickOf(r, [FLOAT, INT64, INT32]));
  const k = r();
  const a = num();
  const b = () => fresh(a.t.dtype, broadcastable(r, a.t.shape));
  const rank = a.t.shape.length;
  const axis = () => ri(r, -Math.max(rank, 1), Math.max(rank, 1) - 1);
  const kinds: (() => Step)[] = [
    () => ({ op: pickOf(r, ['Add', 'Sub', 'Mul', 'Max', 'Min']), ins: [a, b()] }),
    () => {
      const d = tensor(r, a.t.dtype, broadcastable(r, a.t.shape), { positive: r() < 0.5 });
      return { op: 'Div', ins: [a, leaf({ ...d, data: d.data.map((x) => x || 3) })] };
    },
    () => {
      const d = tensor(r, a.t.dtype, broadcastable(r, a.t.shape), { positive: a.t.dtype === FLOAT });
      const divisor = leaf({ ...d, data: d.data.map((x) => x || -7) });
      return { op: 'Mod', ins: [a, divisor], attrs: { fmod: a.t.dtype === FLOAT || r() < 0.5 ? 1 : 0 } };
    },
    () => ({ op: pickOf(r, ['Neg', 'Abs']), ins: [a] }),
    () => ({ op: pickOf(r, ['Floor', 'Ceil', 'Round', 'Relu']), ins: [any(FLOAT) ?? fresh(FLOAT)] }),
    () => ({ op: pickOf(r, ['Exp', 'Sigmoid', 'Tanh']), ins: [any(FLOAT) ?? fresh(FLOAT)], approx: true }),
    () => ({ op: pickOf(r, ['Sqrt', 'Reciprocal']), ins: [fresh(FLOAT, shapeOf(r), { positive: true })], approx: true }), // onnxruntime's Reciprocal is 1 ulp off at times
    () => ({ op: pickOf(r, ['Equal', 'Greater', 'Less', 'GreaterOrEqual', 'LessOrEqual']), ins: [a, b()] }),
    () => {
      const c = any(BOOL) ?? fresh(BOOL, broadcastable(r, a.t.shape));
      return { op: 'Where', ins: [c, a, b()] };
    },
    () => ({ op: 'Cast', ins: [a], attrs: { to: pickOf(r, [FLOAT, INT64, INT32, BOOL]) } }),
    () => ({ op: 'Shape', ins: [a], attrs: r() < 0.5 ? {} : { start: ri(r, -3, 2), end: ri(r, -2, 3) } }),
    () => {
      const d = rank ? a : fresh(a.t.dtype, [3, 2]);
      const ax = ri(r, -d.t.shape.length, d.t.shape.length - 1);
      const dim = d.t.shape[ax < 0 ? ax + d.t.shape.length : ax];
      return { op: 'Gather', ins: [d, leaf(tensor(r, INT64, r() < 0.5 ? [] : [ri(r, 1, 3)], { lo: -dim, hi: dim - 1 }))], attrs: { axis: ax } };
    },
    () => ({ op: 'Unsqueeze', ins: [a, leaf({ dtype: INT64, shape: [1], data: Float64Array.of(ri(r, -rank - 1, rank)) })] }),
    () => {
      const d = leaf(tensor(r, a.t.dtype, [...a.t.shape.slice(0, 1), 1, ...a.t.shape.slice(1)]));
      return { op: 'Squeeze', ins: [d, leaf({ dtype: INT64, shape: [1], data: Float64Array.of(a.t.shape.length ? 1 : 0) })] };
    },
    () => {
      const d = rank ? a : fresh(a.t.dtype, [3]);
      const ax = ri(r, -d.t.shape.length, d.t.shape.length - 1);
      const other = leaf(
        tensor(
          r,
          d.t.dtype,
          d.t.shape.map((s, i) => (i === (ax < 0 ? ax + d.t.shape.length : ax) ? ri(r, 1, 3) : s)),
        ),
      );
      return { op: 'Concat', ins: [d, other], attrs: { axis: ax } };
    },
    () => {
      const d = rank ? a : fresh(a.t.dtype, [5, 3]);
      const R = d.t.shape.length;
      const ax = ri(r, 0, R - 1);
      const step = pickOf(r, [1, 1, 2, -1, -2]);
      const i64 = (v: number) => leaf({ dtype: INT64, shape: [1], data: Float64Array.of(v) });
      return {
        op: 'Slice',
        ins: [d, i64(ri(r, -6, 6)), i64(pickOf(r, [ri(r, -6, 6), 2 ** 40, -(2 ** 40)])), i64(ax - (r() < 0.5 ? R : 0)), i64(step)],
      };
    },
    () => {
      const t = pickOf(r, [INT64, INT32, FLOAT]);
      const s = t === FLOAT ? 0.5 * ri(r, -6, 6) : ri(r, -6, 6);
      const d = pickOf(r, [1, 2, 3, -1, -2]) * (t === FLOAT ? 0.75 : 1);
      return { op: 'Range', ins: [s, s + ri(r, -9, 9), d].map((v) => leaf({ dtype: t, shape: [], data: Float64Array.of(v) })) };
    },
    () => ({
      op: 'Expand',
      ins: [
        a,
        leaf({ dtype: INT64, shape: [rank + 1], data: Float64Array.from([ri(r, 1, 3), ...a.t.shape.map((d) => (d === 1 ? ri(r, 1, 3) : d))]) }),
      ],
    }),
    () => ({ op: 'Tile', ins: [a, leaf({ dtype: INT64, shape: [rank], data: Float64Array.from(a.t.shape, () => ri(r, 1, 2)) })] }),
    () => {
      const d = rank ? a : fresh(a.t.dtype, [2, 3]);
      const R = d.t.shape.length;
      const axes = [...new Set(Array.from({ length: ri(r, 1, R) }, () => ri(r, 0, R - 1)))].map((x) => (r() < 0.5 ? x - R : x));
      const op = pickOf(r, ['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin']),
        keepdims = ri(r, 0, 1);
      // Opset 17: ReduceSum takes its axes as an input, the others as an attribute.
      if (op === 'ReduceSum')
        return {
          op,
          ins: [d, leaf({ dtype: INT64, shape: [axes.length], data: Float64Array.from(axes) })],
          attrs: { keepdims },
          approx: d.t.dtype === FLOAT,
        };
      return { op, ins: [d], attrs: { axes, keepdims }, approx: d.t.dtype === FLOAT };
    },
    () => {
      const d = rank ? a : fresh(a.t.dtype, [4]);
      return {
        op: 'CumSum',
        ins: [d, leaf({ dtype: INT64, shape: [], data: Float64Array.of(ri(r, -d.t.shape.length, d.t.shape.length - 1)) })],
        attrs: { exclusive: ri(r, 0, 1), reverse: ri(r, 0, 1) },
        approx: d.t.dtype === FLOAT,
      };
    },
    () => {
      const d = any(FLOAT) ?? fresh(FLOAT, [2, 3]);
      return { op: 'Softmax', ins: [d], attrs: { axis: d.t.shape.length ? ri(r, -d.t.shape.length, d.t.shape.length - 1) : -1 }, approx: true };
    },
    () => {
      const d = rank ? a : fresh(a.t.dtype, [2, 3]);
      const perm = d.t.shape.map((_, i) => i).sort(() => r() - 0.5);
      return { op: 'Transpose', ins: [d], attrs: { perm } };
    },
  ];
  return pickOf(r, kinds)();
}

/** Builds the chain as an ONNX graph (leaves are inputs, every value an output) and folds it. */
async function runCase(seed: number): Promise<{ compared: number; skipped: boolean }> {
  const r = rng(seed);
  const b = new GraphBuilder(`fold${seed}`);
  const feeds: Record<string, ort.Tensor> = {};
  const pool: Val[] = [];
  const leaf = (t: CT): Val => {
    const name = b.fresh('leaf');
    b.input(name, t.shape, t.dtype);
    const n = t.data.length;
    feeds[name] =
      t.dtype === FLOAT
        ? new ort.Tensor('float32', Float32Array.from(t.data), t.shape)
        : t.dtype === INT64
          ? new ort.Tensor(
              'int64',
              BigInt64Array.from(t.data, (v) => BigInt(v)),
              t.shape,
            )
          : t.dtype === INT32
            ? new ort.Tensor('int32', Int32Array.from(t.data), t.shape)
            : new ort.Tensor('bool', Uint8Array.from(t.data), t.shape);
    void n;
    return { name, t };
  };
  const folded: { name: string; t: CT; approx: boolean; what: string }[] = [];
  const nSteps = ri(r, 1, 4);
  for (let s = 0; s < nSteps; s++) {
    const st = randomStep(r, pool, leaf);
    const node = {
      opType: st.op,
      input: st.ins.map((v) => v?.name ?? ''),
      output: [b.fresh(st.op)],
      attribute: Object.entries(st.attrs ?? {}).map(([name, v]) => (Array.isArray(v) ? { name, type: 7, ints: v } : { name, type: 2, i: v })),
    } as onnx.INodeProto;
    let outs: CT[];
    try {
      outs = foldNode(
        node,
        st.ins.map((v) => v?.t),
        17,
        { node: st.op },
      )!;
    } catch (e) {
      // trit refused (a TritError, e.g. an out-of-range Cast): onnxruntime's answer is then undefined
      // behaviour or an error too; the refusal must be a TritError, never a crash.
      expect((e as Error).name, `${st.op}: ${(e as Error).message}`).toBe('TritError');
      if (process.env.TRIT_FOLD_VERBOSE) console.log(`refused: ${(e as Error).message}`);
      return { compared: 0, skipped: true };
    }
    b.nodes.push({ ...node, name: b.fresh(st.op) });
    const v = { name: node.output![0], t: outs[0] };
    b.output(v.name, null, v.t.dtype);
    pool.push(v);
    folded.push({
      ...v,
      approx: !!st.approx || folded.some((f) => f.approx && st.ins.some((x) => x?.name === f.name)),
      what: `${st.op}(${st.ins.map((x) => (x ? `${x.t.dtype}[${x.t.shape}]` : '-')).join(', ')}) ${JSON.stringify(st.attrs ?? {})}`,
    });
  }
  const sess = await ort.InferenceSession.create(b.encode(17));
  const res = await sess.run(feeds);
  let compared = 0;
  for (const f of folded) {
    const o = res[f.name];
    expect(o.dims, `shape of ${f.what}`).toEqual(f.t.shape);
    const got = Array.from(o.data as ArrayLike<number | bigint>, Number);
    for (let i = 0; i < got.length; i++) {
      const want = f.t.data[i];
      if (f.approx && got[i] !== want)
        expect(Math.abs(got[i] - want), `${f.what} [${i}]: ort ${got[i]}, trit ${want}`).toBeLessThanOrEqual(2 ** -17 * Math.abs(want) + 2 ** -20);
      else expect(Object.is(got[i], want) || got[i] === want, `${f.what} [${i}]: ort ${got[i]}, trit ${want}`).toBe(true);
      compared++;
    }
  }
  return { compared, skipped: false };
}

/** 400 in CI; TRIT_FOLD_CASES=N for a longer search. */
const CASES = Number(process.env.TRIT_FOLD_CASES ?? 400);

describe('constant folding equals onnxruntime', () => {
  it(`on ${CASES} random constant subgraphs`, async () => {
    let compared = 0,
      skipped = 0;
    for (let seed = 1; seed <= CASES; seed++) {
      const c = await runCase(seed);
      compared += c.compared;
      if (c.skipped) skipped++;
    }
    console.log(`folding: ${compared} values compared over ${CASES - skipped} subgraphs (${skipped} refused by trit with a TritError)`);
    expect(skipped).toBeLessThan(CASES / 10);
    expect(compared).toBeGreaterThan(CASES * 5);
  }, 120_000);

  it("integer Div truncates toward zero and Mod follows fmod, as torch's chunk arithmetic needs", () => {
    const i64 = (...v: number[]): CT => ({ dtype: INT64, shape: [v.length], data: Float64Array.from(v) });
    const fold = (op: string, a: CT, c: CT, attrs: { name: string; type: number; i: number }[] = []) =>
      Array.from(foldNode({ opType: op, input: ['a', 'b'], output: ['y'], attribute: attrs }, [a, c], 17, {})![0].data);
    expect(fold('Div', i64(193, -193, 7), i64(2, 2, -2))).toEqual([96, -96, -3]);
    expect(fold('Mod', i64(7, -7, 7, -7), i64(3, 3, -3, -3))).toEqual([1, 2, -2, -1]);
    expect(fold('Mod', i64(7, -7, 7, -7), i64(3, 3, -3, -3), [{ name: 'fmod', type: 2, i: 1 }])).toEqual([1, -1, 1, -1]);
    expect(() => fold('Div', i64(1), i64(0))).toThrow(/division by zero/);
    expect(() => fold('Mul', i64(2 ** 40), i64(2 ** 20))).toThrow(/beyond the 2\^53/);
  });
});
