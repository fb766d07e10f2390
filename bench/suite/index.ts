/**
 * @fileoverview `trit bench`: the whole benchmark suite in one run, on this machine.
 *
 * Order: machine → kernels (tinybench) → for each model: compile it, run every runtime in its own
 * process `repeats` times (trit wasm 1 and 2 threads, onnxruntime-node, onnxruntime-web, the PyTorch
 * reference, PyTorch float and int8 baselines of the same shape) → the UP5K builds and their
 * switching activity → energy tables → bench/results/<date>-<host>.json, report.md and SVG plots.
 * Every child prints its result as JSON on stdout; a child that fails becomes a row with its
 * error, never a missing row or a zero.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  cpuinfoField,
  cpuModelJoules,
  cpuPowerFor,
  fpgaModel,
  opModelJoules,
  raplDomains,
  readCpuinfo,
  type CpuPower,
  type OpProfile,
} from '../lib/energy.js';
import { renderReport } from '../lib/report.js';
import { summarizeField } from '../lib/stats.js';
import type { BenchResult, FpgaRow, MachineInfo, ModelRows, TargetRow } from '../lib/types.js';
import { ANCHORS } from './anchors.js';
import { TritError } from '../../common/errors.js';
import { readMnistTest } from '../../compiler/formats/idx.js';
import { activityOf, buildUp5k, measureActivity, readFpgaReport } from './fpga.js';
import { kernelBench } from './kernels.js';
import { machine as baseMachine } from '../lib/machine.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../../..');
const CLI = join(ROOT, 'dist/cli/main.js');
const PY = join(ROOT, 'models/py');

export interface BenchOptions {
  /** Smoke test: small models, one repeat, few steps, no FPGA builds. */
  quick: boolean;
  /** Results folder (default bench/results). */
  out?: string;
  repeats?: number;
  /** Folder of a 370M-shape model (model.onnx + HF layout); default: generated into bench/.cache. */
  big?: string;
  /** Skip the 370M shape (full mode includes it by default). */
  noBig?: boolean;
  wattsPerCore?: number;
  /** 'auto': use existing UP5K builds, build missing ones in full mode; 'skip'; 'rebuild'. */
  fpga?: 'auto' | 'skip' | 'rebuild';
  mnist?: string;
  log?: (s: string) => void;
}

interface Child {
  ok: boolean;
  json: Record<string, unknown> | null;
  stderr: string;
  seconds: number;
  maxRssMiB?: number;
}

/** Runs a command (under /usr/bin/time for its peak RSS) and parses the JSON it prints. */
function runChild(cmd: string, args: string[], env: Record<string, string> = {}, timeoutS = 3600): Promise<Child> {
  const time = existsSync('/usr/bin/time');
  const t0 = Date.now();
  return new Promise((res) => {
    const p = spawn(time ? '/usr/bin/time' : cmd, time ? ['-f', 'TRIT_MAXRSS_KB=%M', cmd, ...args] : args, {
      env: { ...process.env, ...env },
      cwd: ROOT,
    });
    let out = '',
      err = '';
    const timer = setTimeout(() => {
      err += `\ntimed out after ${timeoutS} s`;
      p.kill('SIGKILL');
    }, timeoutS * 1000);
    p.stdout.on('data', (d) => {
      out += d;
    });
    p.stderr.on('data', (d) => {
      err += d;
    });
    p.on('close', (code) => {
      clearTimeout(timer);
      // The whole stdout (pretty-printed --json) or its last line (runners that log first).
      let json: Record<string, unknown> | null = null;
      for (const text of [out.trim(), out.trim().split('\n').at(-1) ?? '']) {
        try {
          json = JSON.parse(text);
          break;
        } catch {
          /* not JSON */
        }
      }
      const m = /TRIT_MAXRSS_KB=(\d+)/.exec(err);
      res({
        ok: code === 0 && json !== null,
        json,
        stderr: err.replace(/TRIT_MAXRSS_KB=\d+\n?/, ''),
        seconds: (Date.now() - t0) / 1000,
        maxRssMiB: m ? Number(m[1]) / 1024 : undefined,
      });
    });
  });
}

