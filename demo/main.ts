#!/usr/bin/env node
/**
 * @fileoverview `npm run demo`: builds the demo site and serves it on localhost.
 */
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildDemo, ROOT } from './build.js';
import { serveDemo } from './serve.js';
import { TritError } from '../common/errors.js';

const USAGE = `npm run demo -- [--port 8080] [--host 127.0.0.1] [--no-isolation] [--out build/demo] [--build-only | --no-build]

Builds the demo site (the zoo LM and MNIST classifier compiled to wasm, the pages bundled with
esbuild, the FPGA page's Verilog, UP5K report and energy table) into build/demo and serves it.

  --port N          port to listen on (default 8080; 0 picks a free one)
  --host H          address to listen on (default 127.0.0.1)
  --no-isolation    serve without the COOP/COEP headers: the pages fall back to one thread
  --out DIR         where the site is built (default build/demo)
  --build-only      build the site, do not serve it
  --no-build        serve the site already built in --out
`;

async function main(argv: string[]): Promise<number> {
  let v;
  try {
    v = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'no-isolation': { type: 'boolean' },
        out: { type: 'string' },
        'build-only': { type: 'boolean' },
        'no-build': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (e) {
    process.stderr.write(`demo: ${(e as Error).message}\n\n${USAGE}`);
    return 1;
  }
  if (v.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const port = v.port === undefined ? 8080 : Number(v.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`demo: --port must be an integer in [0, 65535], got '${v.port}'\n`);
    return 1;
  }
  if (v['build-only'] && v['no-build']) {
    process.stderr.write('demo: --build-only and --no-build contradict each other\n');
    return 1;
  }
  const out = resolve(v.out ?? join(ROOT, 'build/demo'));
  try {
    if (!v['no-build']) await buildDemo({ out });
    else if (!existsSync(join(out, 'index.html')))
      throw new TritError('no demo site is built there', { file: out }, 'run `npm run demo` without --no-build');
    if (v['build-only']) return 0;
    const s = await serveDemo({ root: out, port, host: v.host, isolation: !v['no-isolation'] });
    process.stdout.write(
      `\ntrit demo: ${s.url}  (${v['no-isolation'] ? 'no COOP/COEP headers: one thread' : 'cross-origin isolated: threads available'})\n` +
        `  ${s.url}index.html   text generation (mmfree-shakespeare-char)\n  ${s.url}digits.html  draw a digit (columns-mnist)\n` +
        `  ${s.url}fpga.html    Verilog, UP5K report, energy table\n  ${s.url}run.html     drop your own .wasm or .onnx\nCtrl-C stops it.\n`,
    );
    const stop = () => {
      void s.close().then(() => process.exit(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    return await new Promise<number>(() => {});
  } catch (e) {
    if (e instanceof TritError) {
      process.stderr.write(`demo: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

process.exitCode = await main(process.argv.slice(2));
