import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const DASHBOARD_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../dashboard');

/**
 * Builds the dashboard with Vite (about a second) into `outDir`, or a fresh temp dir, as
 * `pnpm build:dashboard` does into dashboard/dist; resolves to the folder the server should serve.
 */
export async function buildDashboard(outDir?: string): Promise<string> {
  const dir = outDir ?? mkdtempSync(join(tmpdir(), 'edgefleet-dashboard-'));
  await build({
    root: DASHBOARD_DIR,
    configFile: join(DASHBOARD_DIR, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir: dir, emptyOutDir: true },
  });
  return dir;
}
