// The browser side of the scenario: one Chromium page running the web runtime for app `inspector`.
import type { Browser, Page } from 'playwright-core';
import type { ImagePools, Scene } from './feeder';

/** A page that follows the app plan live and infers inspection images from the same pools as the stations. */
export interface InspectorPage {
  page: Page;
  clientId: string;
  /** Runs `n` inferences of a scene, then closes the telemetry window (sent at once); the versions that answered. */
  infer(scene: Scene, n: number): Promise<string[]>;
  /** Every version that answered an inference, in order. */
  answered(): Promise<string[]>;
  /** The runtime's version, versions it switched to, errors it emitted, its status, and the plan the server holds. */
  state(): Promise<PageState>;
}

/** What {@link InspectorPage.state} reads. */
export interface PageState {
  version: string;
  versions: string[];
  errors: string[];
  status: { connected: boolean; buffered: number; planRev: number };
  plan: unknown;
}

interface PageGlobals {
  pools: Record<Scene, string[]>;
  answered: string[];
  versions: string[];
  errors: string[];
}

/** Opens `siteUrl` (the page served by test/web-runtime/assets) in a fresh context and starts the runtime. */
export async function openInspectorPage(
  browser: Browser,
  siteUrl: string,
  server: string,
  key: string,
  pools: ImagePools,
): Promise<InspectorPage & { version: string }> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(siteUrl);
  await page.waitForFunction(() => window.ef !== undefined);
  const started = await page.evaluate(
    async ({ server, key, pools }) => {
      const g = window as unknown as PageGlobals;
      Object.assign(g, { pools, answered: [], errors: [] });
      const rt = await window.ef.start({
        server,
        app: 'inspector',
        key,
        model: 'cls',
        live: true,
        // Windows are closed by `infer` (flush), so the reports line up with the scenes.
        telemetry: { windowMs: 600_000, retryMs: 300 },
      });
      g.versions = [rt.version];
      rt.on('version', (e) => g.versions.push(e.version));
      rt.on('error', (e) => g.errors.push(`${e.kind}: ${e.message}`));
      return { clientId: rt.clientId, version: rt.version };
    },
    {
      server,
      key,
      pools: {
        healthy: pools.healthy.map((b) => b.toString('base64')),
        drifted: pools.drifted.map((b) => b.toString('base64')),
      },
    },
  );
  return {
    page,
    ...started,
    infer: (scene, n) =>
      page.evaluate(
        async ({ scene, n }) => {
          const g = window as unknown as PageGlobals;
          const rt = window.ef.runtime!;
          const versions: string[] = [];
          for (let i = 0; i < n; i++) {
            const pool = g.pools[scene];
            const bytes = Uint8Array.from(atob(pool[(g.answered.length + i) % pool.length]!), (c) =>
              c.charCodeAt(0),
            );
            const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
            versions.push((await rt.infer(bitmap)).version);
          }
          g.answered.push(...versions);
          await rt.flush();
          return versions;
        },
        { scene, n },
      ),
    answered: () => page.evaluate(() => (window as unknown as PageGlobals).answered),
    async state() {
      const rt = await page.evaluate(async () => {
        const g = window as unknown as PageGlobals;
        return {
          version: window.ef.runtime!.version,
          versions: g.versions,
          errors: g.errors,
          status: await window.ef.runtime!.status(),
        };
      });
      const plan = await (
        await fetch(`${server}/api/v1/app/plan`, { headers: { authorization: `Bearer ${key}` } })
      ).json();
      return { ...rt, plan };
    },
  };
}
