/**
 * @fileoverview Re-renders a result file's report.md and plots (after a renderer change, or to
 * read an old result with the current layout):
 *
 *   node dist/bench/render.js bench/results/<date>-<host>.json
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderReport } from './lib/report.js';
import type { BenchResult } from './lib/types.js';

const file = process.argv[2];
if (!file?.endsWith('.json')) {
  process.stderr.write('usage: node dist/bench/render.js bench/results/<date>-<host>.json\n');
  process.exit(2);
}
const result = JSON.parse(readFileSync(file, 'utf8')) as BenchResult;
const dir = file.replace(/\.json$/, '');
mkdirSync(dir, { recursive: true });
const r = renderReport(result);
writeFileSync(join(dir, 'report.md'), r.markdown);
for (const [name, svg] of Object.entries(r.svgs)) writeFileSync(join(dir, name), svg);
process.stdout.write(`${join(dir, 'report.md')} (+${Object.keys(r.svgs).length} plots)\n`);
