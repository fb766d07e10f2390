/**
 * The demo server (demo/serve.ts): the cross-origin-isolation headers (with them, pages get
 * SharedArrayBuffer and threads; without, the one-thread fallback), MIME types, and refusals:
 * paths outside the site (symlinks included), FIFOs, other methods, a port in use. And `npm run demo`'s flag checks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { serveDemo, type RunningServer } from '../../demo/serve.js';

/** GET with the path sent as written (fetch would resolve the dot segments first). */
function rawGet(url: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const u = new URL(url);
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

const ROOT = join(import.meta.dirname, '../..');
let dir: string;
let on: RunningServer, off: RunningServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trit-serve-'));
  mkdirSync(join(dir, 'site/models'), { recursive: true });
  writeFileSync(join(dir, 'site/index.html'), '<p>hi</p>');
  writeFileSync(join(dir, 'site/models/m.wasm'), new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
  writeFileSync(join(dir, 'secret.txt'), 'outside the site');
  symlinkSync(join(dir, 'secret.txt'), join(dir, 'site/link-out.txt'));
  symlinkSync(join(dir, 'site/index.html'), join(dir, 'site/link-in.html'));
  execFileSync('mkfifo', [join(dir, 'site/fifo.js')]);
  on = await serveDemo({ root: join(dir, 'site'), port: 0 });
  off = await serveDemo({ root: join(dir, 'site'), port: 0, isolation: false });
});

afterAll(async () => {
  await on?.close();
  await off?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('demo server', () => {
  it('sends COOP/COEP (and CORP) on every response when isolating, none otherwise', async () => {
    for (const path of ['', 'index.html', 'models/m.wasm', 'missing.js']) {
      const a = await fetch(on.url + path);
      expect(a.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(a.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
      expect(a.headers.get('cross-origin-resource-policy')).toBe('same-origin');
      const b = await fetch(off.url + path);
      expect(b.headers.get('cross-origin-opener-policy')).toBeNull();
      expect(b.headers.get('cross-origin-embedder-policy')).toBeNull();
    }
  });

  it('serves files with their types, / as index.html, and 404s the rest', async () => {
    const idx = await fetch(on.url);
    expect(idx.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await idx.text()).toBe('<p>hi</p>');
    const w = await fetch(on.url + 'models/m.wasm');
    expect(w.headers.get('content-type')).toBe('application/wasm');
    expect(new Uint8Array(await w.arrayBuffer())).toEqual(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
    expect((await fetch(on.url + 'nope.html')).status).toBe(404);
    expect((await fetch(on.url + 'models')).status).toBe(404); // a folder is not a file
  });

  it('never serves a file outside the site', async () => {
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/models/..%2f..%2fsecret.txt', '/models/../../secret.txt']) {
      const r = await rawGet(on.url, p);
      expect(r.status, p).toBe(404);
      expect(r.body).not.toContain('outside the site');
    }
  });

  it('follows symlinks only inside the site, and lives on through files it cannot serve', async () => {
    const out = await rawGet(on.url, '/link-out.txt');
    expect(out.status).toBe(403);
    expect(out.body).not.toContain('outside the site');
    expect(await (await fetch(on.url + 'link-in.html')).text()).toBe('<p>hi</p>');
    expect((await rawGet(on.url, '/fifo.js')).status).toBe(404); // opened without blocking, then refused
    expect((await fetch(on.url + 'index.html')).status).toBe(200); // still serving
  });

  it('answers only GET and HEAD', async () => {
    expect((await fetch(on.url + 'index.html', { method: 'POST', body: 'x' })).status).toBe(405);
    const h = await fetch(on.url + 'index.html', { method: 'HEAD' });
    expect(h.status).toBe(200);
    expect(h.headers.get('content-length')).toBe('9');
  });

  it('names the port when it is in use', async () => {
    const port = Number(new URL(on.url).port);
    await expect(serveDemo({ root: join(dir, 'site'), port })).rejects.toThrow(new RegExp(`port ${port} is in use[\\s\\S]*--port`));
  });
});

describe('npm run demo', () => {
  const demo = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'dist/demo/main.js'), ...args], { encoding: 'utf8' });

  it('refuses bad flags before building anything', () => {
    for (const [args, msg] of [
      [['--port', 'x'], /--port must be an integer/],
      [['--bogus'], /Unknown option '--bogus'/],
      [['--build-only', '--no-build'], /contradict/],
      [['--no-build', '--out', join(dir, 'none')], /no demo site is built there/],
    ] as const) {
      const r = demo(...args);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    }
    expect(demo('--help').stdout).toMatch(/--no-isolation/);
  });
});
