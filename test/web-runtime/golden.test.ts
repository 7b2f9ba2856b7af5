// The golden check in the browser: a version with a golden pair serves only after its Worker reproduced the pair
// (real cls model, real pairs from onnxruntime-node); a pair it does not reproduce, or golden bytes altered in
// transit, refuse the version with a typed error while the previous one keeps serving.
import type { GoldenPairJson, ModelRef } from '@edgefleet/shared';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeClsGolden } from '../../fleet-server/src/testing/reference';
import { type BrowserFleet, startBrowserFleet } from './assets';
import { clsModelBytes, type Fleet } from './fleet';

let fleet: Fleet;
let browser: Browser;
let page: Page;
let site: { url: string; close: () => Promise<void> };
let v1: ModelRef;
let v2: ModelRef;
let v2Golden: GoldenPairJson;

let env: BrowserFleet | undefined;

beforeAll(async () => {
  env = await startBrowserFleet({ webgpu: false });
  ({ fleet, browser, site } = env);
  v2Golden = await makeClsGolden(2);
  v1 = await fleet.register('1.0.0', clsModelBytes(), await makeClsGolden(1));
  v2 = await fleet.register('2.0.0', clsModelBytes(2), v2Golden);
  await fleet.publish([{ name: 'cls', current: v1 }]);
  page = await (await browser.newContext()).newPage();
});

afterAll(async () => {
  await env?.close();
});

/** The pair with its output's two probabilities swapped: what a model that flipped its classes would give. */
function swapped(pair: GoldenPairJson): GoldenPairJson {
  const [name, out] = Object.entries(pair.outputs)[0]!;
  const data = (out as { data: number[] }).data;
  return { ...pair, outputs: { [name]: { ...out, data: [data[1]!, data[0]!] } } };
}

const errors = () =>
  page.evaluate(() => (window as unknown as { errors: { kind: string; message: string }[] }).errors);

