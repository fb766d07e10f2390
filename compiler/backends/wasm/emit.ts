/**
 * @fileoverview Module emission: the kernels (runtime-wasm/assembly, compiled by asc) plus the
 * generated functions — `run` and `advance` (the schedule, every address constant), `runJob`
 * (the matrix work threads share), `reset`, `worker`, `stop`, and one loop per fused elementwise
 * chain (render-fused.ts) — optimised by binaryen. With render-fused.ts, the only files of the
 * back-end that import binaryen.
 */
import binaryen from 'binaryen';
import type { Arg, Call, FusedCall, Job } from './schedule.js';
import { addFusedFunction } from './render-fused.js';

export interface Schedule {
  runCalls: Call[];
  advanceCalls: Call[];
  jobs: Job[];
  ctl: number;
  commits: { state: number; staging: number; bytes: number }[];
  states: { offset: number; bytes: number }[];
  /** Partial-sum buffers of chunks 1.., one `stride` (elements) each. */
  scratch: number;
  stride: number;
  /** Generated elementwise loops (fuse.ts, render-fused.ts). */
  fused: FusedCall[];
}

type Fns = Map<string, { name: string; params: number[] }>;

/** Builds the code: kernels + generated schedule functions, validated and optimised at `level`. */
export function emitModule(kernels: Uint8Array, s: Schedule, level: number): Uint8Array {
  const m = binaryen.readBinary(kernels);
  try {
    m.setFeatures(
      binaryen.Features.MVP |
        binaryen.Features.SIMD128 |
        binaryen.Features.BulkMemory |
        binaryen.Features.BulkMemoryOpt |
        binaryen.Features.Atomics |
        binaryen.Features.SignExt |
        binaryen.Features.NontrappingFPToInt |
        binaryen.Features.MutableGlobals |
        binaryen.Features.RelaxedSIMD,
    );
    const fns = kernelExports(m);
    for (const f of s.fused) {
      addFusedFunction(m, f.name, f.loop, f.inputs, f.out);
      fns.set(f.name, { name: f.name, params: [] });
    }
    addSchedule(m, fns, s);
    replaceRunJob(m, runJobBody(m, fns, s));
    const { i32, none } = binaryen;
    m.addFunction(
      'worker',
      binaryen.createType([i32, i32, i32]),
      none,
      [],
      m.call(fns.get('workerLoop')!.name, [m.i32.const(s.ctl), m.local.get(0, i32), m.local.get(1, i32), m.local.get(2, i32)], none),
    );
    m.addFunction(
      'stop',
      binaryen.createType([i32]),
      none,
      [],
      m.call(fns.get('stopWorkers')!.name, [m.i32.const(s.ctl), m.local.get(0, i32)], none),
    );
    for (const name of [...fns.keys()]) if (name !== 'memory' && !name.startsWith('fused')) m.removeExport(name);
    for (const name of ['run', 'advance', 'reset', 'worker', 'stop']) m.addFunctionExport(name, name);
    if (!m.validate()) throw new Error('binaryen rejected the generated module (a trit bug)');
    binaryen.setOptimizeLevel(level);
    binaryen.setShrinkLevel(0);
    if (level > 0) m.optimize();
    // TRIT_WASM_NAMES=1 keeps function names (profiling). `globalThis.process`: the compiler
    // also runs in browsers (the demo compiles dropped ONNX files), where there is no process.
    binaryen.setDebugInfo((globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.TRIT_WASM_NAMES === '1');
    return m.emitBinary();
  } finally {
    m.dispose();
  }
}

/** Kernel exports → internal names and parameter types. */
function kernelExports(m: binaryen.Module): Fns {
  const fns: Fns = new Map();
  for (let i = 0; i < m.getNumExports(); i++) {
    const e = binaryen.getExportInfo(m.getExportByIndex(i));
    if (e.kind !== binaryen.ExternalFunction) continue;
    const f = binaryen.getFunctionInfo(m.getFunction(e.value));
    fns.set(e.name, { name: e.value, params: binaryen.expandType(f.params) });
  }
  return fns;
}

/** A constant of the kernel parameter's type. */
function konst(m: binaryen.Module, v: Arg, t: number): number {
  if (t === binaryen.i64) return (m.i64.const as unknown as (v: bigint) => number)(BigInt.asIntN(64, BigInt(v as number | bigint)));
  if (t === binaryen.f64) return m.f64.const(Number(v));
  return m.i32.const(Number(v) | 0);
}

/** `run(n)`, `advance(n)` and `reset()`: straight lists of kernel calls, then the state commits. */
function addSchedule(m: binaryen.Module, fns: Fns, s: Schedule): void {
  const { i32, none } = binaryen;
  const call = (c: Call): number => {
    const f = fns.get(c.fn);
    if (!f) throw new Error(`kernel ${c.fn} is missing from the kernel module`);
    return m.call(
      f.name,
      c.args.map((a, i) => (a === 'n' ? m.local.get(0, i32) : konst(m, a, f.params[i]))),
      none,
    );
  };
  const commit = s.commits.map((c) => m.memory.copy(m.i32.const(c.state), m.i32.const(c.staging), m.i32.const(c.bytes)));
  const body = (calls: Call[]) => m.block(null, [...calls.map(call), ...commit]);
  m.addFunction('run', binaryen.createType([i32]), none, [], body(s.runCalls));
  m.addFunction('advance', binaryen.createType([i32]), none, [], body(s.advanceCalls));
  m.addFunction(
    'reset',
    none,
    none,
    [],
    m.block(null, s.states.map((st) => m.memory.fill(m.i32.const(st.offset), m.i32.const(0), m.i32.const(st.bytes))).concat([m.nop()])),
  );
}

/** runJob(job, c, n): a br_table over the jobs; chunk c of n runs units [u·c/n, u·(c+1)/n). */
function runJobBody(m: binaryen.Module, fns: Fns, s: Schedule): number {
  const { i32, none } = binaryen;
  const job = () => m.local.get(0, i32),
    chunk = () => m.local.get(1, i32),
    chunks = () => m.local.get(2, i32);
  const share = (units: number, which: number) =>
    m.i32.div_u(m.i32.mul(m.i32.const(units), which ? m.i32.add(chunk(), m.i32.const(1)) : chunk()), chunks());
  const labels = s.jobs.map((_, i) => `j${i}`);
  let cur = m.block(labels[0] ?? 'jdef', [m.switch(labels, 'jdef', job())]);
  s.jobs.forEach((jb, i) => {
    const f = fns.get(jb.fn)!;
    let args: number[];
    if (jb.fn === 'matmulLutShare') {
      // Chunk 0 writes the result; chunk c > 0 its partial buffer, which combine adds.
      const [o, ...rest] = jb.fixed as number[];
      const outT = m.select(
        m.i32.eqz(chunk()),
        m.i32.const(o),
        m.i32.add(m.i32.const(s.scratch), m.i32.mul(m.i32.sub(chunk(), m.i32.const(1)), m.i32.const(s.stride * 4))),
      );
      args = [outT, ...rest.map((a, k) => konst(m, a, f.params[k + 1])), share(jb.units, 0), share(jb.units, 1), m.i32.const(jb.build ?? 0)];
    } else {
      args = [...jb.fixed.map((a, k) => konst(m, a, f.params[k])), share(jb.units, 0), share(jb.units, 1)];
    }
    cur = m.block(i + 1 < labels.length ? labels[i + 1] : 'jdef', [cur, m.call(f.name, args, none), m.return()]);
  });
  if (!s.jobs.length) cur = m.block('jdef', [m.drop(job())]);
  return cur;
}

/** Replaces the kernels' imported trit.runJob with the generated body. */
function replaceRunJob(m: binaryen.Module, body: number): void {
  let runJobName = '';
  for (let i = 0; i < m.getNumFunctions(); i++) {
    const f = binaryen.getFunctionInfo(m.getFunctionByIndex(i));
    if (f.module === 'trit' && f.base === 'runJob') runJobName = f.name;
  }
  if (!runJobName) throw new Error('kernel module does not import trit.runJob');
  m.removeFunction(runJobName);
  m.addFunction(runJobName, binaryen.createType([binaryen.i32, binaryen.i32, binaryen.i32]), binaryen.none, [], body);
}
