/**
 * @fileoverview What the host does because a .wasm is code from a file. Before a module runs a
 * single instruction: it must import exactly its memory, export the five step functions, and have
 * no start function (which would run at instantiation, before any guard) and no memory of its own.
 * While it runs: every call goes through the host's guard (the CLI's watchdog), and a trap becomes
 * a TritError naming the file. The metadata's own checks are in meta-check.ts.
 */
import { TritError } from '../../common/errors.js';
import { readSections } from './binary.js';
import type { ModelExports } from './format.js';
import { notWasm } from './load.js';

/** What a trit module imports and exports: the memory in, the step functions out. A module with
 *  anything else — another import, its own memory, a start function — is not one trit wrote, and
 *  is refused before it runs a single instruction. */
const EXPORTS = ['run', 'advance', 'reset', 'worker', 'stop'] as const;
export function checkInterface(module: WebAssembly.Module, name: string): void {
  const imports = WebAssembly.Module.imports(module);
  const odd = imports.find((i) => !(i.module === 'env' && i.name === 'memory' && i.kind === 'memory'));
  const hint = 'this .wasm was not written by trit compile (or was altered); compile the model again';
  if (odd || imports.length !== 1)
    throw new TritError(
      `the module imports ${odd ? `'${odd.module}.${odd.name}' (${odd.kind})` : `${imports.length} things`}; a trit module imports only its memory`,
      { file: name },
      hint,
    );
  const exports = new Map(WebAssembly.Module.exports(module).map((e) => [e.name, e.kind]));
  const missing = EXPORTS.find((e) => exports.get(e) !== 'function');
  if (missing) throw new TritError(`the module does not export the function '${missing}'`, { file: name }, hint);
}

/** A start function would run at instantiation, before any guard; an own memory is not ours. */
export function checkSections(code: Uint8Array, name: string): void {
  let ids: Set<number>;
  try {
    ids = new Set(readSections(code).map((s) => s.id));
  } catch (e) {
    throw notWasm(e, name);
  }
  const what = ids.has(8) ? 'a start function' : ids.has(5) ? 'its own memory' : '';
  if (what)
    throw new TritError(
      `the module declares ${what}; trit modules have none`,
      { file: name },
      'this .wasm was not written by trit compile (or was altered); compile the model again',
    );
}

/** The module's calls, each through the host's guard, with a trap turned into an error naming the file. */
export function guarded(ex: ModelExports, name: string, guard = <T>(f: () => T): T => f()): ModelExports {
  const wrap =
    <A extends unknown[]>(f: (...a: A) => void) =>
    (...a: A) => {
      try {
        guard(() => f(...a));
      } catch (e) {
        if (e instanceof WebAssembly.RuntimeError)
          throw new TritError(
            `the module trapped: ${e.message}`,
            { file: name },
            'the .wasm is corrupt or not written by trit; compile the model again',
          );
        throw e;
      }
    };
  // worker and stop run on the thread workers and at close; a guard there would stop a pool mid-job.
  return { run: wrap(ex.run), advance: wrap(ex.advance), reset: wrap(ex.reset), worker: ex.worker, stop: ex.stop };
}
