/**
 * @fileoverview Golden-vector verification: run the IR interpreter on a golden file's inputs and
 * compare every output (and any recorded layer) with the float reference's values.
 *
 * Golden format (docs/golden-format.md): safetensors with `input.<name>` and `output.<name>` of
 * shape [S, ...], optional `layer.<onnx tensor>` intermediates and `reset` [S] (1 = zero the state
 * before this step). Stateful models are run as sequences; the interpreter carries its own state.
 */
import { TritError } from '../common/errors.js';
import { readSafetensors, type STensor } from './formats/safetensors.js';
import { Interpreter } from './interp/interp.js';
import type { Compiled } from './compile.js';
import type { CalibSequence } from './lower/calibrate.js';
import { numel } from './ir/types.js';

/** How close is close enough; defaults are the fidelity targets. */
export interface Tolerances {
  /** Minimum fraction of steps whose argmax matches, for outputs with a class/vocab axis. */
  minAgreement: number;
  /** Maximum relative error (max |err| / max |ref|) of each output. */
  maxRelError: number;
}

export const DEFAULT_TOLERANCES: Tolerances = { minAgreement: 0.995, maxRelError: 0.05 };

/** A step is decisive when the reference's top two scores are further apart than this fraction of
 *  its score range (max − min). Closer calls are float noise: PyTorch in float32 and the same ONNX
 *  evaluated exactly (float64) already disagree on 0.4% of mmfree-shakespeare-char's first 2,000
 *  validation characters, every one of them a near-tie (docs/golden-format.md). */
export const DECISIVE_GAP = 0.01;

/** Comparison of one tensor over all steps. */
export interface Comparison {
  name: string;
  maxAbsError: number;
  meanAbsError: number;
  relError: number;
  argmaxAgreement?: number;
  /** Agreement over the decisive steps only (DECISIVE_GAP); what PASS/FAIL is judged on. */
  decisiveAgreement?: number;
  /** How many steps were decisive. */
  decisiveSteps?: number;
  pass?: boolean;
}

/** What `trit verify` reports (and prints with --json). */
export interface VerifyReport {
  pass: boolean;
  steps: number;
  argmaxAgreement: number;
  /** The lowest decisive-step agreement over the outputs with a class or vocabulary axis. */
  decisiveAgreement: number;
  outputs: Comparison[];
  layers: Comparison[];
  layersMissing: string[];
  saturations: number;
  tolerances: Tolerances;
}

/** The file trit reads calibration inputs from when it sits beside the model (or in its directory). */
export const CALIBRATION_FILE = 'calibration.safetensors';

/** Golden data decoded from bytes. */
export interface Golden {
  steps: number;
  inputs: Map<string, STensor>;
  outputs: Map<string, STensor>;
  layers: Map<string, STensor>;
  reset: Float64Array;
}

