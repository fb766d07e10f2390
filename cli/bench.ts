/** @fileoverview `trit bench`: the benchmark suite on this machine (docs/benchmarks.md). */
import { existsSync } from 'node:fs';
import { TritError } from '../common/errors.js';
import { intFlag, oneOf, type Flags } from './options.js';
import type { Verb } from './verb.js';

export const bench: Verb = {
  name: 'bench',
  takesModel: false,
  forms: [
    {
      args: '',
      options: ['quick', 'output', 'repeats', 'big', 'no-big', 'fpga', 'watts-per-core', 'mnist', 'json'],
      text:
        'Kernel throughput against a streaming roofline; decode tokens/s, first-token latency and peak memory for trit wasm (1, 2 threads), ' +
        'onnxruntime-node, onnxruntime-web and PyTorch; classifier images/s; compile time; UP5K builds; energy per token (measured, modelled or ' +
        'op-count model, each labelled). Writes <out>/<date>-<host>.json and <out>/<date>-<host>/report.md with SVG plots. ' +
        'A full run took 24 minutes on a 2-core machine; add ~15 if the UP5K builds are missing and ~1 to generate the 370M model.',
    },
  ],
  run: (_model, v) => benchSuite(v),
};

async function benchSuite(v: Flags): Promise<number> {
  const fpga = oneOf(v, 'fpga', ['auto', 'skip', 'rebuild'] as const, 'auto');
  const wpc = v['watts-per-core'] !== undefined ? Number(v['watts-per-core']) : undefined;
  if (wpc !== undefined && !(wpc > 0 && wpc < 1000))
    throw new TritError(`--watts-per-core must be a positive number of watts, not '${v['watts-per-core']}'`);
  if (v.big !== undefined && !existsSync(v.big as string))
    throw new TritError('no such folder', { file: v.big as string }, 'give a folder made by models/make_random.py --shape 370M');
  const repeats = v.repeats !== undefined ? intFlag(v, 'repeats', 3, 1) : undefined;
  // Imported here: the benchmark pulls in tinybench and the HDL tools, which other verbs do not need.
  const { runBench } = await import('../bench/suite/index.js').catch((e: { code?: string }) => {
    if (e.code !== 'ERR_MODULE_NOT_FOUND') throw e;
    throw new TritError(
      'the benchmark suite is not part of the installed package (it needs the model zoo and the baselines)',
      {},
      'run it from a clone of the repository: npm ci && npm run bench',
    );
  });
  const r = await runBench({
    quick: !!v.quick,
    out: v.output as string | undefined,
    repeats,
    big: v.big as string | undefined,
    noBig: !!v['no-big'],
    fpga,
    wattsPerCore: wpc,
    mnist: v.mnist as string | undefined,
  });
  if (v.json) process.stdout.write(JSON.stringify({ json: r.json, report: r.report }) + '\n');
  else process.stdout.write(`${r.report}\n`);
  return 0;
}
