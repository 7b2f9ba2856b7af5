import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build, type PreviewServer, preview } from 'vite';

/** Newest modification time of any file under `paths` (skipping node_modules and dist). */
function newestMtimeMs(paths: readonly string[]): number {
  let newest = 0;
  const walk = (path: string) => {
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st) return;
    if (st.isFile()) newest = Math.max(newest, st.mtimeMs);
    else if (st.isDirectory()) {
      for (const name of readdirSync(path))
        if (name !== 'node_modules' && name !== 'dist') walk(join(path, name));
    }
  };
  for (const path of paths) walk(path);
  return newest;
}

/** The built browser demo page, served. */
export interface WebDemo {
  /** Base URL of the page, e.g. `http://127.0.0.1:5173/`. */
  url: string;
  /** Whether this run built it (false: the build in the data dir was up to date). */
  built: boolean;
  close(): Promise<void>;
}

/**
 * Builds `web-runtime/demo` with the runtime's own Vite config (onnxruntime-web copied to `/ort/`, no CDN) into
 * `outDir` unless that build is newer than every source, and serves it with `vite preview` on loopback.
 */
export async function startWebDemo(repoRoot: string, outDir: string, port = 5173): Promise<WebDemo> {
  const runtimeRoot = join(repoRoot, 'web-runtime');
  const configFile = join(runtimeRoot, 'vite.config.ts');
  const root = join(runtimeRoot, 'demo');
  const index = join(outDir, 'index.html');
  const sources = [join(runtimeRoot, 'src'), root, configFile, join(repoRoot, 'shared', 'src')];
  const stale = !existsSync(index) || statSync(index).mtimeMs < newestMtimeMs(sources);
  if (stale) {
    await build({ configFile, root, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  }
  const server: PreviewServer = await preview({
    configFile,
    root,
    logLevel: 'warn',
    build: { outDir },
    preview: { host: '127.0.0.1', port, strictPort: false, open: false },
  });
  const url = server.resolvedUrls?.local[0];
  if (!url) {
    await server.close();
    throw new Error('vite preview did not say where it listens');
  }
  return { url, built: stale, close: () => server.close() };
}

/** The demo page's URL with the server, app, key and model filled in (the page reads them from the query). */
export function demoPageUrl(base: string, params: { server: string; app: string; key: string }): string {
  const url = new URL(base);
  url.search = new URLSearchParams({ ...params, model: 'cls' }).toString();
  return url.toString();
}

/**
 * Builds the dashboard into `dashboard/dist` (`pnpm --filter @edgefleet/dashboard build`, output to `logFile`)
 * when its package has a build script. Resolves to null on success, else why not (the demo runs on without it).
 */
export async function buildDashboard(
  repoRoot: string,
  logFile: string,
  timeoutMs = 180_000,
): Promise<string | null> {
  const pkgPath = join(repoRoot, 'dashboard', 'package.json');
  if (!existsSync(pkgPath)) return 'there is no dashboard package';
  let pkg: { scripts?: Record<string, unknown> } | null;
  try {
    pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as typeof pkg;
  } catch (error) {
    return `dashboard/package.json is not JSON (${(error as Error).message})`;
  }
  if (typeof pkg?.scripts?.build !== 'string') return 'the dashboard package has no build script';
  const log = openSync(logFile, 'a');
  const child = spawn('npx', ['-y', 'pnpm@10.34.9', '--filter', '@edgefleet/dashboard', 'build'], {
    cwd: repoRoot,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => {
    child.once('exit', (c) => resolve(c));
    child.once('error', () => resolve(null));
  });
  clearTimeout(timer);
  if (code !== 0) return `the dashboard build failed (exit ${code ?? 'n/a'}); see ${logFile}`;
  return existsSync(join(repoRoot, 'dashboard', 'dist', 'index.html'))
    ? null
    : 'the dashboard build left no dashboard/dist/index.html';
}
