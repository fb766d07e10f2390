/** @fileoverview `trit inspect`: a model's IR summary and per-inference operation counts, or a compiled module's metadata. */
import { writeOutput } from '../compiler/util/outputs.js';
import { join } from 'node:path';
import { isDirectory, readInput } from '../compiler/util/files.js';
import { typeToString } from '../compiler/ir/types.js';
import { readMeta } from '../runtime-wasm/host/session.js';
import { LOWER, lowerFlags, str, type Flags } from './options.js';
import { fmt, type Verb } from './verb.js';

export const inspect: Verb = {
  name: 'inspect',
  takesModel: true,
  forms: [
    {
      args: '<model>',
      options: ['json', 'ir', ...LOWER],
      text: 'Import and lower the model; print its IR summary and per-inference operation counts (for a directory also its config, tensors, dtypes and tokenizer; for a .wasm its metadata).',
    },
  ],
  run: (model, v) => inspectModel(model!, v),
};

async function inspectModel(path: string, v: Flags): Promise<number> {
  if (path.endsWith('.wasm')) return inspectWasm(path, v.json === true);
  // The compiler is imported here, not at the top: `trit inspect x.wasm` and the other verbs start without it.
  const { compileFile } = await import('../compiler/node.js');
  const { printGraph } = await import('../compiler/ir/text.js');
  const c = compileFile(path, str(v, 'calibration'), lowerFlags(v));
  const ir = str(v, 'ir');
  if (ir) writeOutput(ir, printGraph(c.ir), (l) => process.stderr.write(`${l}\n`));
  const s = c.stats;
  if (v.json) {
    const { opCounts, ...stats } = s;
    process.stdout.write(
      JSON.stringify(
        {
          model: path,
          name: c.ir.name,
          meta: c.ir.meta,
          inputs: c.ir.inputs.map((i) => ({ name: i.name, type: typeToString(i.type) })),
          outputs: c.ir.outputs.map((o) => o.name),
          states: c.ir.states.map((x) => ({ name: x.name, type: typeToString(x.type) })),
          stats,
          ops: opCounts,
        },
        null,
        2,
      ) + '\n',
    );
    return 0;
  }
  const L: string[] = [];
  if (isDirectory(path)) {
    L.push(...(await describeCheckpoint(path)));
    L.push(`${path}: ${c.ir.name}  (sha256 of config + tensors ${c.ir.meta.source_sha256.slice(0, 16)}…)`);
  } else {
    L.push(`${path}: ${c.ir.name}  (sha256 ${c.ir.meta.source_sha256.slice(0, 16)}…, opset ${c.ir.meta.opset})`);
  }
  L.push(`  inputs   ${c.ir.inputs.map((i) => `${i.name} ${typeToString(i.type)}`).join(', ')}`);
  L.push(`  outputs  ${c.ir.outputs.map((o) => o.name).join(', ')}`);
  if (c.ir.states.length) L.push(`  state    ${c.ir.states.map((x) => `${x.name} ${typeToString(x.type)}`).join(', ')}`);
  L.push(
    `  IR       ${s.nodes} nodes: ${Object.entries(s.opCounts)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  L.push('');
  L.push('per inference (one decode step for recurrent models):');
  const rows: [string, string][] = [
    ['adds', fmt(s.adds)],
    ['subs', fmt(s.subs)],
    ['weight multiplies', fmt(s.weightMultiplies)],
    ['constant multiplies (shift-and-add)', fmt(s.constMultiplies)],
    ['elementwise multiplies', fmt(s.elementwiseMultiplies)],
    ['table lookups', fmt(s.lookups)],
    ['ternary weights', `${fmt(s.ternaryWeights)} (${(s.weightSparsity * 100).toFixed(1)}% zero)`],
    ['weight bytes (2 bits/weight)', fmt(s.weightBytes)],
    ['other constant bytes', fmt(s.constBytes)],
    ['state bytes', fmt(s.stateBytes)],
  ];
  for (const [k, v] of rows) L.push(`  ${k.padEnd(38)}${v.padStart(16)}`);
  process.stdout.write(L.join('\n') + '\n');
  return 0;
}

/** What a checkpoint directory holds: files, dtypes, parameters, config, tokenizer (headers only). */
async function describeCheckpoint(dir: string): Promise<string[]> {
  const { nodeCheckpointIO } = await import('../compiler/frontends/hf/node-io.js');
  const { openCheckpoint } = await import('../compiler/frontends/hf/checkpoint.js');
  const { hgrnBitShape } = await import('../compiler/frontends/hf/config.js');
  const { tokenizerFor } = await import('../compiler/node.js');
  const io = nodeCheckpointIO();
  try {
    const ck = openCheckpoint(dir, io);
    const shape = hgrnBitShape(ck.config, join(dir, 'config.json'));
    const dtypes = new Map<string, number>();
    let params = 0,
      bytes = 0;
    for (const t of ck.tensors.values()) {
      const n = t.shape.reduce((a, b) => a * b, 1);
      dtypes.set(t.dtype, (dtypes.get(t.dtype) ?? 0) + n);
      params += n;
      bytes += t.bytes;
    }
    const tk = tokenizerFor(dir);
    return [
      `${dir}: Hugging Face checkpoint, model_type hgrn_bit (MatMul-free LM)`,
      `  config   hidden_size ${shape.hidden}, ${shape.layers} layers, intermediate ${shape.intermediate}, vocab ${shape.vocab}, rms_norm_eps ${shape.rmsNormEps}, lower bounds ${shape.useLowerBound ? 'yes' : 'no'}`,
      `  weights  ${ck.tensors.size} tensors, ${fmt(params)} parameters, ${(bytes / 2 ** 20).toFixed(1)} MiB in ${ck.files.length} file${ck.files.length > 1 ? 's' : ''} (${[...dtypes].map(([k, n]) => `${k} ${fmt(n)}`).join(', ')})`,
      `  tokenizer ${tk ? `${tk.file} (${tk.format}, ${fmt(tk.size)} tokens${tk.addBos ? ', prompts start with <s>' : ''})` : 'none (byte tokens)'}`,
      '',
    ];
  } finally {
    io.close();
  }
}

function inspectWasm(path: string, json: boolean): number {
  const m = readMeta(readInput(path, 'model .wasm'), path);
  if (json) {
    process.stdout.write(JSON.stringify(m, null, 2) + '\n');
    return 0;
  }
  const L = [`${path}: ${m.model} (${m.kind}), compiled by trit ${m.tritVersion}, ${m.simd} SIMD, source sha256 ${m.sourceSha256.slice(0, 16)}…`];
  L.push(`  inputs   ${m.inputs.map((i) => `${i.name} ${i.dtype}[${i.shape}]`).join(', ')}`);
  L.push(`  outputs  ${m.outputs.map((i) => `${i.name} ${i.dtype}[${i.shape}]`).join(', ')}`);
  L.push(`  memory   ${(m.pages / 16).toFixed(1)} MiB (weights ${(m.sizes.weights / 2 ** 20).toFixed(2)} MiB)`);
  if (m.vocab) L.push(`  vocab    ${m.vocab.length} tokens`);
  process.stdout.write(L.join('\n') + '\n');
  return 0;
}
