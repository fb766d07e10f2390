/**
 * @fileoverview Decode speed side by side: trit's wasm (1 and 2 threads) against onnxruntime-node
 * (native CPU) and onnxruntime-web (its wasm build, in Node) on the same ONNX files, each
 * configuration in its own process so peak memory is its own.
 *
 *   node dist/bench/wasm-decode.js [--onnx <model.onnx>]... [--steps 64] [--threads 1,2]
 *        [--table-bits 16] [--runtimes trit,ort-node,ort-web]
 *
 * Default: the zoo's mmfree-shakespeare-char. Each model is compiled first (compile time and the
 * compiler's peak memory are reported). Writes bench/results/wasm-decode.{json,md}.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { machine } from './lib/machine.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '../..');
const CLI = join(ROOT, 'dist/cli/main.js');
const { values: v } = parseArgs({
  options: {
    onnx: { type: 'string', multiple: true },
    steps: { type: 'string' },
    threads: { type: 'string' },
    'table-bits': { type: 'string' },
    runtimes: { type: 'string' },
    out: { type: 'string' },
  },
});
const models = v.onnx ?? [join(ROOT, 'models/zoo/mmfree-shakespeare-char/model.onnx')];
const steps = Number(v.steps ?? 64);
const threads = (v.threads ?? '1,2').split(',').map(Number);
const runtimes = (v.runtimes ?? 'trit,ort-node,ort-web').split(',');
const outDir = v.out ?? join(ROOT, 'bench/results');

/** Runs node with /usr/bin/time (when present) to get the peak resident memory. */
function run(
  args: string[],
  env: Record<string, string> = {},
): { stdout: string; stderr: string; status: number | null; maxRssMiB?: number; seconds: number } {
  const time = existsSync('/usr/bin/time');
  const t0 = Date.now();
  const r = spawnSync(time ? '/usr/bin/time' : process.execPath, time ? ['-f', 'TRIT_MAXRSS_KB=%M', process.execPath, ...args] : args, {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 1 << 28,
  });
  const m = /TRIT_MAXRSS_KB=(\d+)/.exec(r.stderr ?? '');
  return {
    stdout: r.stdout,
    stderr: r.stderr,
    status: r.status,
    maxRssMiB: m ? +(Number(m[1]) / 1024).toFixed(1) : undefined,
    seconds: (Date.now() - t0) / 1000,
  };
}

const rows: Record<string, unknown>[] = [];
for (const onnx of models) {
  const name = basename(dirname(onnx));
  const wasm = join(dirname(onnx), 'model.bench.wasm');
  const golden = join(dirname(onnx), 'golden.safetensors');
  const extra = [
    ...(name === 'mmfree-shakespeare-char' && existsSync(golden) ? ['--calibration', golden] : []),
    ...(v['table-bits'] ? ['--table-bits', v['table-bits']] : []),
  ];
  process.stderr.write(`${name}: compiling…\n`);
  const c = run([CLI, 'compile', onnx, '--target', 'wasm', '-o', wasm, '--json', ...extra]);
  if (c.status !== 0) throw new Error(`compile failed: ${c.stderr}`);
  const cj = JSON.parse(c.stdout);
  const meta = JSON.parse(run([CLI, 'inspect', wasm, '--json']).stdout);
  const V = meta.outputs.find((o: { name: string }) => o.name === meta.primary).shape.at(-1);
  const compileRow = {
    model: name,
    compileSeconds: +c.seconds.toFixed(1),
    compilePeakRssMiB: c.maxRssMiB,
    wasmMiB: +(cj.bytes / 2 ** 20).toFixed(1),
    weightsMiB: +(cj.sizes.weights / 2 ** 20).toFixed(1),
    tablesMiB: +(cj.sizes.tables / 2 ** 20).toFixed(1),
    memoryMiB: +(cj.memoryBytes / 2 ** 20).toFixed(1),
    extra: extra.join(' '),
  };
  process.stderr.write(`  ${JSON.stringify(compileRow)}\n`);
  for (const rt of runtimes) {
    for (const t of threads) {
      const once = (env: Record<string, string>) => {
        const r = run([join(HERE, 'decode-one.js'), rt, rt === 'trit' ? wasm : onnx, String(t), String(steps)], { TRIT_VOCAB: String(V), ...env });
        const line = r.stdout.trim().split('\n').at(-1) ?? '';
        try {
          return { r, res: JSON.parse(line) as Record<string, unknown> };
        } catch {
          const err =
            (r.stderr || 'no output')
              .split('\n')
              .filter((l) => /Error|error/.test(l))
              .slice(-1)[0] ?? 'failed';
          return { r, res: { runtime: rt, threads: t, error: err.trim().slice(0, 160) } as Record<string, unknown> };
        }
      };
      let { r, res } = once({});
      if (res.error && rt === 'ort-web') {
        // onnxruntime-web's optimiser folds the int8→float casts into float32 copies of every
        // weight, which can exhaust its 4 GB wasm heap; without optimisation it casts per step.
        const first = res.error;
        ({ r, res } = once({ TRIT_ORT_OPT: 'disabled' }));
        res.note = `default graph optimisation failed (${first}); measured with graphOptimizationLevel 'disabled'`;
      }
      res.model = name;
      if (r.maxRssMiB !== undefined) res.peakRssMiB = r.maxRssMiB;
      process.stderr.write(`  ${rt} ×${t}: ${res.tokensPerSecond ?? res.error} tok/s, ${res.peakRssMiB} MiB\n`);
      rows.push({ ...res, compile: compileRow });
    }
  }
}

const report = {
  machine: machine(),
  steps,
  method: 'measured: batch-1 decode, one token per step, median/p90 over steps after warm-up; peak RSS from /usr/bin/time',
  rows,
};
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'wasm-decode.json'), JSON.stringify(report, null, 2) + '\n');
const md = [
  `Measured ${report.machine.date} on ${report.machine.cpu} (${report.machine.cores} cores), Node ${report.machine.node}; ${steps} decode steps after warm-up.`,
  '',
  '| model | runtime | threads | tokens/s | ms/token (median) | ms/token (p90) | peak RSS MiB | note |',
  '|---|---|---|---|---|---|---|---|',
];
for (const r of rows)
  md.push(
    `| ${r.model} | ${r.runtime} | ${r.threads} | ${r.tokensPerSecond ?? r.error} | ${r.msPerTokenMedian ?? ''} | ${r.msPerTokenP90 ?? ''} | ${r.peakRssMiB ?? ''} | ${r.note ?? ''} |`,
  );
writeFileSync(join(outDir, 'wasm-decode.md'), md.join('\n') + '\n');
process.stdout.write(md.join('\n') + '\n');
