/**
 * @fileoverview Tokens/s of the same .wasm in a real browser (Debian's Chromium, headless, the
 * demo's text page: decoding in a worker that posts each frame's tokens to the page) and in Node (the
 * runtime library), on 1 and 2 threads. `npm run bench:browser -- [--tokens 1000] [--repeats 5]
 * [--wasm extra.wasm ...]`; writes bench/results/<date>-<host>-browser.{json,md}.
 *
 * Each configuration: warm-up generations in both for at least `--warm-seconds` each (5; V8 and
 * Chromium tier a big module up in the background for several seconds — a single short warm-up
 * left the 370M shape's first timed runs at two thirds of its speed), then `repeats` timed
 * generations, browser and Node alternately (this VM's speed drifts by tens of percent over
 * minutes: two back-to-back blocks measured the same Node code at 2,238 and 1,264 tokens/s);
 * the figure is the runtime's decode tokens/s (prompt excluded), median (min–max).
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { hostname, tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { buildDemo, ROOT } from '../demo/build.js';
import { serveDemo } from '../demo/serve.js';
import { launch } from '../fixtures/browser.js';
import { load } from '../runtime-wasm/host/session.js';
import { fmtSummary, summarize, type Summary } from './lib/stats.js';
import { machine } from './lib/machine.js';
import { LM_MODEL } from '../demo/src/site-config.js';

interface Row {
  model: string;
  threads: number;
  browser: Summary;
  node: Summary;
  browserThreads: number;
  nodeThreads: number;
  sharedMatrices: number;
  text: 'equal' | 'differs';
}

const { values: v } = parseArgs({
  options: {
    tokens: { type: 'string' },
    repeats: { type: 'string' },
    wasm: { type: 'string', multiple: true },
    prompt: { type: 'string' },
    'warm-seconds': { type: 'string' },
  },
});
const TOKENS = Number(v.tokens ?? 1000),
  REPEATS = Number(v.repeats ?? 5),
  PROMPT = v.prompt ?? 'ROMEO:',
  WARM_MS = 1000 * Number(v['warm-seconds'] ?? 5);
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
      log(`${model}, ${threads} thread(s), ${tokens} tokens: browser and Node, interleaved…`);
      const page = await browser.context.newPage();
      await page.goto(
        `${server.url}index.html?model=${encodeURIComponent(model)}&threads=${threads}&prompt=${encodeURIComponent(PROMPT)}&max-tokens=${tokens}&seed=1`,
      );
      await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state ?? ''), null, { timeout: 600_000 });
      const s = await load(join(site, model), { threads });
      const inBrowser = async () => {
        await page.click('#generate');
        await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state ?? ''), null, { timeout: 3_600_000 });
        const r = await page.evaluate(() => {
          const d = (
            window as unknown as {
              tritDemo: {
                generated: { text: string; tokensPerSecond: number };
                loaded: { threads: number; meta: { threading?: { shared: number } } };
              };
            }
          ).tritDemo;
          return {
            tps: d.generated.tokensPerSecond,
            text: d.generated.text,
            threads: d.loaded.threads,
            shared: d.loaded.meta.threading?.shared ?? 0,
            err: document.querySelector('#error')!.textContent,
          };
        });
        if (r.err) throw new Error(`the page failed: ${r.err}`);
        return r;
      };
      const inNode = () => s.generate(PROMPT, { maxTokens: tokens, seed: 1, temperature: 0.8 });
      // Warm both up, then alternate browser and Node runs: this VM's speed drifts by tens of
      // percent over minutes, and alternating puts both sides in the same conditions.
      const warmStart = performance.now();
      while (performance.now() - warmStart < 2 * WARM_MS) {
        await inBrowser();
        await inNode();
      }
      const b: number[] = [],
        n: number[] = [];
      let br = await inBrowser(),
        nr = await inNode();
      for (let i = 0; i < REPEATS; i++) {
        if (i) [br, nr] = [await inBrowser(), await inNode()];
        b.push(br.tps);
        n.push(nr.tokensPerSecond);
      }
      const [btext, bthreads, shared, ntext] = [br.text, br.threads, br.shared, nr.text];
      await page.close();
      const nodeThreads = s.threads;
      await s.close();
      rows.push({
        model: basename(model, '.wasm'),
        threads,
        browser: summarize(b)!,
        node: summarize(n)!,
        browserThreads: bthreads,
        nodeThreads,
        sharedMatrices: shared,
        text: btext === ntext ? 'equal' : 'differs',
      });
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
  `# Decode tokens/s: Chromium vs Node (measured)`,
  '',
  `${m.cpu}, ${m.cores} cores, Node ${process.version}, ${chromium} headless; ${new Date().toISOString().slice(0, 10)}.`,
  `Prompt ${JSON.stringify(PROMPT)}, seed 1, temperature 0.8; warm-up generations for ${WARM_MS / 1000} s in each, then ${REPEATS} timed ones each, browser and Node alternately: median (min–max) decode tokens/s.`,
  'Browser: the demo page, decoding in a worker that posts the tokens of each frame (16 ms) to the page. Node: the runtime library in one process.',
  '',
  '| model | threads asked | threads used (browser / Node) | matrices shared | Chromium tokens/s | Node tokens/s | Chromium / Node | same text |',
  '|---|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.model} | ${r.threads} | ${r.browserThreads} / ${r.nodeThreads} | ${r.sharedMatrices} | ${fmtSummary(r.browser)} | ${fmtSummary(r.node)} | ${(r.browser.median / r.node.median).toFixed(2)} | ${r.text} |`,
  ),
  '',
].join('\n');
const stem = join(ROOT, 'bench/results', `${new Date().toISOString().slice(0, 10)}-${m.host}-browser`);
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(
  `${stem}.json`,
  JSON.stringify({ machine: m, chromium, tokens: TOKENS, repeats: REPEATS, warmSeconds: WARM_MS / 1000, prompt: PROMPT, rows }, null, 2) + '\n',
);
writeFileSync(`${stem}.md`, md);
process.stdout.write(md + `\nwrote ${stem}.json and .md\n`);