describe('golden pair in the browser', () => {
  it('serves a version whose pair the Worker reproduces', async () => {
    await page.goto(site.url);
    await page.waitForFunction(() => window.ef !== undefined);
    const started = await page.evaluate(
      async ({ server, key }) => {
        const rt = await window.ef.start({
          server,
          key,
          app: 'inspector',
          model: 'cls',
          telemetry: { retryMs: 300 },
        });
        const w = window as unknown as { errors: { kind: string; message: string }[] };
        w.errors = [];
        rt.on('error', (e) => w.errors.push({ kind: e.kind, message: e.message }));
        return { version: rt.version, backend: rt.backend };
      },
      { server: fleet.t.url, key: fleet.key },
    );
    expect(started).toEqual({ version: '1.0.0', backend: 'wasm' });
    await expect
      .poll(async () => (await page.evaluate(() => window.ef.runtime!.status())).connected)
      .toBe(true);
  });

  it('refuses a signed version whose pair it does not reproduce, keeps the previous and reports why', async () => {
    // Signed with the fleet's real key, as a server that skipped its own golden check would hand it out.
    const v3 = await fleet.register('3.0.0', clsModelBytes(3));
    const bad = swapped(await makeClsGolden(3));
    const sha = await fleet.upload(new TextEncoder().encode(JSON.stringify(bad)), 'golden');
    const signed = await fleet.sign({ ...v3.manifest, goldenSha256: sha });
    const before = fleet.reports().length;
    await fleet.publish([
      { name: 'cls', current: { ...v3, ...signed, goldenUrl: `/api/v1/artifacts/${sha}` } },
    ]);
    await expect.poll(errors, { timeout: 20_000 }).toHaveLength(1);
    const [error] = await errors();
    expect(error!.kind).toBe('golden_mismatch');
    expect(error!.message).toMatch(/cls@3\.0\.0.*output softmax_0\.tmp_0\[0\]: expected .*, got/);
    const out = await page.evaluate(async () => {
      const r = await window.ef.runtime!.infer(new Float32Array(3 * 48 * 192), [1, 3, 48, 192]);
      return r.version;
    });
    expect(out).toBe('1.0.0');
    // The refusal reaches the server as an error of the refused version (what its rollout's gates read).
    await page.evaluate(() => window.ef.runtime!.flush());
    await expect
      .poll(
        () =>
          fleet
            .reports()
            .slice(before)
            .filter((r) => r.modelVersion === '3.0.0'),
        { timeout: 15_000 },
      )
      .toHaveLength(1);
    const refused = fleet.reports().find((r) => r.modelVersion === '3.0.0')!;
    expect(refused).toMatchObject({ inferences: 0, errors: 1 });
    expect(JSON.parse(refused.profile).errors.c).toEqual([['golden_mismatch', 1]]);
  });

  it('refuses golden bytes altered in transit (sha256), then switches once the real pair arrives', async () => {
    const goldenPath = new URL(v2.goldenUrl!, fleet.t.url).pathname;
    await page.route(`${fleet.t.url}${goldenPath}`, (route) =>
      route.fulfill({
        status: 200,
        contentType: 'application/json',
        body: JSON.stringify(swapped(v2Golden)),
      }),
    );
    await fleet.publish([{ name: 'cls', current: v2 }]);
    await expect.poll(async () => (await errors()).length, { timeout: 20_000 }).toBe(2);
    expect((await errors())[1]).toMatchObject({
      kind: 'integrity',
      message: expect.stringMatching(/golden pair/),
    });
    expect(await page.evaluate(() => window.ef.runtime!.version)).toBe('1.0.0');
    await page.unroute(`${fleet.t.url}${goldenPath}`);
    await fleet.publish([{ name: 'cls', current: v2 }]);
    await page.waitForFunction(() => window.ef.runtime!.version === '2.0.0', undefined, { timeout: 20_000 });
    expect(await errors()).toHaveLength(2);
  });

  it('refuses hostile pair files whose sha256 the fleet signed: not JSON, wrong format, a pair that does not fit', async () => {
    const v3 = await fleet.register('3.0.1', clsModelBytes(4));
    const good = await makeClsGolden(3);
    const hostile: [string, string, RegExp][] = [
      ['not JSON', '{"format":"edgefleet.golden",', /golden pair of cls@3\.0\.1: .*JSON/i],
      ['wrong format', JSON.stringify({ ...good, format: 'other' }), /golden pair of cls@3\.0\.1: .*format/],
      [
        'a 5 GB tensor',
        JSON.stringify({
          ...good,
          inputs: { x: { dtype: 'float32', dims: [1, 3, 50_000, 8_000], data: [] } },
        }),
        /golden pair/,
      ],
      [
        'an input the model lacks',
        JSON.stringify({ ...good, inputs: { y: good.inputs.x } }),
        /does not fit the model/,
      ],
    ];
    for (const [name, body, message] of hostile) {
      const bytes = new TextEncoder().encode(body);
      const sha = Buffer.from(await crypto.subtle.digest('SHA-256', bytes)).toString('hex');
      const signed = await fleet.sign({ ...v3.manifest, goldenSha256: sha });
      const goldenUrl = `/api/v1/artifacts/${sha}`;
      await page.route(`${fleet.t.url}${goldenUrl}`, (route) =>
        route.fulfill({ status: 200, body: Buffer.from(bytes) }),
      );
      const seen = (await errors()).length;
      await fleet.publish([{ name: 'cls', current: { ...v3, ...signed, goldenUrl } }]);
      await expect.poll(async () => (await errors()).length, { timeout: 20_000 }).toBe(seen + 1);
      const error = (await errors()).at(-1)!;
      expect(error.kind, name).toBe('golden_mismatch');
      expect(error.message, name).toMatch(message);
      expect(await page.evaluate(() => window.ef.runtime!.version)).toBe('2.0.0');
      await page.unroute(`${fleet.t.url}${goldenUrl}`);
    }
  });
});