/** Reads and checks a golden safetensors file. */
export function readGolden(bytes: Uint8Array, file = '<golden>'): Golden {
  const { tensors } = readSafetensors(bytes, file);
  const pick = (prefix: string) => new Map([...tensors].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
  const inputs = pick('input.'),
    outputs = pick('output.'),
    layers = pick('layer.');
  if (outputs.size === 0) throw new TritError('golden file has no output.* tensors', { file }, 'see docs/golden-format.md');
  const all = [...inputs.values(), ...outputs.values(), ...layers.values()];
  const S = all[0].shape[0] ?? 0;
  for (const [k, t] of [...tensors]) {
    if (k !== 'reset' && (t.shape.length < 1 || t.shape[0] !== S))
      throw new TritError(
        `has ${t.shape[0] ?? 'no'} steps, others have ${S}`,
        { file, tensor: k },
        'every tensor is [steps, …] (docs/golden-format.md)',
      );
  }
  if (S === 0) throw new TritError('golden file has no steps', { file }, 'see docs/golden-format.md');
  checkFinite(inputs, 'input.', file);
  const reset = tensors.get('reset')?.data ?? Float64Array.from({ length: S }, (_, i) => (i === 0 ? 1 : 0));
  if (reset.length !== S) throw new TritError(`reset has ${reset.length} entries for ${S} steps`, { file, tensor: 'reset' });
  return { steps: S, inputs, outputs, layers, reset };
}

/** Inputs must be finite numbers: a NaN would flow through calibration into every format. */
function checkFinite(inputs: Map<string, STensor>, prefix: string, file: string): void {
  for (const [k, t] of inputs)
    for (let i = 0; i < t.data.length; i++)
      if (!Number.isFinite(t.data[i]))
        throw new TritError(`holds ${t.data[i]} at element ${i}`, { file, tensor: prefix + k }, 'inputs must be finite numbers');
}

/** Calibration inputs from a safetensors file in the golden layout: `input.<name>` [S, …] and
 *  optional `reset` [S]; outputs are not needed (a golden file works too). One sequence per reset. */
export function readCalibration(bytes: Uint8Array, file = '<calibration>'): CalibSequence[] {
  const { tensors } = readSafetensors(bytes, file);
  const inputs = [...tensors].filter(([k]) => k.startsWith('input.')).map(([k, v]) => [k.slice(6), v] as const);
  if (inputs.length === 0)
    throw new TritError('calibration file has no input.* tensors', { file }, 'see docs/golden-format.md (calibration files hold inputs only)');
  const S = inputs[0][1].shape[0];
  for (const [k, t] of inputs)
    if (t.shape.length < 1 || t.shape[0] !== S)
      throw new TritError(`has ${t.shape[0] ?? 'no'} steps, others have ${S}`, { file, tensor: `input.${k}` });
  checkFinite(new Map(inputs), 'input.', file);
  const reset = tensors.get('reset')?.data;
  if (reset && reset.length !== S) throw new TritError(`reset has ${reset.length} entries for ${S} steps`, { file, tensor: 'reset' });
  const seqs: CalibSequence[] = [];
  for (let s = 0; s < S; s++) {
    if ((reset ? reset[s] : s === 0) || seqs.length === 0) seqs.push([]);
    const step: Record<string, Float64Array> = {};
    for (const [name, t] of inputs) {
      const n = numel(t.shape.slice(1));
      step[name] = t.data.slice(s * n, (s + 1) * n);
    }
    seqs.at(-1)!.push(step);
  }
  return seqs;
}

/** Whether the top two of a[off, off+n) are more than DECISIVE_GAP of the range apart. */
export function isDecisive(a: ArrayLike<number>, off: number, n: number): boolean {
  let hi = -Infinity,
    second = -Infinity,
    lo = Infinity;
  for (let i = 0; i < n; i++) {
    const v = a[off + i];
    lo = Math.min(lo, v);
    if (v > hi) {
      second = hi;
      hi = v;
    } else if (v > second) second = v;
  }
  return hi - second > DECISIVE_GAP * (hi - lo);
}

const argmax = (a: ArrayLike<number>, off: number, n: number) => {
  let b = 0;
  for (let i = 1; i < n; i++) if (a[off + i] > a[off + b]) b = i;
  return b;
};

/** Runs the compiled model on the golden inputs and compares. */
export function verifyGolden(c: Compiled, golden: Golden, tol: Tolerances = DEFAULT_TOLERANCES): VerifyReport {
  const it = new Interpreter(c.ir);
  const stateOuts = new Set(c.float.states.map((s) => s.output));
  const stateIns = new Set(c.float.states.map((s) => s.input));
  for (const i of c.ir.inputs) {
    if (!golden.inputs.has(i.name))
      throw new TritError(`golden file has no input.${i.name}`, { tensor: i.name }, 'regenerate the golden vectors for this model');
  }
  const got = new Map<string, Float64Array>();
  const gotLayers = new Map<string, Float64Array>();
  const layerNames = [...golden.layers.keys()].filter((k) => c.valueMap.has(k));
  const missing = [...golden.layers.keys()].filter((k) => !c.valueMap.has(k) && !stateIns.has(k));
  let saturations = 0;
  for (let s = 0; s < golden.steps; s++) {
    if (golden.reset[s]) it.reset();
    const feed: Record<string, ArrayLike<number>> = {};
    for (const i of c.ir.inputs) {
      const t = golden.inputs.get(i.name)!;
      const n = numel(t.shape.slice(1));
      if (n !== numel(i.type.shape))
        throw new TritError(`golden input has ${n} elements per step, the model wants ${numel(i.type.shape)}`, { tensor: `input.${i.name}` });
      feed[i.name] = t.data.subarray(s * n, (s + 1) * n);
    }
    const r = it.run(feed, { record: layerNames.length > 0 });
    for (const v of r.saturations.values()) saturations += v;
    for (const [name, ref] of golden.outputs) {
      const out = r.outputs[name];
      if (!out) throw new TritError(`the model has no output '${name}'`, { tensor: `output.${name}` });
      const n = out.length;
      if (numel(ref.shape.slice(1)) !== n)
        throw new TritError(`golden output has ${numel(ref.shape.slice(1))} elements per step, the model gives ${n}`, { tensor: `output.${name}` });
      if (!got.has(name)) got.set(name, new Float64Array(ref.data.length));
      got.get(name)!.set(out, s * n);
    }
    for (const name of layerNames) {
      const m = c.valueMap.get(name)!;
      const v = r.values!.get(m.value)!;
      const ref = golden.layers.get(name)!;
      if (numel(ref.shape.slice(1)) !== v.length) continue;
      if (!gotLayers.has(name)) gotLayers.set(name, new Float64Array(ref.data.length));
      const dst = gotLayers.get(name)!;
      for (let i = 0; i < v.length; i++) dst[s * v.length + i] = v[i] * 2 ** -m.frac;
    }
  }
  const layers = layerNames.filter((n) => gotLayers.has(n)).map((n) => compare(n, gotLayers.get(n)!, golden.layers.get(n)!));
  return report(golden, got, stateOuts, tol, { layers, layersMissing: missing, saturations });
}

/** A compiled module (or anything else) run step by step: what `verifyRunner` drives. */
export interface StepRunner {
  /** Inputs by name with their element counts. */
  inputs: { name: string; n: number }[];
  /** Outputs that are recurrent states (no argmax agreement for them). */
  stateOutputs: Set<string>;
  reset(): void;
  run(feed: Record<string, ArrayLike<number>>): Record<string, ArrayLike<number>>;
}

/** Runs a runner (a compiled .wasm through the runtime) on the golden inputs and compares its
 *  outputs; the back-ends equal the interpreter bit for bit, so this checks the same thing at
 *  their speed (a 370M-parameter model takes seconds per hundred steps instead of minutes). */
export function verifyRunner(r: StepRunner, golden: Golden, tol: Tolerances = DEFAULT_TOLERANCES): VerifyReport {
  for (const i of r.inputs) {
    const t = golden.inputs.get(i.name);
    if (!t) throw new TritError(`golden file has no input.${i.name}`, { tensor: i.name }, 'regenerate the golden vectors for this model');
    if (numel(t.shape.slice(1)) !== i.n)
      throw new TritError(`golden input has ${numel(t.shape.slice(1))} elements per step, the model wants ${i.n}`, { tensor: `input.${i.name}` });
  }
  const got = new Map<string, Float64Array>();
  for (let s = 0; s < golden.steps; s++) {
    if (golden.reset[s]) r.reset();
    const feed: Record<string, ArrayLike<number>> = {};
    for (const i of r.inputs) feed[i.name] = golden.inputs.get(i.name)!.data.subarray(s * i.n, (s + 1) * i.n);
    const out = r.run(feed);
    for (const [name, ref] of golden.outputs) {
      const o = out[name];
      if (!o) throw new TritError(`the model has no output '${name}'`, { tensor: `output.${name}` });
      const n = numel(ref.shape.slice(1));
      if (o.length !== n) throw new TritError(`golden output has ${n} elements per step, the model gives ${o.length}`, { tensor: `output.${name}` });
      if (!got.has(name)) got.set(name, new Float64Array(ref.data.length));
      got.get(name)!.set(o, s * n);
    }
  }
  return report(golden, got, r.stateOutputs, tol, { layers: [], layersMissing: [], saturations: 0 });
}

function report(
  golden: Golden,
  got: Map<string, Float64Array>,
  stateOuts: Set<string>,
  tol: Tolerances,
  rest: Pick<VerifyReport, 'layers' | 'layersMissing' | 'saturations'>,
): VerifyReport {
  const outputs = [...golden.outputs].map(([name, ref]) => {
    const cmp = compare(name, got.get(name)!, ref);
    const last = ref.shape.at(-1) ?? 1;
    if (!stateOuts.has(name) && last > 1) {
      let agree = 0,
        decisive = 0,
        agreeDecisive = 0;
      const rows = ref.data.length / last;
      for (let r = 0; r < rows; r++) {
        const same = argmax(ref.data, r * last, last) === argmax(got.get(name)!, r * last, last);
        if (same) agree++;
        if (isDecisive(ref.data, r * last, last)) {
          decisive++;
          if (same) agreeDecisive++;
        }
      }
      cmp.argmaxAgreement = agree / rows;
      cmp.decisiveSteps = decisive;
      cmp.decisiveAgreement = decisive ? agreeDecisive / decisive : 1;
    }
    cmp.pass = cmp.relError <= tol.maxRelError && (cmp.decisiveAgreement === undefined || cmp.decisiveAgreement >= tol.minAgreement);
    return cmp;
  });
  const agreements = outputs.map((o) => o.argmaxAgreement).filter((a): a is number => a !== undefined);
  const decisive = outputs.map((o) => o.decisiveAgreement).filter((a): a is number => a !== undefined);
  return {
    pass: outputs.every((o) => o.pass),
    steps: golden.steps,
    argmaxAgreement: agreements.length ? Math.min(...agreements) : 1,
    decisiveAgreement: decisive.length ? Math.min(...decisive) : 1,
    outputs,
    ...rest,
    tolerances: tol,
  };
}

function compare(name: string, got: Float64Array, ref: STensor): Comparison {
  let maxAbs = 0,
    sumAbs = 0,
    refMax = 0;
  for (let i = 0; i < got.length; i++) {
    const e = Math.abs(got[i] - ref.data[i]);
    maxAbs = Math.max(maxAbs, e);
    sumAbs += e;
    refMax = Math.max(refMax, Math.abs(ref.data[i]));
  }
  return { name, maxAbsError: maxAbs, meanAbsError: sumAbs / Math.max(got.length, 1), relError: refMax > 0 ? maxAbs / refMax : maxAbs };
}
