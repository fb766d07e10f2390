/**
 * The house rules (docs/ARCHITECTURE.md), checked on every import of every source file: each room
 * imports only from the rooms listed for it (all of them lower), no import circle among source
 * files, and the runtime imports no package (it installs alone, packages/runtime). A test, not a linter
 * config, because the rules are eleven lines and need nothing installed.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');

/** Rooms, most specific prefix first; each may import itself and the rooms listed. */
const RULES: [room: string, mayImport: string[]][] = [
  ['common', []],
  ['runtime-wasm/host', ['common']],
  ['compiler/util', ['common']],
  ['compiler/ir', ['common', 'compiler/util']],
  ['compiler/interp', ['common', 'compiler/util', 'compiler/ir']],
  ['compiler/float', ['common', 'compiler/util', 'compiler/ir']],
  ['compiler/formats', ['common', 'compiler/util']],
  ['compiler/lower', ['common', 'compiler/util', 'compiler/ir', 'compiler/interp', 'compiler/float']],
  ['compiler/frontends', ['common', 'compiler/util', 'compiler/ir', 'compiler/float', 'compiler/formats']],
  ['compiler/backends', ['common', 'compiler/util', 'compiler/ir', 'compiler/interp', 'runtime-wasm/host']],
  ['compiler', ['common', 'compiler/*', 'runtime-wasm/host']],
  ['hdl-gen/src', ['common', 'compiler', 'compiler/*']],
  ['fixtures', ['common', 'compiler', 'compiler/*', 'runtime-wasm/host', 'hdl-gen/src']],
  ['bench/lib', ['common', 'compiler', 'compiler/*', 'runtime-wasm/host', 'hdl-gen/src', 'fixtures']],
  ['bench/suite', ['common', 'compiler', 'compiler/*', 'runtime-wasm/host', 'hdl-gen/src', 'fixtures', 'bench/lib']],
  ['demo', ['common', 'compiler', 'compiler/*', 'runtime-wasm/host', 'hdl-gen/src', 'bench/lib']],
  ['bench', ['common', 'compiler', 'compiler/*', 'runtime-wasm/host', 'hdl-gen/src', 'fixtures', 'bench/lib', 'bench/suite', 'demo']],
  ['tools', ['common', 'compiler', 'compiler/*', 'hdl-gen/src']],
  ['cli', ['common', 'compiler', 'compiler/*', 'runtime-wasm/host', 'hdl-gen/src', 'bench/suite']],
  ['fuzz', ['common', 'compiler', 'compiler/*', 'runtime-wasm/host', 'fixtures', 'cli']],
];
const SOURCES = ['common', 'runtime-wasm/host', 'compiler', 'hdl-gen/src', 'fixtures', 'bench', 'demo', 'tools', 'cli', 'fuzz'];

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(join(ROOT, p)).isDirectory()) return tsFiles(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

/** The room of a file: the longest matching prefix in RULES. */
function roomOf(file: string): string {
  const r = RULES.map(([room]) => room)
    .filter((room) => file === room || file.startsWith(room + '/'))
    .sort((a, b) => b.length - a.length)[0];
  if (!r) throw new Error(`${file} is in no room: add it to RULES and docs/ARCHITECTURE.md`);
  return r;
}

function allowed(from: string, to: string): boolean {
  if (from === to) return true;
  return RULES.find(([r]) => r === from)![1].some((a) => a === to || (a.endsWith('/*') && to.startsWith(a.slice(0, -1))));
}

/** A file's text with comments blanked (newlines kept, so line numbers stay right). */
function code(file: string): string {
  return readFileSync(join(ROOT, file), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' '))
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/** Every import (static, `export … from`, dynamic with a literal; not `typeof import(…)`, which is a
 *  type) of a file: [specifier, line]. */
function importsOf(file: string): [string, number][] {
  const src = code(file);
  const out: [string, number][] = [];
  const re = /(typeof\s*)?(?:^|[^\w.])(?:import|export)\s*(?:type\s+)?(?:[\w*{}\s,]+?\s+from\s+)?\(?\s*['"]([^'"]+)['"]/gm;
  for (const m of src.matchAll(re)) if (!m[1]) out.push([m[2], src.slice(0, m.index).split('\n').length]);
  return out;
}

const files = SOURCES.flatMap(tsFiles);
const graph = new Map<string, string[]>();
for (const f of files) {
  graph.set(
    f,
    importsOf(f)
      .filter(([s]) => s.startsWith('.'))
      .map(([s]) => normalize(join(dirname(f), s)).replace(/\.js$/, '.ts')),
  );
}

describe('the house rules (docs/ARCHITECTURE.md)', () => {
  it('finds the sources it checks', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(graph.get('cli/cli.ts')).toContain('cli/options.ts');
    expect(allowed('common', 'compiler')).toBe(false); // the rules can say no
    expect(allowed('compiler/ir', 'compiler/lower')).toBe(false);
    expect(allowed('runtime-wasm/host', 'compiler')).toBe(false);
  });

  it('every import runs downward, to a room the importer may use', () => {
    const bad: string[] = [];
    for (const [f, deps] of graph) {
      for (const d of deps) if (!allowed(roomOf(f), roomOf(d))) bad.push(`${f} imports ${d} (${roomOf(f)} may not use ${roomOf(d)})`);
    }
    expect(bad).toEqual([]);
  });

  it('no import circle among source files', () => {
    // Tarjan's strongly connected components; any component of more than one file is a circle.
    let index = 0;
    const idx = new Map<string, number>(),
      low = new Map<string, number>(),
      stack: string[] = [],
      on = new Set<string>();
    const circles: string[][] = [];
    const visit = (v: string) => {
      idx.set(v, index);
      low.set(v, index++);
      stack.push(v);
      on.add(v);
      for (const w of graph.get(v) ?? []) {
        if (!graph.has(w)) continue;
        if (!idx.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
      }
      if (low.get(v) === idx.get(v)) {
        const c: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          on.delete(w);
          c.push(w);
        } while (w !== v);
        if (c.length > 1) circles.push(c);
      }
    };
    for (const f of graph.keys()) if (!idx.has(f)) visit(f);
    expect(circles).toEqual([]);
  });

  it('every relative import names a file that exists', () => {
    const missing = [...graph].flatMap(([f, deps]) =>
      deps.filter((d) => !files.includes(d) && !d.startsWith('node_modules')).map((d) => `${f} → ${d}`),
    );
    expect(missing.filter((m) => !m.endsWith('.json'))).toEqual([]);
  });

  it('the runtime uses no package at all, and no Node module outside its Node entry', () => {
    const bad: string[] = [];
    // common/ ships inside the runtime package too (tools/stage-packages.ts)
    for (const f of files.filter((x) => roomOf(x) === 'runtime-wasm/host' || roomOf(x) === 'common')) {
      for (const [s, line] of importsOf(f)) {
        if (s.startsWith('.')) continue;
        if (s.startsWith('node:') && ['runtime-wasm/host/node.ts', 'runtime-wasm/host/worker.ts', 'runtime-wasm/host/threads-node.ts'].includes(f))
          continue;
        bad.push(`${f}:${line} imports '${s}'`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('the rules name only rooms that exist', () => {
    for (const [room] of RULES) expect(statSync(join(ROOT, room)).isDirectory(), room).toBe(true);
  });
});
