/**
 * @fileoverview Tokens/s of the same .wasm in a real browser (Debian's Chromium, headless, the
 * demo's text page: decoding in a worker, every token posted to the page) and in Node (the
 * runtime library), on 1 and 2 threads. `npm run bench:browser -- [--tokens 1000] [--repeats 3]
 * [--wasm extra.wasm ...]`; writes bench/results/<date>-<host>-browser.{json,md}.
 *
 * Each configuration: warm-up generations for at least `--warm-seconds` (5; V8 and Chromium tier
 * a big module up in the background for several seconds — a single short warm-up left the 370M
 * shape's first timed runs at two thirds of its speed), then `repeats` timed ones; the figure is
 * the runtime's decode tokens/s (prompt excluded), median (min–max).
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { hostname, tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { buildDemo, ROOT } from '../demo/build.js';
import { serveDemo } from '../demo/serve.js';
import { launch } from '../test/browser/launch.js';
import { load } from '../runtime-wasm/host/session.js';
import { fmtSummary, summarize, type Summary } from './lib/stats.js';
import { machine } from './machine.js';
import { LM_MODEL } from '../demo/src/site-config.js';

interface Row { model: string; threads: number; browser: Summary; node: Summary; browserThreads: number; nodeThreads: number; sharedMatrices: number; text: 'equal' | 'differs' }

const { values: v } = parseArgs({ options: { tokens: { type: 'string' }, repeats: { type: 'string' }, wasm: { type: 'string', multiple: true }, prompt: { type: 'string' }, 'warm-seconds': { type: 'string' } } });
const TOKENS = Number(v.tokens ?? 1000), REPEATS = Number(v.repeats ?? 3), PROMPT = v.prompt ?? 'ROMEO:', WARM_MS = 1000 * Number(v['warm-seconds'] ?? 5);
const log = (s: string) => process.stderr.write(s + '\n');

const site = mkdtempSync(join(tmpdir(), 'trit-bench-site-'));
await buildDemo({ out: site, log });
const models = [LM_MODEL.file];
for (const w of v.wasm ?? []) {
  copyFileSync(w, join(site, 'models', basename(w)));
  models.push(`models/${basename(w)}`);
}
const server = await serveDemo({ root: site, port: 0 });
const browser = await launch();
const rows: Row[] = [];
try {
  for (const model of models) {
    for (const threads of [1, 2]) {
      const tokens = model === LM_MODEL.file ? TOKENS : Math.max(20, Math.round(TOKENS / 10));
      log(`${model}, ${threads} thread(s), ${tokens} tokens: browser…`);
      const page = await browser.context.newPage();
      await page.goto(`${server.url}index.html?model=${encodeURIComponent(model)}&threads=${threads}&prompt=${encodeURIComponent(PROMPT)}&max-tokens=${tokens}&seed=1`);
      await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state ?? ''), null, { timeout: 600_000 });
      const b: number[] = [];
      let btext = '', bthreads = 0, shared = 0;
      const bwarm = performance.now();
      for (let i = 0, timed = 0; timed < REPEATS; i++) {
        const warm = performance.now() - bwarm < WARM_MS;
        await page.click('#generate');
        await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state ?? ''), null, { timeout: 3_600_000 });
        const r = await page.evaluate(() => {
          const d = (window as unknown as { tritDemo: { generated: { text: string; tokensPerSecond: number }; loaded: { threads: number; meta: { threading?: { shared: number } } } } }).tritDemo;
          return { tps: d.generated.tokensPerSecond, text: d.generated.text, threads: d.loaded.threads, shared: d.loaded.meta.threading?.shared ?? 0, err: document.querySelector('#error')!.textContent };
        });
        if (r.err) throw new Error(`the page failed: ${r.err}`);
        if (!warm) { b.push(r.tps); timed++; }
        [btext, bthreads, shared] = [r.text, r.threads, r.shared];
      }
      await page.close();
      log('  Node…');
      const s = await load(join(site, model), { threads });
      const n: number[] = [];
      let ntext = '';
      const nwarm = performance.now();
      for (let timed = 0; timed < REPEATS;) {
        const warm = performance.now() - nwarm < WARM_MS;
        const r = await s.generate(PROMPT, { maxTokens: tokens, seed: 1, temperature: 0.8 });
        if (!warm) { n.push(r.tokensPerSecond); timed++; }
        ntext = r.text;
      }
      const nodeThreads = s.threads;
      await s.close();
      rows.push({ model: basename(model, '.wasm'), threads, browser: summarize(b)!, node: summarize(n)!, browserThreads: bthreads, nodeThreads, sharedMatrices: shared, text: btext === ntext ? 'equal' : 'differs' });
      log(`  browser ${fmtSummary(rows.at(-1)!.browser)}, Node ${fmtSummary(rows.at(-1)!.node)} tokens/s`);
    }
  }
} finally {
  await browser.close();
  await server.close();
  rmSync(site, { recursive: true, force: true });
}

const m = { ...machine(), host: hostname().replace(/[^\w.-]/g, '_') };
const chromium = (await import('node:child_process')).spawnSync('/usr/bin/chromium', ['--version'], { encoding: 'utf8' }).stdout.trim();
const md = [
  `# Decode tokens/s: Chromium vs Node (measured)`, '',
  `${m.cpu}, ${m.cores} cores, Node ${process.version}, ${chromium} headless; ${new Date().toISOString().slice(0, 10)}.`,
  `Prompt ${JSON.stringify(PROMPT)}, seed 1, temperature 0.8; warm-up generations for ${WARM_MS / 1000} s, then ${REPEATS} timed ones: median (min–max) decode tokens/s.`,
  'Browser: the demo page, decoding in a worker that posts every token to the page. Node: the runtime library in one process.', '',
  '| model | threads asked | threads used (browser / Node) | matrices shared | Chromium tokens/s | Node tokens/s | Chromium / Node | same text |', '|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.model} | ${r.threads} | ${r.browserThreads} / ${r.nodeThreads} | ${r.sharedMatrices} | ${fmtSummary(r.browser)} | ${fmtSummary(r.node)} | ${(r.browser.median / r.node.median).toFixed(2)} | ${r.text} |`),
  '',
].join('\n');
const stem = join(ROOT, 'bench/results', `${new Date().toISOString().slice(0, 10)}-${m.host}-browser`);
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(`${stem}.json`, JSON.stringify({ machine: m, chromium, tokens: TOKENS, repeats: REPEATS, warmSeconds: WARM_MS / 1000, prompt: PROMPT, rows }, null, 2) + '\n');
writeFileSync(`${stem}.md`, md);
process.stdout.write(md + `\nwrote ${stem}.json and .md\n`);
