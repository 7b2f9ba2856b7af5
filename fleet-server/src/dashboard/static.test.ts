import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/harness';
import { BUILD_COMMAND, resolveStaticFile } from './static';

// A real server serving a temp folder of built-dashboard-like files (the dashboard itself is not built here).

let root: string;
let dist: string;
let t: TestServer;
let bare: TestServer;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'edgefleet-dashboard-'));
  dist = join(root, 'dist');
  mkdirSync(join(dist, 'assets'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), '<!doctype html><div id="app">dashboard</div>');
  writeFileSync(join(dist, 'assets', 'index-3f2a9c.js'), 'console.log("app")');
  writeFileSync(join(dist, 'assets', 'index-3f2a9c.css'), 'body{}');
  writeFileSync(join(dist, 'favicon.svg'), '<svg/>');
  writeFileSync(join(root, 'secret.txt'), 'outside the dist folder');
  symlinkSync(join(root, 'secret.txt'), join(dist, 'link.txt'));
  t = await startTestServer({ dashboardDir: dist });
  bare = await startTestServer({ dashboardDir: join(root, 'missing') });
});

afterAll(async () => {
  await t?.dispose();
  await bare?.dispose();
  rmSync(root, { recursive: true, force: true });
});

const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

/** A GET with the path sent exactly as written (fetch would normalise `..` and `%2e%2e`). */
function rawGet(base: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/`, { path, method: 'GET', headers: html }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('dashboard static serving', () => {
  it('serves index.html at / and for SPA routes, never cached', async () => {
    for (const path of ['/', '/rollouts/r-1', '/devices/d1?tab=reports']) {
      const res = await fetch(`${t.url}${path}`, { headers: html });
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(await res.text()).toContain('id="app"');
    }
  });

  it('serves hashed assets with long cache headers and the right types', async () => {
    const js = await fetch(`${t.url}/assets/index-3f2a9c.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await js.text()).toBe('console.log("app")');
    const css = await fetch(`${t.url}/assets/index-3f2a9c.css`);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    const icon = await fetch(`${t.url}/favicon.svg`);
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
    expect(icon.headers.get('cache-control')).toBe('no-cache');
    const head = await fetch(`${t.url}/assets/index-3f2a9c.js`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('answers a missing asset or a non-HTML miss with the JSON 404, not index.html', async () => {
    const missing = await fetch(`${t.url}/assets/gone-123.js`, { headers: html });
    expect(missing.status).toBe(404);
    expect((await missing.json()).error).toBe('not_found');
    const api = await fetch(`${t.url}/whatever.json`, { headers: { accept: 'application/json' } });
    expect(api.status).toBe(404);
    expect((await api.json()).error).toBe('not_found');
  });

  it('leaves the server paths alone', async () => {
    const health = await fetch(`${t.url}/healthz`, { headers: html });
    expect((await health.json()).status).toBe('ok');
    expect((await fetch(`${t.url}/openapi.json`, { headers: html })).headers.get('content-type')).toMatch(
      /json/,
    );
    expect(await (await fetch(`${t.url}/docs`, { headers: html })).text()).toContain(
      'EdgeFleet fleet server',
    );
    const unknownApi = await fetch(`${t.url}/api/v1/nothing-here`, { headers: html });
    expect(unknownApi.status).toBe(404);
    expect((await unknownApi.json()).error).toBe('not_found');
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).not.toContain('route="*"');
  });

  it('never serves a file outside the folder (traversal, encoded dots, backslashes, NUL, symlinks)', async () => {
    for (const path of [
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2e%2e%2fsecret.txt',
      '/assets%2f..%2f..%2fsecret.txt',
      '/..%5csecret.txt',
      '/%2e%2e%5csecret.txt',
      '/index.html%00.js',
      '/link.txt',
      '/%',
      '//etc/passwd',
    ]) {
      const res = await rawGet(t.url, path);
      expect(res.body, path).not.toContain('outside the dist folder');
      expect(res.body, path).not.toContain('root:');
      expect([200, 400, 404], path).toContain(res.status);
    }
    expect(await resolveStaticFile(dist, '/../secret.txt')).toBeNull();
    expect(await resolveStaticFile(dist, '/%2e%2e/secret.txt')).toBeNull();
    expect(await resolveStaticFile(dist, '/link.txt')).toBeNull();
    expect(await resolveStaticFile(dist, '/assets')).toBeNull();
    expect(await resolveStaticFile(dist, '/assets/index-3f2a9c.js')).toBe(
      join(dist, 'assets', 'index-3f2a9c.js'),
    );
  });

  it('says how to build the dashboard when the folder has no index.html', async () => {
    const res = await fetch(`${bare.url}/`, { headers: html });
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain(BUILD_COMMAND);
    expect(page).toContain('--dashboard-dir');
    expect((await fetch(`${bare.url}/healthz`)).status).toBe(200);
  });
});