/** The most telling line of a failed child's stderr. */
function errorLine(c: Child): string {
  const lines = c.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return (lines.filter((l) => /error|Error|failed|not installed|Cannot find|timed out/.test(l)).at(-1) ?? lines.at(-1) ?? 'no output').slice(0, 200);
}

/** bench/machine.ts's record plus the host name and the x86 family/model the power model keys on. */
function machineInfo(info: string): MachineInfo {
  const f = (k: string) => cpuinfoField(info, k) ?? '?';
  return { ...baseMachine(), host: hostname(), cpuFamilyModel: `${f('vendor_id')} family ${f('cpu family')} model ${f('model')}` };
}

/** Last-level cache size from sysfs (the op-count model's SRAM/DRAM boundary); 32 MiB if unknown. */
function llcBytes(): number {
  try {
    const base = '/sys/devices/system/cpu/cpu0/cache';
    let best = 0;
    for (const d of readdirSync(base)) {
      const t = readFileSync(join(base, d, 'size'), 'utf8').trim();
      const m = /^(\d+)([KMG]?)$/.exec(t);
      if (m) best = Math.max(best, Number(m[1]) * ({ '': 1, K: 1024, M: 2 ** 20, G: 2 ** 30 }[m[2]] ?? 1));
    }
    return best || 32 * 2 ** 20;
  } catch {
    return 32 * 2 ** 20;
  }
}

interface TargetSpec {
  target: string;
  arithmetic: TargetRow['arithmetic'];
  threads: number;
  kind: 'node' | 'python';
  runtime?: string;
  variant?: string;
  note?: string;
}

function targetsFor(kind: 'lm' | 'classifier', quick: boolean, big: boolean): TargetSpec[] {
  const t: TargetSpec[] = [
    { target: 'trit wasm', arithmetic: 'ternary', threads: 1, kind: 'node', runtime: 'trit' },
    { target: 'trit wasm', arithmetic: 'ternary', threads: 2, kind: 'node', runtime: 'trit' },
    { target: 'onnxruntime-node', arithmetic: 'ternary', threads: 1, kind: 'node', runtime: 'ort-node', note: 'same ONNX (float ops)' },
  ];
  if (kind === 'lm')
    t.push({ target: 'onnxruntime-node', arithmetic: 'ternary', threads: 2, kind: 'node', runtime: 'ort-node', note: 'same ONNX (float ops)' });
  t.push({
    target: 'onnxruntime-web (wasm, in Node)',
    arithmetic: 'ternary',
    threads: 1,
    kind: 'node',
    runtime: 'ort-web',
    note: 'same ONNX (float ops)',
  });
  if (kind === 'lm' && !quick && !big)
    t.push({
      target: 'onnxruntime-web (wasm, in Node)',
      arithmetic: 'ternary',
      threads: 2,
      kind: 'node',
      runtime: 'ort-web',
      note: 'same ONNX (float ops)',
    });
  t.push({
    target: 'PyTorch reference',
    arithmetic: 'ternary',
    threads: 1,
    kind: 'python',
    variant: 'ternary',
    note: 'fake-quantized BitLinear, float arithmetic',
  });
  if (!quick)
    t.push({
      target: 'PyTorch reference',
      arithmetic: 'ternary',
      threads: 2,
      kind: 'python',
      variant: 'ternary',
      note: 'fake-quantized BitLinear, float arithmetic',
    });
  t.push({
    target: 'PyTorch float baseline',
    arithmetic: 'fp32',
    threads: 1,
    kind: 'python',
    variant: 'float',
    note: 'same architecture, float Linear',
  });
  t.push({
    target: 'PyTorch int8 baseline',
    arithmetic: 'int8',
    threads: 1,
    kind: 'python',
    variant: 'int8',
    note: 'same architecture, dynamic int8 Linear',
  });
  return t;
}

interface ModelSpec {
  name: string;
  kind: 'lm' | 'classifier';
  onnx: string;
  /** HF-layout (LM) or trainer (classifier) folder the PyTorch runs load. */
  pyFolder?: string;
  calibration?: string;
  steps: number;
  /** ort-web and PyTorch run fewer steps on the big shape (they decode at 0.6–2 tokens/s). */
  webSteps: number;
  big: boolean;
}

