/**
 * Functions short enough to read in one sitting (docs/ARCHITECTURE.md): no function in the
 * compiler, the wasm linker, the Verilog program builder and flow, or the CLI is longer than
 * MAX_LINES, counted from its first to its last line by the TypeScript parser. The op switches
 * (`exec`, `graphStats`) are the longest; they grow by one case per op.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const MAX_LINES = 125;
const ROOMS = ['compiler', 'hdl-gen/src', 'cli'];

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(join(ROOT, p)).isDirectory()) return tsFiles(p);
    return p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

/** Every function with a body: [lines, 'file:line name']. */
function functionLengths(file: string, text = readFileSync(join(ROOT, file), 'utf8')): [number, string][] {
  const src = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: [number, string][] = [];
  const visit = (n: ts.Node) => {
    if (ts.isFunctionLike(n) && 'body' in n && n.body) {
      const first = src.getLineAndCharacterOfPosition(n.getStart()).line;
      const last = src.getLineAndCharacterOfPosition(n.end).line;
      const name = 'name' in n && n.name ? (n.name as ts.Node).getText(src) : '(anonymous)';
      out.push([last - first + 1, `${file}:${first + 1} ${name}`]);
    }
    ts.forEachChild(n, visit);
  };
  visit(src);
  return out;
}

describe('function length', () => {
  it(`no function in ${ROOMS.join(', ')} is over ${MAX_LINES} lines`, () => {
    const all = ROOMS.flatMap(tsFiles).flatMap((f) => functionLengths(f));
    expect(all.length).toBeGreaterThan(500); // the parser saw the sources
    const long = all.filter(([n]) => n > MAX_LINES).map(([n, w]) => `${w}: ${n} lines`);
    expect(long).toEqual([]);
  });

  it('counts a long function, a method and an arrow as long (the check can fail)', () => {
    const body = Array.from({ length: MAX_LINES }, (_, i) => `  const v${i} = ${i};`).join('\n');
    const text = `function f() {\n${body}\n}\nclass C {\n  m() {\n${body}\n  }\n}\nconst g = () => {\n${body}\n};\n`;
    const found = functionLengths('x.ts', text);
    expect(found.map(([n, w]) => [n, w.split(' ')[1]])).toEqual([
      [MAX_LINES + 2, 'f'],
      [MAX_LINES + 2, 'm'],
      [MAX_LINES + 2, '(anonymous)'],
    ]);
  });
});
