/**
 * @fileoverview How Node-side trit writes what it makes (a .wasm, IR text, a Verilog build folder):
 * never through a symlink, device or FIFO the user named by mistake (as root, `-o /dev/null` would
 * otherwise replace the system's /dev/null), always through a temporary name renamed into place so
 * the target is never partial, and with every temporary removed on every way out — errors,
 * Ctrl-C and SIGTERM included. A kill -9 cannot be caught: the temporaries carry the writer's pid,
 * and the next run that writes beside them removes those whose process is gone.
 */
import { lstatSync, readdirSync, realpathSync, renameSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { TritError } from '../../common/errors.js';

const temps = new Set<string>();
let hooked = false;

function cleanup(): void {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
  temps.clear();
}

/** Removes `path` (file or folder) on exit and on SIGINT/SIGTERM/SIGHUP unless released first. */
export function trackTemp(path: string): void {
  if (!hooked) {
    hooked = true;
    process.once('exit', cleanup);
    for (const [sig, n] of [
      ['SIGINT', 2],
      ['SIGTERM', 15],
      ['SIGHUP', 1],
    ] as const)
      process.once(sig, () => {
        cleanup();
        process.exit(128 + n);
      });
  }
  temps.add(path);
}

/** The temporary is gone (renamed into place or removed): no longer ours to clean. */
export const releaseTemp = (path: string): void => void temps.delete(path);

/** A temporary name beside `target`, tagged with this process's id. */
export function tempBeside(target: string, tag = 'tmp'): string {
  return join(dirname(target), `.${basename(target)}.trit-${tag}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Removes temporaries in `dir` left by trit processes that no longer run; returns their names. */
export function sweepLeftovers(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const gone: string[] = [];
  for (const n of names) {
    const m = /\.trit-[a-z]+-(\d+)-[a-z0-9]+$/.exec(n);
    if (m && n.startsWith('.') && !alive(Number(m[1]))) {
      rmSync(join(dir, n), { recursive: true, force: true });
      gone.push(n);
    }
  }
  return gone;
}

function describe(st: Stats, path: string): string {
  if (st.isSymbolicLink()) {
    let to = '?';
    try {
      to = realpathSync(path);
    } catch {
      /* dangling */
    }
    return `a symlink (to ${to})`;
  }
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'a regular file';
}

/** Refuses an output path that exists and is not what trit would write there ('file' or 'dir'). */
export function checkOutput(path: string, kind: 'file' | 'dir'): void {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch {
    return; // nothing there yet
  }
  const ok = kind === 'file' ? st.isFile() : st.isDirectory();
  if (!ok)
    throw new TritError(
      `the output path is ${describe(st, path)}; trit writes ${kind === 'file' ? 'a regular file' : 'a folder'} there and replaces nothing else`,
      { file: path },
      kind === 'file' ? 'give -o a new file name (or an existing regular file to replace)' : 'give -o a folder (new or existing)',
    );
}

/** Writes `bytes` to `path` through a temporary beside it, renamed into place (never partial). */
export function writeOutput(path: string, bytes: Uint8Array | string, log: (line: string) => void = () => {}): void {
  checkOutput(path, 'file');
  for (const n of sweepLeftovers(dirname(path) || '.')) log(`removed ${join(dirname(path), n)}, left by an earlier trit run that was killed`);
  const tmp = tempBeside(path);
  trackTemp(tmp);
  try {
    writeFileSync(tmp, bytes, { flag: 'wx' });
    renameSync(tmp, path);
  } finally {
    rmSync(tmp, { force: true });
    releaseTemp(tmp);
  }
}
