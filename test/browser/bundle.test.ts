/**
 * Packaging for browsers: the runtime bundles with esbuild for `platform: 'browser'` (no Node
 * built-in to resolve), a project that installs trit can bundle `trit/runtime` and type-check
 * against its published .d.ts, and the package carries those types.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';

const ROOT = join(import.meta.dirname, '../..');

describe('browser packaging', () => {
  it('bundles the runtime for the browser with esbuild, with no warning and no Node import left to resolve', async () => {
    const r = await esbuild.build({
      absWorkingDir: ROOT,
      entryPoints: ['runtime-wasm/host/session.ts', 'runtime-wasm/host/worker.ts'],
      outdir: 'out',
      bundle: true,
      splitting: true,
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
    });
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    for (const f of r.outputFiles) {
      expect(f.text).not.toMatch(/^\s*import\s.*from\s*["']node:/m);
      expect(f.text).not.toMatch(/\brequire\(/);
    }
    const session = r.outputFiles.find((f) => f.path.endsWith('session.js'))!;
    expect(session.text).toMatch(/export\s*\{[^}]*\bload\b/);
    expect(session.text.length).toBeLessThan(100_000); // the runtime alone: no compiler, no binaryen
    // The carried-tokenizer parser (protobufjs for tokenizer.model) is a chunk of its own, fetched
    // only by models that carry a tokenizer.
    expect(session.text).not.toMatch(/protobuf/i);
    expect(session.text).toMatch(/import\(["']\.\/carried-tokenizer-[\w-]+\.js["']\)/);
  });

  it('lets a project that installs trit bundle `trit/runtime` for the browser and type-check against its .d.ts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trit-consumer-'));
    try {
      mkdirSync(join(dir, 'node_modules'));
      symlinkSync(ROOT, join(dir, 'node_modules/trit'), 'dir');
      writeFileSync(
        join(dir, 'app.ts'),
        [
          "import { load, type TritSession, type GenerateResult } from 'trit/runtime';",
          'export async function demo(url: string): Promise<string> {',
          "  const s: TritSession = await load(url, { threads: 2, workerUrl: '/js/worker.js' });",
          "  const r: GenerateResult = await s.generate('ROMEO:', { maxTokens: 10, seed: 1 });",
          "  return r.text + s.inputNames.join(',');",
          '}',
        ].join('\n'),
      );
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            module: 'ESNext',
            moduleResolution: 'Bundler',
            target: 'ES2022',
            strict: true,
            noEmit: true,
            lib: ['ES2022', 'DOM'],
            types: [],
            skipLibCheck: false,
          },
          files: ['app.ts'],
        }),
      );
      const r = await esbuild.build({
        absWorkingDir: dir,
        entryPoints: ['app.ts'],
        bundle: true,
        platform: 'browser',
        format: 'esm',
        write: false,
        logLevel: 'silent',
        preserveSymlinks: true,
      });
      expect(r.warnings).toEqual([]);
      expect(r.outputFiles[0].text).toMatch(/new Worker\(/); // the runtime came along
      const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8' });
      expect(tsc.stdout + tsc.stderr).toBe('');
      expect(tsc.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('publishes the runtime with its types', () => {
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const files = new Set((JSON.parse(r.stdout)[0].files as { path: string }[]).map((f) => f.path));
    for (const f of [
      'dist/runtime-wasm/host/session.js',
      'dist/runtime-wasm/host/session.d.ts',
      'dist/runtime-wasm/host/worker.js',
      'dist/runtime-wasm/host/node.js',
      'dist/runtime-wasm/host/format.d.ts',
      'dist/compiler/index.js',
      'dist/compiler/index.d.ts',
      'dist/runtime-wasm/kernels.wasm',
    ])
      expect(files.has(f), f).toBe(true);
    expect([...files].some((f) => f.startsWith('dist/test/'))).toBe(false);
  });
});
