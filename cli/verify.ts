/** @fileoverview `trit verify`: the interpreter (or a compiled module) against golden vectors, with per-layer errors and a hint on failure. */
import { TritError } from '../common/errors.js';
import { readInput } from '../compiler/util/files.js';
import { CALIBRATION_FILE, readGolden, verifyGolden, verifyRunner, DECISIVE_GAP, DEFAULT_TOLERANCES, type VerifyReport } from '../compiler/verify.js';
import { numel } from '../compiler/ir/types.js';
import { watchdog } from './watchdog.js';
import { TritSession } from '../runtime-wasm/host/session.js';
import { intFlag, LOWER, lowerFlags, numFlag, str, type Flags } from './options.js';
import type { Verb } from './verb.js';

export const verify: Verb = {
  name: 'verify',
  takesModel: true,
  forms: [
    {
      args: '<model|model.wasm>',
      required: ['golden'],
      options: ['json', 'min-agreement', 'max-rel-error', 'threads', 'timeout', ...LOWER],
      text: 'Run the IR interpreter (or, for a .wasm, the compiled module) on golden vectors; print per-output and per-layer errors and argmax agreement; exit 1 when outside the tolerances.',
    },
  ],
  run: (model, v) => verifyModel(model!, v),
};

async function verifyModel(path: string, v: Flags): Promise<number> {
  const goldenFile = str(v, 'golden');
  if (!goldenFile) throw new TritError('verify needs --golden <golden.safetensors>', {}, 'see docs/golden-format.md');
  const tol = {
    minAgreement: numFlag(v, 'min-agreement', DEFAULT_TOLERANCES.minAgreement),
    maxRelError: numFlag(v, 'max-rel-error', DEFAULT_TOLERANCES.maxRelError),
  };
  const golden = readGolden(readInput(goldenFile, 'golden .safetensors'), goldenFile);
  let r: VerifyReport;
  let irMeta: Record<string, string> = {};
  if (path.endsWith('.wasm')) {
    const s = await TritSession.create(path, { threads: intFlag(v, 'threads', 1, 1), name: path, guard: watchdog() });
    irMeta = s.meta.irMeta ?? {};
    try {
      r = verifyRunner(
        {
          inputs: s.meta.inputs.map((i) => ({ name: i.name, n: numel(i.shape) })),
          // The outputs that carry next states (no argmax for them): the IR metadata pairs each state
          // with its output ('state:x' = 'x -> new_x'); the state buffers themselves are named after the inputs.
          stateOutputs: new Set(
            Object.entries(irMeta)
              .filter(([k]) => k.startsWith('state:'))
              .map(([, v]) => v.split(' -> ')[1]),
          ),
          reset: () => s.reset(),
          run: (feed) => s.run(feed),
        },
        golden,
        tol,
      );
    } finally {
      await s.close();
    }
  } else {
    const { compileFile } = await import('../compiler/node.js');
    const c = compileFile(path, str(v, 'calibration'), lowerFlags(v));
    irMeta = c.ir.meta;
    r = verifyGolden(c, golden, tol);
  }
  if (v.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
  else process.stdout.write(renderReport(path, r, path.endsWith('.wasm') ? 'compiled wasm' : 'interpreter') + (r.pass ? '' : failHint(irMeta)));
  return r.pass ? 0 : 1;
}

/** What to try after a FAIL, from how the model was compiled (its IR metadata). */
function failHint(meta: Record<string, string>): string {
  const tips: string[] = [];
  if (meta.calibration === 'random') {
    tips.push(
      `its value formats were sized from random inputs: put a ${CALIBRATION_FILE} of representative inputs beside the model, or pass --calibration <file> (docs/golden-format.md)`,
    );
  }
  if (Number(meta.lut_density ?? 0) < 1024) tips.push('finer sigmoid/tanh tables: --lut-density 1024');
  tips.push('the per-layer errors above show where the error starts (docs/IR.md §8)');
  return `  hint: ${tips.join('; ')}\n`;
}

function renderReport(path: string, r: VerifyReport, what: string): string {
  const e = (x: number) => x.toExponential(2);
  const L = [`${path}: ${r.steps} golden steps, ${what} vs float reference`];
  const pct = (x: number | undefined) => (x === undefined ? '-' : (x * 100).toFixed(1) + '%');
  L.push(`  ${'output'.padEnd(24)}${'max abs err'.padStart(12)}${'rel err'.padStart(10)}${'argmax'.padStart(9)}${'decisive'.padStart(10)}  verdict`);
  for (const o of r.outputs) {
    L.push(
      `  ${o.name.padEnd(24)}${e(o.maxAbsError).padStart(12)}${e(o.relError).padStart(10)}${pct(o.argmaxAgreement).padStart(9)}${pct(o.decisiveAgreement).padStart(10)}  ${o.pass ? 'ok' : 'FAIL'}`,
    );
  }
  if (r.layers.length) {
    L.push(`  ${'layer'.padEnd(24)}${'max abs err'.padStart(12)}${'rel err'.padStart(10)}`);
    for (const o of r.layers) L.push(`  ${o.name.padEnd(24)}${e(o.maxAbsError).padStart(12)}${e(o.relError).padStart(10)}`);
  }
  if (r.layersMissing.length) L.push(`  layers folded away or not in the IR: ${r.layersMissing.join(', ')}`);
  if (r.saturations) L.push(`  saturated elements (explicit clamps): ${r.saturations}`);
  const dec = r.outputs.find((o) => o.decisiveSteps !== undefined);
  L.push(
    `${r.pass ? 'PASS' : 'FAIL'}: argmax agreement ${(r.decisiveAgreement * 100).toFixed(2)}% on the ${dec?.decisiveSteps ?? r.steps} decisive steps ` +
      `(min ${(r.tolerances.minAgreement * 100).toFixed(1)}%; ${(r.argmaxAgreement * 100).toFixed(2)}% on all ${r.steps}, near-ties included), relative error limit ${r.tolerances.maxRelError}`,
  );
  L.push(`  decisive: the reference's top two scores are more than ${DECISIVE_GAP * 100}% of its score range apart (docs/golden-format.md)`);
  return L.join('\n') + '\n';
}
