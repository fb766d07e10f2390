/** @fileoverview The `trit` custom section of a linked module: what the runtime needs to know (runtime-wasm/host/format.ts). */
import type { IRGraph } from '../../ir/graph.js';
import { graphStats } from '../../ir/stats.js';
import type { TensorType } from '../../ir/types.js';
import { VERSION } from '../../../common/version.js';
import { WASM_FORMAT, type WasmMeta } from '../../../runtime-wasm/host/format.js';
import { slot, type Values } from './layout.js';

/** The output a user wants (logits, scores): 'logits' if present, else the first that is not a state. */
function primaryOutput(g: IRGraph): string {
  const stateValues = new Set(g.nodes.filter((n) => n.op === 'state_write').map((n) => n.out));
  return (g.outputs.find((o) => o.name === 'logits') ?? g.outputs.find((o) => !stateValues.has(o.value)) ?? g.outputs[0]).name;
}

function guessKind(g: IRGraph): WasmMeta['kind'] {
  if (g.states.length && g.inputs.some((i) => i.type.dtype !== 'f32')) return 'lm';
  if (g.inputs.length === 1 && g.inputs[0].type.dtype === 'f32') return 'classifier';
  return 'other';
}

export interface MetaParts {
  values: Values;
  typeOf: (name: string) => TensorType;
  pages: number;
  ctl: number;
  maxThreads: number;
  threading: WasmMeta['threading'];
  simd: WasmMeta['simd'];
  sizes: WasmMeta['sizes'];
  vocab?: string[];
  classes?: string[];
  tokenizer?: WasmMeta['tokenizer'];
}

export function buildMeta(g: IRGraph, p: MetaParts): WasmMeta {
  return {
    format: WASM_FORMAT,
    tritVersion: VERSION,
    model: g.name,
    sourceSha256: g.meta.source_sha256 ?? '',
    kind: guessKind(g),
    vocab: p.vocab,
    classes: p.classes,
    tokenizer: p.tokenizer,
    inputs: p.values.inputs,
    outputs: g.outputs.map((out) => slot(out.name, p.typeOf(out.value), p.values.addr.get(out.value)!)),
    primary: primaryOutput(g),
    states: p.values.states,
    pages: p.pages,
    ctl: p.ctl,
    maxThreads: p.maxThreads,
    threading: p.threading,
    simd: p.simd,
    sizes: p.sizes,
    stats: Object.fromEntries(Object.entries(graphStats(g)).filter(([, v]) => typeof v === 'number')) as Record<string, number>,
    irMeta: g.meta,
  };
}
