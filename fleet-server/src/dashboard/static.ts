import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../http/env';

/** The repo's `dashboard/dist`, found from this file (fleet-server/src/dashboard → ../../../dashboard/dist). */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../../dashboard/dist', import.meta.url));

/** Paths that belong to the server, never to the dashboard (no SPA fallback under them). */
export const SERVER_PATHS = ['/api', '/mqtt', '/healthz', '/readyz', '/metrics', '/openapi.json', '/docs'];

/** The command that builds the dashboard, shown when it is not built. */
export const BUILD_COMMAND = 'npx -y pnpm@10.34.9 --filter @edgefleet/dashboard build';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

/** Hashed build output never changes under its name; everything else is revalidated. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
const NO_CACHE = 'no-cache';

const isServerPath = (path: string) =>
  SERVER_PATHS.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));

/** Whether the client asked for HTML explicitly (a browser navigation), not just `*\/*`. */
const acceptsHtml = (accept: string | undefined) => /(^|,)\s*text\/html\s*(;|,|$)/i.test(accept ?? '');

/**
 * The file under `root` a URL path names, or null when it escapes `root` (`..`, encoded separators, NUL,
 * backslashes, a symlink pointing out) or is not a regular file.
 */
export async function resolveStaticFile(root: string, urlPath: string): Promise<string | null> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.split('/').filter((s) => s.length > 0);
  if (segments.some((s) => s === '..' || s === '.')) return null;
  const candidate = resolve(root, ...segments);
  if (!inside(root, candidate)) return null;
  try {
    const [realRoot, realFile] = await Promise.all([realpath(root), realpath(candidate)]);
    if (!inside(realRoot, realFile)) return null;
    return (await stat(realFile)).isFile() ? realFile : null;
  } catch {
    return null;
  }
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

function notBuiltPage(dir: string): string {
  const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
  return `<!doctype html><html><head><meta charset="utf-8"><title>EdgeFleet dashboard not built</title>
<style>body{font:15px system-ui;max-width:42rem;margin:3rem auto;padding:0 1rem}code{background:#f3f3f3;padding:.1rem .3rem}</style>
</head><body><h1>The dashboard is not built</h1>
<p>No <code>index.html</code> in <code>${escapeHtml(dir)}</code>. Build it from the repository root:</p>
<pre><code>${escapeHtml(BUILD_COMMAND)}</code></pre>
<p>or point <code>--dashboard-dir</code> / <code>EDGEFLEET_DASHBOARD_DIR</code> at a built copy, then reload.
The API works meanwhile: <a href="/docs">/docs</a>.</p></body></html>`;
}

/**
 * Serves the built dashboard from `dir` for GET and HEAD: files as they are (hashed `/assets/*` cached for a
 * year, the rest `no-cache`), and `index.html` for any other path that is not the server's own and whose
 * request accepts `text/html` (SPA routes such as `/rollouts/r-1`). Without an `index.html` such requests get
 * a page saying how to build it. Anything else passes on (the JSON 404).
 */
export function serveDashboard(dir: string): MiddlewareHandler<AppEnv> {
  const root = resolve(dir);
  return async (c, next) => {
    const path = c.req.path;
    if ((c.req.method !== 'GET' && c.req.method !== 'HEAD') || isServerPath(path)) return next();
    const file = path === '/' ? null : await resolveStaticFile(root, path);
    if (file) {
      const body = await readFile(file);
      const cache = path.startsWith('/assets/') ? IMMUTABLE : NO_CACHE;
      return c.body(body, 200, {
        'content-type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
        'cache-control': cache,
        'x-content-type-options': 'nosniff',
      });
    }
    if (path !== '/' && !acceptsHtml(c.req.header('accept'))) return next();
    if (path.startsWith('/assets/')) return next();
    const index = await resolveStaticFile(root, '/index.html');
    if (!index) {
      return c.html(notBuiltPage(root), 200, { 'cache-control': NO_CACHE });
    }
    return c.body(await readFile(index), 200, {
      'content-type': CONTENT_TYPES['.html']!,
      'cache-control': NO_CACHE,
      'x-content-type-options': 'nosniff',
    });
  };
}