async function ensureBig(o: BenchOptions, log: (s: string) => void): Promise<string | null> {
  if (o.big) {
    if (!existsSync(join(o.big, 'model.onnx')))
      throw new TritError(`--big ${o.big}: no model.onnx there (make one with: models/py models/make_random.py --shape 370M --out ${o.big})`);
    return o.big;
  }
  const dir = join(ROOT, 'bench/.cache/mmfree-370m');
  if (existsSync(join(dir, 'model.onnx'))) return dir;
  log('generating the 370M random-weight model (models/make_random.py, about a minute)…');
  const tmp = `${dir}.partial`;
  rmSync(tmp, { recursive: true, force: true });
  const c = await runChild(PY, [join(ROOT, 'models/make_random.py'), '--shape', '370M', '--out', tmp, '--golden-steps', '2']);
  if (!existsSync(join(tmp, 'model.onnx'))) {
    log(`  could not generate it: ${errorLine(c)}`);
    return null;
  }
  renameSync(tmp, dir);
  return dir;
}

/** Energy for a row: RAPL when the child measured it, else CPU-seconds × per-core power. */
function rowEnergy(repeats: Record<string, unknown>[], items: (r: Record<string, unknown>) => number, cpu: CpuPower): TargetRow['energy'] {
  const measured = repeats.filter((r) => typeof r.raplJoules === 'number');
  if (measured.length === repeats.length && measured.length) {
    return {
      how: 'measured',
      basis: 'RAPL package energy over the timed loop (whole package, other load included)',
      joulesPerItem: summarizeField(repeats, (r) => (r.raplJoules as number) / items(r)),
      watts: summarizeField(repeats, (r) => (r.raplJoules as number) / (r.wallSeconds as number)),
    };
  }
  return {
    how: 'modelled',
    basis: `CPU-seconds × ${cpu.wattsPerCore.toFixed(2)} W per core`,
    joulesPerItem: summarizeField(repeats, (r) => cpuModelJoules(r.cpuSeconds as number, cpu) / items(r)),
    watts: summarizeField(repeats, (r) => cpuModelJoules(r.cpuSeconds as number, cpu) / (r.wallSeconds as number)),
  };
}

