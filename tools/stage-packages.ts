/**
 * @fileoverview Stages the runtime package (packages/runtime): its built files are those of
 * `common/` and `runtime-wasm/host/`, copied from dist/ with their relative layout, so the
 * runtime's imports resolve inside the package exactly as in the repository. `npm run build`
 * runs it; `npm pack -w packages/runtime` then packs what it staged.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = [join(import.meta.dirname, '..'), join(import.meta.dirname, '../..')].find((d) => existsSync(join(d, 'package.json')))!;

export function stageRuntime(root = ROOT): string[] {
  const out = join(root, 'packages/runtime/dist');
  rmSync(out, { recursive: true, force: true });
  const copied: string[] = [];
  for (const dir of ['common', 'runtime-wasm/host']) {
    mkdirSync(join(out, dir), { recursive: true });
    for (const f of readdirSync(join(root, 'dist', dir))) {
      if (!f.endsWith('.js') && !f.endsWith('.d.ts')) continue;
      copyFileSync(join(root, 'dist', dir, f), join(out, dir, f));
      copied.push(join(dir, f));
    }
  }
  copyFileSync(join(root, 'LICENSE'), join(root, 'packages/runtime/LICENSE'));
  copyFileSync(join(root, 'LICENSE'), join(root, 'packages/fpga/LICENSE'));
  return copied;
}

if (process.argv[1]?.endsWith('stage-packages.js')) stageRuntime();
