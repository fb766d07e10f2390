/**
 * @fileoverview Writes the constants the back-ends' other languages share with TypeScript:
 * runtime-wasm/assembly/codes.ts (AssemblyScript) and hdl-gen/rtl/trit_isa.vh (Verilog), from
 * compiler/backends/wasm/codes.ts, hdl-gen/src/isa.ts and the IR's rounding modes. `npm run build`
 * runs it before compiling the kernels; with --check it only reports a difference (exit 1).
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { assemblyScriptCodes } from '../compiler/backends/wasm/codes.js';
import { verilogCodes } from '../hdl-gen/src/isa.js';

/** The repository root: from tools/ (source) or dist/tools/ (built). */
const ROOT = [join(import.meta.dirname, '..'), join(import.meta.dirname, '../..')].find((d) => existsSync(join(d, 'package.json')))!;

export const GENERATED: [string, () => string][] = [
  ['runtime-wasm/assembly/codes.ts', assemblyScriptCodes],
  ['hdl-gen/rtl/trit_isa.vh', verilogCodes],
];

if (process.argv[1]?.endsWith('gen-codes.js')) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [file, render] of GENERATED) {
    const path = join(ROOT, file),
      text = render();
    if (existsSync(path) && readFileSync(path, 'utf8') === text) continue;
    stale++;
    if (check) process.stderr.write(`gen-codes: ${file} is out of date (npm run build rewrites it)\n`);
    else writeFileSync(path, text);
  }
  process.exitCode = check && stale ? 1 : 0;
}
