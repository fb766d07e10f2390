/**
 * @fileoverview Builds the demo site (`npm run demo`, test/browser): the zoo models compiled to
 * wasm by the same code as `trit compile`, the pages' scripts bundled with esbuild for the
 * browser, the generated Verilog and UP5K report, and the energy table of `trit bench`.
 *
 * Offline: everything comes from the repository and npm packages. The site is assembled in a
 * scratch folder and moved into place only when complete, so a failed build leaves the previous
 * site (or nothing), never half of one.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { compileFile, vocabFor } from '../compiler/node.js';
import { linkWasm } from '../compiler/backends/wasm/link.js';
import { VERSION } from '../common/version.js';
import { TritError } from '../common/errors.js';
import { buildProgram } from '../hdl-gen/src/program.js';
import { compileForDevice } from '../hdl-gen/src/build.js';
import { deviceByName } from '../hdl-gen/src/device.js';
import { boardSources } from '../hdl-gen/src/flow.js';
import { energyRows } from '../bench/lib/report.js';
import type { BenchResult } from '../bench/lib/types.js';
import { DIGITS_MODEL, FPGA_MODEL, LM_MODEL, type DemoModel } from './src/site-config.js';
import type { FpgaPageData } from './src/fpga-data.js';

/** The repository root, from dist/demo/build.js or demo/build.ts. */
export const ROOT = (() => {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) d = dirname(d);
  return d;
})();

export interface DemoBuildOptions {
  /** Where the site goes (default build/demo). */
  out?: string;
  log?: (line: string) => void;
}

/** The browser entry points (demo/src), each bundled into js/<name>.js. */
const ENTRIES = ['generate-page', 'digits-page', 'fpga-page', 'run-page', 'model-worker'];

/** The site's pages: demo/site/pages/<file> inside demo/site/layout.html. */
function renderPages(dir: string): void {
  const layout = readFileSync(join(ROOT, 'demo/site/layout.html'), 'utf8');
  const built = new Date().toISOString().slice(0, 10);
  for (const f of readdirSync(join(ROOT, 'demo/site/pages'))) {
    const src = readFileSync(join(ROOT, 'demo/site/pages', f), 'utf8');
    const head = /^<!--\s*title:\s*([^;]+);\s*script:\s*([\w-]+);\s*page:\s*([\w-]+)\s*-->\n/.exec(src);
    if (!head) throw new Error(`demo/site/pages/${f}: the first line must be <!-- title: …; script: …; page: … -->`);
    const vars: Record<string, string> = {
      title: head[1].trim(),
      script: head[2],
      page: head[3],
      body: src.slice(head[0].length),
      version: VERSION,
      built,
    };
    writeFileSync(
      join(dir, f),
      layout.replace(/\{\{(\w+)\}\}/g, (_, k: string) => vars[k] ?? ''),
    );
  }
  cpSync(join(ROOT, 'demo/site/style.css'), join(dir, 'style.css'));
}

/** Bundles the pages' scripts for browsers. The compiler's file-reading kernel lookup is swapped
 *  for the page's (kernels-browser.ts); binaryen's Node-only branch imports stay unresolved. */
async function bundle(dir: string): Promise<void> {
  const browserKernels: esbuild.Plugin = {
    name: 'trit-browser-kernels',
    setup(b) {
      b.onResolve({ filter: /\/kernels\.js$/ }, (a) =>
        /backends[\\/]wasm[\\/]link\.(ts|js)$/.test(a.importer) ? { path: join(ROOT, 'demo/src/kernels-browser.ts') } : undefined,
      );
    },
  };
  const r = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [...ENTRIES.map((e) => ({ in: `demo/src/${e}.ts`, out: e })), { in: 'runtime-wasm/host/worker.ts', out: 'worker' }],
    outdir: join(dir, 'js'),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    external: ['node:*'],
    plugins: [browserKernels],
    logLevel: 'silent',
    minify: false,
    sourcemap: false,
  });
  for (const w of r.warnings) throw new Error(`esbuild: ${w.text} (${w.location?.file}:${w.location?.line})`);
}

