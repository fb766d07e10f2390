/**
 * The packages as their users get them: `npm pack` each, install the runtime alone into a
 * scratch project (no network: it has no dependencies), measure it, bundle it for the browser
 * with esbuild, type-check a consumer with skipLibCheck: false, and run a model with it in Node.
 * The compiler package's manifest must not pull the FPGA tools.
 */
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, statSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { compileFile } from '../../compiler/node.js';
import { linkWasm } from '../../compiler/backends/wasm/link.js';
import { TritSession } from '../../runtime-wasm/host/session.js';

const ROOT = join(import.meta.dirname, '../..');
const npm = (args: string[], cwd: string) =>
  spawnSync('npm', args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });

function duBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? duBytes(p) : e.isSymbolicLink() ? 0 : statSync(p).size;
  }
  return n;
}

interface Packed {
  filename: string;
  files: { path: string }[];
  unpackedSize: number;
}
function pack(args: string[], dest: string): Packed {
  const r = npm(['pack', ...args, '--pack-destination', dest, '--json'], ROOT);
  expect(r.status, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as Packed[])[0];
}

describe('packages, installed as a user installs them', () => {
  let dir = '';
  let app = '';
  let runtime: Packed;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'trit-packages-'));
    app = join(dir, 'app');
    runtime = pack(['-w', 'packages/runtime'], dir);
    spawnSync('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    const r = npm(['install', '--offline', '--no-audit', '--no-fund', join(dir, runtime.filename)], app);
    expect(r.status, r.stderr).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the runtime ships only its code, types, README and LICENSE, and installs alone in under 5 MB', () => {
    const files = runtime.files.map((f) => f.path);
    expect(files).toContain('dist/runtime-wasm/host/session.js');
    expect(files).toContain('dist/runtime-wasm/host/worker.d.ts');
    expect(files).toContain('LICENSE');
    for (const f of files) expect(f).toMatch(/^(dist\/common\/|dist\/runtime-wasm\/host\/|README\.md$|LICENSE$|package\.json$)/);
    const installed = duBytes(join(app, 'node_modules'));
    console.log(`trit-runtime: ${files.length} files, installed ${(installed / 1024).toFixed(0)} KiB`);
    expect(installed).toBeLessThan(5 * 2 ** 20);
    expect(readdirSync(join(app, 'node_modules'))).toEqual(expect.arrayContaining(['trit-runtime']));
    expect(readdirSync(join(app, 'node_modules')).filter((d) => !d.startsWith('.'))).toEqual(['trit-runtime']); // no dependencies
  });

  it('bundles for the browser (the session and ./worker) and type-checks a consumer with skipLibCheck: false', async () => {
    writeFileSync(
      join(app, 'app.ts'),
      [
        "import { load, TritError, VERSION, type TritSession, type GenerateResult, type WasmMeta, type LoadOptions, type Classification } from 'trit-runtime';",
        'export async function demo(url: string): Promise<string> {',
        "  const opts: LoadOptions = { threads: 2, workerUrl: '/js/worker.js' };",
        '  const s: TritSession = await load(url, opts);',
        '  const m: WasmMeta = s.meta;',
        "  const r: GenerateResult = await s.generate('ROMEO:', { maxTokens: 10, seed: 1 });",
        '  const c: Classification | undefined = undefined;',
        "  if (!(s instanceof Object)) throw new TritError('x');",
        "  return r.text + m.model + VERSION + String(c) + s.inputNames.join(',');",
        '}',
      ].join('\n'),
    );
    writeFileSync(join(app, 'worker.ts'), "import 'trit-runtime/worker';\n");
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          strict: true,
          noEmit: true,
          lib: ['ES2022', 'DOM'],
          types: [],
          skipLibCheck: false,
        },
        files: ['app.ts', 'worker.ts'],
      }),
    );
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', app], { encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
    const b = await esbuild.build({
      absWorkingDir: app,
      entryPoints: ['app.ts', 'worker.ts'],
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'browser',
      outdir: 'out',
      write: false,
      logLevel: 'silent',
    });
    expect(b.errors).toEqual([]);
    expect(b.warnings).toEqual([]);
    for (const f of b.outputFiles) expect(f.text).not.toMatch(/^\s*import\s.*from\s*["']node:/m);
  });

  it('runs a model in Node from the installed package, with the same text as the repository runtime', async () => {
    const c = compileFile(join(ROOT, 'models/zoo/random-mmfree-tiny/model.onnx'));
    const wasm = join(app, 'tiny.wasm');
    writeFileSync(wasm, linkWasm(c.ir).bytes);
    writeFileSync(
      join(app, 'run.mjs'),
      "import { load } from 'trit-runtime';\nconst s = await load(process.argv[2]);\nconst r = await s.generate('ab', { maxTokens: 12, seed: 3 });\nprocess.stdout.write(JSON.stringify(r.tokens));\nawait s.close();\n",
    );
    const r = spawnSync(process.execPath, ['run.mjs', wasm], { cwd: app, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const s = await TritSession.create(readFileSync(wasm));
    const want = await s.generate('ab', { maxTokens: 12, seed: 3 });
    await s.close();
    expect(JSON.parse(r.stdout)).toEqual(want.tokens);
  });

  it('the compiler package carries no bench, docs images or bench kernels, and does not depend on the FPGA tools', () => {
    const trit = pack(['--dry-run'], dir);
    const files = trit.files.map((f) => f.path);
    expect(files).toContain('LICENSE');
    expect(files).toContain('dist/cli/main.js');
    expect(files).toContain('dist/runtime-wasm/kernels.wasm');
    for (const f of files) {
      expect(f).not.toMatch(/^dist\/(bench|demo|fixtures|test|tools)\//);
      expect(f).not.toMatch(/\.png$|bench-kernels/);
    }
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(Object.keys(pkg.dependencies).sort()).toEqual(['binaryen', 'onnx-proto']);
    expect(pkg.peerDependenciesMeta['trit-fpga'].optional).toBe(true);
    const fpga = JSON.parse(readFileSync(join(ROOT, 'packages/fpga/package.json'), 'utf8'));
    expect(Object.keys(fpga.dependencies).sort()).toEqual(['@yowasp/nextpnr-ice40', '@yowasp/yosys']);
  });
});
