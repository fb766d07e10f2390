/**
 * @fileoverview How Node-side trit writes what it makes (a .wasm, IR text, a Verilog build folder):
 * never through a symlink, device or FIFO the user named by mistake (as root, `-o /dev/null` would
 * otherwise replace the system's /dev/null), always through a temporary name renamed into place so
 * the target is never partial, and with every temporary removed on every way out — errors,
 * Ctrl-C and SIGTERM included. A kill -9 cannot be caught: the temporaries carry the writer's pid,
 * and the next run that writes beside them removes those whose process is gone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { lstatSync, readdirSync, realpathSync, renameSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { TritError } from '../../common/errors.js';

const janitors = new Map<string, ChildProcess>();

// Watches its parent and removes a folder when the parent is gone without having removed it.
// Killing trit does not kill the tools it started (Verilator's make and g++, vvp): they are
// orphaned and go on writing into the folder, even re-creating it, after it was removed. So while
// the parent lives the janitor keeps a list of its descendants (from /proc, where there is one),
// kills those still running when the parent dies, and then removes the folder until it has stayed
// gone for two seconds (a process started between two looks may still write once).
const JANITOR = `const [pid, path] = process.argv.slice(1);
const fs = require('fs');
const t0 = Date.now();
let kids = [], goneSince = 0;
function descendants(root) {
  let names; try { names = fs.readdirSync('/proc'); } catch { return []; }
  const children = new Map();
  for (const n of names) {
    if (!/^[0-9]+$/.test(n) || Number(n) === process.pid) continue;
    let st; try { st = fs.readFileSync('/proc/' + n + '/stat', 'utf8'); } catch { continue; }
    const ppid = Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(Number(n));
  }
  const out = [], todo = [Number(root)];
  while (todo.length) for (const c of children.get(todo.pop()) || []) { out.push(c); todo.push(c); }
  return out;
}
setInterval(() => {
  let alive = true; try { process.kill(Number(pid), 0); } catch { alive = false; }
  if (alive) { kids = descendants(pid); return; }
  for (const k of kids) try { process.kill(k, 'SIGKILL'); } catch {}
  kids = [];
  try { fs.rmSync(path, { recursive: true, force: true }); } catch {}
  if (fs.existsSync(path)) goneSince = 0; else if (!goneSince) goneSince = Date.now();
  if ((goneSince && Date.now() - goneSince > 2000) || Date.now() - t0 > 600000) process.exit(0);
}, 250);`;

/**
 * Makes sure `path` (a build folder) is removed however this process ends. Errors remove it in a
 * `finally`; but a signal — Ctrl-C, SIGTERM, kill -9 — ends Node at once, and a JavaScript handler
 * could not run anyway while Yosys or nextpnr (WebAssembly, synchronous) holds the thread for
 * minutes. So a small janitor process watches this one and removes the folder when it dies;
 * releaseTemp() sends the janitor away once the folder is gone or renamed into place. Call
 * trackTemp before creating the folder, so that it is never there unwatched.
 */
export function trackTemp(path: string): void {
  const j = spawn(process.execPath, ['-e', JANITOR, String(process.pid), path], { stdio: 'ignore', detached: true });
  j.unref();
  janitors.set(path, j);
}

/** The temporary is gone (renamed into place or removed): no longer ours to clean. */
export function releaseTemp(path: string): void {
  janitors.get(path)?.kill();
  janitors.delete(path);
}

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
  // Written and renamed in one synchronous stretch: only a kill -9 in between leaves the
  // temporary, and the next write into this folder removes it.
  const tmp = tempBeside(path);
  try {
    writeFileSync(tmp, bytes, { flag: 'wx' });
    renameSync(tmp, path);
  } finally {
    rmSync(tmp, { force: true });
  }
}