/** Compiles a zoo model to wasm exactly as `trit compile --target wasm` does (its calibration.safetensors). */
function compileModel(m: DemoModel, dir: string, log: (l: string) => void): void {
  const zoo = join(ROOT, 'models/zoo', m.zoo);
  const t0 = Date.now();
  const c = compileFile(join(zoo, 'model.onnx'));
  const linked = linkWasm(c.ir, { vocab: vocabFor(join(zoo, 'model.onnx')) });
  const out = join(dir, m.file);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, linked.bytes);
  log(`  ${m.file}: ${(linked.bytes.length / 1024).toFixed(0)} KiB in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/** The first comment line of a Verilog file that says what it is. */
function aboutOf(text: string): string {
  for (const l of text.split('\n').slice(0, 6)) {
    const m = /^\s*(?:\/\/|#)\s*(.+)$/.exec(l);
    if (m && !m[1].startsWith('SPDX')) return m[1].replace(/^[\w.]+:\s*/, '');
  }
  return '';
}

/** The newest full `trit bench` result in bench/results (quick runs are not reports). */
function newestBench(): { file: string; result: BenchResult } | null {
  const dir = join(ROOT, 'bench/results');
  const files = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => /^\d{4}-\d\d-\d\d-.+\.json$/.test(f) && !f.includes('-quick'))
        .sort()
    : [];
  for (const f of files.reverse()) {
    const result = JSON.parse(readFileSync(join(dir, f), 'utf8')) as BenchResult;
    if (result.mode === 'full') return { file: `bench/results/${f}`, result };
  }
  return null;
}

/** The FPGA page's data: Verilog generated now, the report of a local build or of the benchmark. */
function fpgaData(dir: string, log: (l: string) => void): FpgaPageData {
  const zoo = join(ROOT, 'models/zoo', FPGA_MODEL);
  const c = compileForDevice((lower) => compileFile(join(zoo, 'model.onnx'), undefined, lower, 'fpga'), deviceByName('up5k'));
  const sources = boardSources(buildProgram(c.ir), 12e6, 115200);
  mkdirSync(join(dir, 'verilog'));
  const verilog: FpgaPageData['verilog'] = [];
  const order = (f: string) => (f === 'trit_top.v' ? 0 : f === 'trit_core.v' ? 1 : f.endsWith('.v') ? 2 : 3);
  for (const f of Object.keys(sources).sort((a, b) => order(a) - order(b) || a.localeCompare(b))) {
    writeFileSync(join(dir, 'verilog', f), sources[f]);
    verilog.push({
      name: f,
      bytes: Buffer.byteLength(sources[f]),
      about: f === 'program.hex' ? 'the program: one 127-bit instruction per IR node' : aboutOf(sources[f]),
    });
  }
  log(`  verilog/: ${verilog.length} files of the ${FPGA_MODEL} design`);

  const bench = newestBench();
  let report: Record<string, unknown> | null = null;
  let reportSource = '';
  const local = join(ROOT, 'build', FPGA_MODEL, 'report.json');
  const localReport = existsSync(local) ? (JSON.parse(readFileSync(local, 'utf8')) as Record<string, unknown>) : null;
  if (localReport && typeof localReport.fmaxMHz === 'number') {
    report = localReport;
    reportSource = `measured: the UP5K build on this machine (build/${FPGA_MODEL}/report.json, ${statSync(local).mtime.toISOString().slice(0, 16).replace('T', ' ')} UTC, by \`npm run main\`)`;
  } else if (bench) {
    const f = bench.result.fpga.find((x) => x.model === FPGA_MODEL);
    if (f?.report) {
      report = f.report as unknown as Record<string, unknown>;
      reportSource = `measured: the UP5K build recorded by \`trit bench\` in ${bench.file} (${bench.result.machine.date.slice(0, 10)}, host ${bench.result.machine.host}); \`npm run main\` builds it here`;
    }
  }
  let energy: FpgaPageData['energy'] = null;
  if (bench) {
    const r = bench.result;
    const plots: string[] = [];
    const plotDir = join(ROOT, bench.file.replace(/\.json$/, ''));
    if (existsSync(plotDir)) {
      mkdirSync(join(dir, 'plots'));
      for (const f of readdirSync(plotDir)
        .filter((x) => /^energy-.*\.svg$/.test(x))
        .sort()) {
        cpSync(join(plotDir, f), join(dir, 'plots', f));
        plots.push(`plots/${f}`);
      }
    }
    energy = {
      source: `${bench.file} (trit bench, ${r.machine.date.slice(0, 10)})`,
      machine: `${r.machine.cpu}, ${r.machine.cores} cores, Node ${r.machine.node}; ${r.rapl.available ? 'RAPL measured' : r.rapl.note}`,
      models: r.models.map((m) => ({ model: m.model, item: m.item, rows: energyRows(m, r) })),
      plots,
    };
  }
  return { model: FPGA_MODEL, report, reportSource, verilog, energy };
}

/** Builds the site into `out` (default build/demo); returns its path. */
export async function buildDemo(o: DemoBuildOptions = {}): Promise<string> {
  const log = o.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const out = resolve(o.out ?? join(ROOT, 'build/demo'));
  const kernels = join(ROOT, 'dist/runtime-wasm/kernels.wasm');
  if (!existsSync(kernels))
    throw new TritError('the wasm kernels are not built', { file: kernels }, 'run `npm run build` first (`npm run demo` does)');
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    const t0 = Date.now();
    log(`building the demo site in ${out}`);
    renderPages(tmp);
    log('  bundling the pages for the browser (esbuild)…');
    await bundle(tmp);
    cpSync(kernels, join(tmp, 'kernels.wasm')); // for compiling a dropped ONNX file in the page
    log('  compiling the zoo models to wasm…');
    compileModel(LM_MODEL, tmp, log);
    compileModel(DIGITS_MODEL, tmp, log);
    log('  generating the FPGA page…');
    mkdirSync(join(tmp, 'data'));
    writeFileSync(join(tmp, 'data/fpga.json'), JSON.stringify(fpgaData(tmp, log), null, 1));
    rmSync(out, { recursive: true, force: true });
    renameSync(tmp, out);
    log(`built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return out;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
