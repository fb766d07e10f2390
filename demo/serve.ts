/**
 * @fileoverview The demo's static server. It sends the two headers that make a page
 * cross-origin isolated (COOP same-origin + COEP require-corp): only then do browsers give a
 * page SharedArrayBuffer, which wasm threads need. `isolation: false` serves without them, to
 * see (and test) the one-thread fallback.
 *
 * Files are served only from inside the site root, symlinks resolved first; a request that fails
 * (a file it cannot open, a read error) gets its answer without taking the server down.
 *
 * Hand-written (node:http, ~80 lines) rather than a dev-server package: it serves a folder of
 * static files and must set exactly these headers on every response, workers included.
 */
import { createServer, type Server } from 'node:http';
import { closeSync, constants, createReadStream, fstatSync, openSync, realpathSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import { TritError } from '../common/errors.js';

export interface ServeOptions {
  root: string;
  /** 0 = any free port. */
  port?: number;
  host?: string;
  /** Send COOP/COEP (default true). */
  isolation?: boolean;
}

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.v': 'text/plain; charset=utf-8',
  '.hex': 'text/plain; charset=utf-8',
  '.pcf': 'text/plain; charset=utf-8',
};

/**
 * The open file behind a request, or the status to answer: 404 for nothing there (or not a regular
 * file), 403 for a file that cannot be opened or whose real path — symlinks followed — leaves the
 * site root. Opened without blocking (a FIFO in the site would otherwise hang the open).
 */
function openInside(realRoot: string, file: string): { fd: number; size: number } | number {
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    return 404;
  }
  if (real !== realRoot && !real.startsWith(realRoot + sep)) return 403;
  let fd: number;
  try {
    fd = openSync(real, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 404 : 403;
  }
  const st = fstatSync(fd);
  if (!st.isFile()) {
    closeSync(fd);
    return 404;
  }
  return { fd, size: st.size };
}

export function serveDemo(o: ServeOptions): Promise<RunningServer> {
  const root = resolve(o.root);
  let realRoot: string;
  try {
    realRoot = realpathSync(root);
  } catch {
    return Promise.reject(new TritError('the site folder does not exist', { file: root }, 'build the demo first (npm run demo)'));
  }
  const isolation = o.isolation !== false;
  const server: Server = createServer((req, res) => {
    const headers: Record<string, string> = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };
    if (isolation) {
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
      headers['Cross-Origin-Resource-Policy'] = 'same-origin';
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...headers, Allow: 'GET, HEAD' }).end();
      return;
    }
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      res.writeHead(400, headers).end('bad request');
      return;
    }
    const file = normalize(join(root, path.endsWith('/') ? path + 'index.html' : path));
    // A path outside the site is not found (saying more would tell what exists there).
    const opened = file === root || file.startsWith(root + sep) ? openInside(realRoot, file) : 404;
    if (typeof opened === 'number') {
      res
        .writeHead(opened, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' })
        .end(`${opened === 403 ? 'forbidden' : 'not found'}: ${path}\n`);
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': String(opened.size) });
    if (req.method === 'HEAD') {
      closeSync(opened.fd);
      res.end();
      return;
    }
    // A read that fails half-way (a file removed, a disk error) ends this response, not the server.
    createReadStream('', { fd: opened.fd })
      .on('error', () => res.destroy())
      .pipe(res);
  });
  server.on('clientError', (_e, socket) => socket.destroy());
  return new Promise((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      fail(
        e.code === 'EADDRINUSE'
          ? new TritError(`port ${o.port} is in use`, {}, 'pass another one with --port N (0 picks a free port)')
          : new TritError(`cannot serve the demo: ${e.message}`),
      );
    });
    server.listen(o.port ?? 8080, o.host ?? '127.0.0.1', () => {
      const a = server.address() as AddressInfo;
      const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
      ok({
        url: `http://${host}:${a.port}/`,
        close: () =>
          new Promise((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}