export async function runBench(o: BenchOptions): Promise<{ json: string; report: string; result: BenchResult }> {
  const log = o.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const t0 = Date.now();
  const quick = o.quick;
  const repeats = o.repeats ?? (quick ? 1 : 3);
  const mnist = o.mnist ?? join(process.env.TRIT_SHARED_DATA ?? resolve(ROOT, '../shared/data'), 'mnist');
  if (!existsSync(mnist))
    throw new TritError(
      'no MNIST folder here (the classifier benchmarks read its test set)',
      { file: mnist },
      'pass --mnist <dir with t10k-images-idx3-ubyte[.gz]>',
    );
  const cpuinfo = readCpuinfo();
  const machine = machineInfo(cpuinfo);
  const cpu = cpuPowerFor(cpuinfo, o.wattsPerCore);
  const rapl = raplDomains();
  const notes: string[] = [];
  log(
    `trit bench (${quick ? 'quick' : 'full'}): ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}; ${repeats} repeat(s) per configuration`,
  );

  log('kernels (tinybench)…');
  const kernels = await kernelBench(quick, log);
  const cache = llcBytes();

  const zoo = (n: string) => join(ROOT, 'models/zoo', n);
  const specs: ModelSpec[] = [
    {
      name: 'mmfree-up5k-char',
      kind: 'lm',
      onnx: join(zoo('mmfree-up5k-char'), 'model.onnx'),
      pyFolder: zoo('mmfree-up5k-char'),
      calibration: join(zoo('mmfree-up5k-char'), 'golden.safetensors'),
      steps: quick ? 32 : 256,
      webSteps: quick ? 32 : 256,
      big: false,
    },
    {
      name: 'mmfree-shakespeare-char',
      kind: 'lm',
      onnx: join(zoo('mmfree-shakespeare-char'), 'model.onnx'),
      pyFolder: zoo('mmfree-shakespeare-char'),
      calibration: join(zoo('mmfree-shakespeare-char'), 'golden.safetensors'),
      steps: quick ? 32 : 256,
      webSteps: quick ? 32 : 128,
      big: false,
    },
  ];
  if (!quick && !o.noBig) {
    const big = await ensureBig(o, log);
    if (big)
      specs.push({
        name: 'mmfree-370m (random weights)',
        kind: 'lm',
        onnx: join(big, 'model.onnx'),
        pyFolder: big,
        steps: 64,
        webSteps: 16,
        big: true,
      });
    else notes.push('The 370M shape was not measured: it could not be generated (see the log).');
  }
  specs.push({
    name: 'columns-mnist-up5k',
    kind: 'classifier',
    onnx: join(zoo('columns-mnist-up5k'), 'model.onnx'),
    pyFolder: zoo('columns-mnist-up5k'),
    calibration: join(zoo('columns-mnist-up5k'), 'golden.safetensors'),
    steps: quick ? 200 : 2000,
    webSteps: quick ? 200 : 1000,
    big: false,
  });
  if (!quick)
    specs.push({
      name: 'columns-mnist',
      kind: 'classifier',
      onnx: join(zoo('columns-mnist'), 'model.onnx'),
      pyFolder: zoo('columns-mnist'),
      calibration: join(zoo('columns-mnist'), 'golden.safetensors'),
      steps: 2000,
      webSteps: 1000,
      big: false,
    });

  // Each timed part lasts at least this long, after a warm-up of at least this long (decode-one.ts).
  const timing = { TRIT_WARM_MS: quick ? '200' : '1000', TRIT_MIN_SECONDS: quick ? '0.5' : '3' };
  const cacheDir = join(ROOT, 'bench/.cache');
  mkdirSync(cacheDir, { recursive: true });
  const models: ModelRows[] = [];
  for (const m of specs) {
    log(`${m.name}: compiling to wasm…`);
    const wasm = join(cacheDir, `${basename(dirname(m.onnx)).replace(/[^\w.-]/g, '_')}.wasm`);
    const c = await runChild(process.execPath, [
      CLI,
      'compile',
      m.onnx,
      '--target',
      'wasm',
      '-o',
      wasm,
      '--json',
      ...(m.calibration ? ['--calibration', m.calibration] : []),
    ]);
    if (!c.ok) throw new TritError(`trit compile failed: ${errorLine(c)}`, { file: m.onnx });
    const cj = c.json!;
    const st = cj.stats as Record<string, number>;
    const ops: OpProfile = {
      weights: st.ternaryWeights,
      weightAdds: st.weightAdds,
      elementwiseAdds: st.adds + st.subs - st.weightAdds,
      elementwiseMultiplies: st.constMultiplies + st.elementwiseMultiplies,
      lookups: st.lookups,
      otherBytes: st.constBytesRead + st.stateBytes,
    };
    // Vocabulary size: onnxruntime runs are fed token ids below it.
    const meta = (await runChild(process.execPath, [CLI, 'inspect', wasm, '--json'])).json as {
      primary?: string;
      outputs: { name: string; shape: number[] }[];
    } | null;
    const vocab = meta?.outputs.find((x) => x.name === meta.primary)?.shape.at(-1) ?? 256;
    const rows: TargetRow[] = [];
    for (const t of targetsFor(m.kind, quick, m.big)) {
      const runs: Record<string, unknown>[] = [];
      let error: string | undefined;
      let note = t.note;
      for (let i = 0; i < repeats && !error; i++) {
        let child: Child;
        if (t.kind === 'node') {
          const steps = t.runtime === 'ort-web' ? m.webSteps : m.steps;
          const script = join(ROOT, 'dist/bench', m.kind === 'lm' ? 'decode-one.js' : 'classify-one.js');
          const model = t.runtime === 'trit' ? wasm : m.onnx;
          const args =
            m.kind === 'lm'
              ? [script, t.runtime!, model, String(t.threads), String(steps)]
              : [script, t.runtime!, model, String(t.threads), String(steps), mnist];
          child = await runChild(process.execPath, args, { TRIT_VOCAB: String(vocab), ...timing });
          if (!child.ok && t.runtime === 'ort-web' && m.kind === 'lm') {
            // onnxruntime-web's optimiser can exhaust its 4 GB heap on big models (issue 4's note).
            const first = errorLine(child);
            child = await runChild(process.execPath, args, { TRIT_VOCAB: String(vocab), TRIT_ORT_OPT: 'disabled', ...timing });
            if (child.ok) note = `default graph optimisation failed (${first.slice(0, 80)}); measured with it disabled`;
          }
        } else {
          const args = [
            join(ROOT, 'models/bench_decode.py'),
            m.pyFolder!,
            '--threads',
            String(t.threads),
            '--variant',
            t.variant!,
            '--device',
            'cpu',
          ];
          if (m.kind === 'lm')
            args.push('--tokens', String(m.big ? m.webSteps : m.steps), '--warmup', m.big ? '2' : '8', '--min-seconds', timing.TRIT_MIN_SECONDS);
          else args.push('--images', String(m.steps));
          child = await runChild(PY, args);
        }
        if (!child.ok) {
          error = errorLine(child);
          break;
        }
        const j = child.json!;
        // Normalise the Node and Python field names.
        runs.push({
          rate: (j.tokensPerSecond ?? j.tokens_per_second ?? j.imagesPerSecond ?? j.images_per_second) as number,
          firstMs: (j.firstTokenMs ?? j.first_token_ms ?? j.firstImageMs ?? j.first_image_ms) as number,
          peakRssMiB: (j.peakRssMiB ?? j.peak_rss_mib ?? child.maxRssMiB) as number,
          cpuSeconds: (j.cpuSeconds ?? j.cpu_seconds) as number,
          wallSeconds: (j.wallSeconds ?? j.seconds) as number,
          items: (j.steps ?? j.tokens ?? j.images) as number,
          raplJoules: (j.raplJoules ?? j.rapl_joules ?? null) as number | null,
          accuracy: j.accuracy as number | undefined,
        });
      }
      const items = (r: Record<string, unknown>) => r.items as number;
      const row: TargetRow = {
        target: t.target,
        threads: t.threads,
        arithmetic: t.arithmetic,
        repeats: runs.length,
        rate: summarizeField(runs, (r) => r.rate as number),
        firstMs: summarizeField(runs, (r) => r.firstMs as number),
        peakRssMiB: summarizeField(runs, (r) => r.peakRssMiB as number),
        cpuSecondsPerItem: summarizeField(runs, (r) => (r.cpuSeconds as number) / items(r)),
        energy: runs.length ? rowEnergy(runs, items, cpu) : null,
        note,
        ...(m.kind === 'classifier' && runs.length ? { accuracy: runs[0].accuracy as number } : {}),
        ...(error ? { error } : {}),
      };
      log(
        `  ${t.target} ×${t.threads}: ${error ? `failed (${error})` : `${row.rate!.median.toFixed(2)} ${m.kind === 'lm' ? 'tokens' : 'images'}/s`}`,
      );
      rows.push(row);
    }
    models.push({
      model: m.name,
      kind: m.kind,
      item: m.kind === 'lm' ? 'token' : 'image',
      ternaryWeights: st.ternaryWeights,
      compile: { seconds: +c.seconds.toFixed(1), peakRssMiB: c.maxRssMiB, wasmMiB: (cj.bytes as number) / 2 ** 20 },
      ops,
      opModel: (['ternary', 'int8', 'fp32'] as const).map((v) => opModelJoules(ops, v, cache)),
      rows,
    });
  }
  notes.push(
    `Op-count model: weights priced from DRAM when larger than the last-level cache (${(cache / 2 ** 20).toFixed(0)} MiB from sysfs), else from on-chip SRAM.`,
  );

  const fpga: FpgaRow[] = [];
  if (o.fpga !== 'skip') {
    for (const m of specs.filter((s) => s.name.endsWith('-up5k') || s.name.endsWith('up5k-char'))) {
      const dir = join(ROOT, 'build', m.name);
      let report = o.fpga === 'rebuild' ? null : readFpgaReport(dir);
      if (!report && !quick) {
        await buildUp5k(CLI, m.onnx, m.calibration!, dir, log);
        report = readFpgaReport(dir);
      }
      if (!report) {
        fpga.push({
          model: m.name,
          item: m.kind === 'lm' ? 'token' : 'image',
          report: null,
          activity: null,
          atFmax: null,
          atBoardClock: null,
          note: `not built in --quick mode (build with: trit compile ${m.onnx.replace(ROOT + '/', '')} --target verilog --device up5k -o build/${m.name} --calibration …)`,
        });
        continue;
      }
      log(`${m.name}: switching activity of one inference (Verilator, full VCD)…`);
      const feeds: Record<string, ArrayLike<number>> = m.kind === 'lm' ? { input_ids: [1] } : { image: firstMnistImage(mnist) };
      const a = await measureActivity(m.onnx, m.calibration!, feeds, log);
      const act = activityOf(report, a);
      log(`  ${a.designCycles} cycles, toggle rate ${(a.toggleRate * 100).toFixed(3)}%, ${a.strobes.products} products`);
      fpga.push({
        model: m.name,
        item: m.kind === 'lm' ? 'token' : 'image',
        report,
        activity: { toggleRate: a.toggleRate, products: a.strobes.products, cycles: a.designCycles, bits: a.bits, vcdBytes: a.vcdBytes },
        atFmax: fpgaModel(act, report.fmaxMHz * 1e6),
        atBoardClock: fpgaModel(act, report.boardClockMHz * 1e6),
      });
    }
  }

  const result: BenchResult = {
    schema: 1,
    mode: quick ? 'quick' : 'full',
    machine,
    repeats,
    cpuPower: cpu,
    rapl: {
      available: rapl.length > 0,
      note: rapl.length
        ? `RAPL readable (${rapl.map((d) => d.name).join(', ')}): CPU rows are measured package energy.`
        : 'RAPL is not readable on this machine (absent, as in most VMs, or root-only), so CPU rows are modelled: CPU-seconds × per-core power.',
    },
    gpu: gpuNote(),
    kernels,
    models,
    fpga,
    anchors: ANCHORS,
    seconds: (Date.now() - t0) / 1000,
    notes,
  };
  const outDir = o.out ?? join(ROOT, 'bench/results');
  const stem = `${machine.date.slice(0, 10)}-${machine.host.replace(/[^\w.-]/g, '_')}${quick ? '-quick' : ''}`;
  const reportDir = join(outDir, stem);
  mkdirSync(reportDir, { recursive: true });
  const json = join(outDir, `${stem}.json`);
  writeFileSync(json, JSON.stringify(result, null, 2) + '\n');
  const r = renderReport(result);
  writeFileSync(join(reportDir, 'report.md'), r.markdown);
  for (const [name, svg] of Object.entries(r.svgs)) writeFileSync(join(reportDir, name), svg);
  log(`wrote ${json} and ${join(reportDir, 'report.md')} (+${Object.keys(r.svgs).length} SVG plots) in ${result.seconds.toFixed(0)} s`);
  return { json, report: join(reportDir, 'report.md'), result };
}

function firstMnistImage(dir: string): Float32Array {
  const { images } = readMnistTest(dir, 1);
  return Float32Array.from(images[0], (v) => v / 255);
}

/** GPU: none in this project's sessions; committed figures (bench/results/gpu/*.json) if any. */
function gpuNote(): BenchResult['gpu'] {
  const dir = join(ROOT, 'bench/results/gpu');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
  if (files.length) {
    const rows = files.map((f) => {
      const j = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>;
      return `${f}: ${j.gpu} on ${j.date}, ${j.model}, ${j.tokens_per_second} tokens/s, ${j.joules_per_token ?? '–'} J/token (measured, NVML)`;
    });
    return { available: true, note: `committed GPU measurements — ${rows.join('; ')}.` };
  }
  return {
    available: false,
    note: "no GPU was available to this project, so there is no GPU row. `models/py models/bench_decode.py <model> --device cuda` measures decode with NVML's total-energy counter on a CUDA machine; commit its JSON under bench/results/gpu/ and the report shows it, labelled with the GPU and date.",
  };
}
