// The Samples page, datasets and the model page's data lineage in real Chromium against a real fleet server:
// real crops uploaded by enrolled devices through the real upload route, labelled with the keyboard (stored by
// the server), exported as a dataset (the tar the browser downloads through a signed link is read back), and a version trained on it.
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dataset, DatasetManifest, Sample } from '@edgefleet/shared/api';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferSource, readTarEntries } from '../../fleet-server/src/tar/reader';
import { clsBaseline, startTestServer, type TestServer } from '../../fleet-server/src/testing/harness';
import { launchChromium } from '../browser/chromium';
import { buildDashboard } from './build';
import { reportRunning, type SeededSamples, seedSamples } from './samples-seed';
import { MODEL, seedModels } from './seed';

const here = dirname(fileURLToPath(import.meta.url));
const SCREENSHOTS = join(here, 'screenshots');
const DOCS_SCREENSHOTS = join(here, '../../docs/screenshots');
const UPDATE_DOCS = process.env.EDGEFLEET_UPDATE_SCREENSHOTS === '1';
const FLEET = 'dash-samples';
const CAPTURED_BY = { name: MODEL, version: '2.1.0' };

let t: TestServer;
let browser: Browser;
let page: Page;
let outDir: string;
let seeded: SeededSamples;
let clockTimer: ReturnType<typeof setInterval> | null = null;
let datasetId = '';
const pageErrors: string[] = [];

async function api<T>(path: string, init?: RequestInit & { json?: unknown }): Promise<T> {
  const res = await t.call(path, init);
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
const storedLabel = async (sha256: string) =>
  (await api<{ captures: Sample[] }>(`/api/v1/samples/${sha256}`)).captures[0]!.label;

async function goto(hash: string): Promise<void> {
  await page.evaluate((h) => {
    window.location.hash = h;
  }, hash);
}

async function shot(name: string, fullPage = true): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage });
  if (UPDATE_DOCS) copyFileSync(join(SCREENSHOTS, `${name}.png`), join(DOCS_SCREENSHOTS, `${name}.png`));
}

const select = (name: string) => page.locator(`[data-testid="sample-filters"] select[name="${name}"]`);
const tiles = () => page.getByTestId('sample-grid').getByTestId('sample-tile');
const selectedSha = () =>
  page.locator('[data-testid="sample-tile"][aria-pressed="true"]').getAttribute('data-sha');
/** Thumbnails the browser has decoded. */
const loadedThumbs = () =>
  tiles()
    .locator('img')
    .evaluateAll((imgs) => imgs.filter((i) => (i as HTMLImageElement).naturalWidth > 0).length);
const truthOf = (sha: string | null) => seeded.samples.find((s) => s.sha256 === sha)!.truth;
const keyOf = (label: string) => (label === '0' ? '1' : '2'); // the model's classes are ['0', '180']

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  outDir = await buildDashboard();
  t = await startTestServer({ fleet: FLEET, dashboardDir: outDir, rolloutTickMs: 3_600_000 });
  clockTimer = setInterval(() => {
    t.clock.nowMs = Date.now();
  }, 20);
  await seedModels(t);
  seeded = await seedSamples(t, CAPTURED_BY);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${t.url}/#/fleet`);
  await page.getByLabel('Admin token').fill(t.adminToken);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('page-fleet').waitFor();
}, 120_000);

afterAll(async () => {
  await page?.close().catch(() => undefined);
  await browser?.close().catch(() => undefined);
  if (clockTimer) clearInterval(clockTimer);
  await t?.dispose();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

describe('Samples page', () => {
  it('shows every capture as a thumbnail fetched with the token, and the captures of the selected one', async () => {
    await page.setViewportSize({ width: 1440, height: 500 }); // a few rows in view
    await page.getByRole('link', { name: 'Samples' }).click();
    await page.getByTestId('page-samples').waitFor();
    // 52 images, one captured twice: a page of 48 first, the rest behind "Load more" (the cursor).
    const total = seeded.samples.length + 1;
    await expect.poll(() => tiles().count()).toBe(48);
    // Thumbnails are real JPEGs the server made, fetched as they come into view: not the whole page at once.
    await expect.poll(loadedThumbs).toBeGreaterThan(0);
    expect(await loadedThumbs()).toBeLessThan(48);
    await page.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => tiles().count()).toBe(total);
    expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);
    for (let i = 0; i < total; i += 6) await tiles().nth(i).scrollIntoViewIfNeeded();
    await expect.poll(loadedThumbs).toBe(total);
    await page.setViewportSize({ width: 1440, height: 900 });
    // The shared image's two captures are two tiles; the older (further down) is picked by a click.
    const shared = page.locator(`[data-testid="sample-tile"][data-sha="${seeded.shared.sha256}"]`);
    await expect.poll(() => shared.count()).toBe(2);
    await shared.last().click();
    expect(await shared.last().getAttribute('aria-pressed')).toBe('true');
    const detail = page.getByTestId('sample-detail');
    await expect.poll(() => detail.getByTestId('capture').count()).toBe(2);
    await detail.getByRole('link', { name: 'cam-21' }).waitFor();
    await detail.getByRole('link', { name: 'cam-22' }).waitFor();
    await detail
      .getByRole('link', { name: `${MODEL}@2.1.0` })
      .first()
      .waitFor();
    await detail.getByText('brightness=0.74').first().waitFor();
    expect(await detail.locator('img').evaluate((i) => (i as HTMLImageElement).naturalWidth)).toBeGreaterThan(
      0,
    );
  });

  it('filters by slice, reason and label state, kept in the URL (a reload shows the same)', async () => {
    // A malformed selector is the server's 400, shown, not a blank page.
    await page.getByLabel('Slice by labels').fill('line in (2');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByRole('alert').filter({ hasText: 'HTTP 400' }).waitFor();
    await page.getByLabel('Slice by labels').fill('line=3');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.url()).toContain('slice=line%3D3');
    const line3 = seeded.samples.filter((s) => s.line === '3');
    await expect.poll(() => tiles().count()).toBe(line3.length);
    await select('reason').selectOption('random');
    await expect.poll(() => page.url()).toContain('reason=random');
    await page.getByText('No samples match this filter.').waitFor();
    await select('reason').selectOption('low_confidence');
    await select('labelled').selectOption('false');
    await expect.poll(() => tiles().count()).toBe(line3.length);
    await page.reload();
    await expect.poll(() => tiles().count()).toBe(line3.length);
    expect(await page.getByLabel('Slice by labels').inputValue()).toBe('line=3');
    expect(await select('labelled').inputValue()).toBe('false');
    // Another device's crops are not in this slice.
    const shas = await tiles().evaluateAll((ts) => ts.map((x) => (x as HTMLElement).dataset.sha));
    expect(new Set(shas)).toEqual(new Set(line3.map((s) => s.sha256)));
  });

  it('labels with the keyboard: digits set the class (stored by the server), the next unlabelled is selected, u clears', async () => {
    const line3 = seeded.samples.filter((s) => s.line === '3');
    await expect.poll(selectedSha).toBe(line3[line3.length - 1]!.sha256); // newest first
    await page.keyboard.press('j');
    await page.keyboard.press('k');
    expect(await selectedSha()).toBe(line3[line3.length - 1]!.sha256);
    for (let i = 0; i < line3.length; i++) {
      const sha = await selectedSha();
      await page.keyboard.press(keyOf(truthOf(sha)));
      if (i < line3.length - 1) await expect.poll(selectedSha).not.toBe(sha);
    }
    for (const s of line3) await expect.poll(() => storedLabel(s.sha256)).toBe(s.truth);
    const stored = await api<{ captures: Sample[] }>(`/api/v1/samples/${line3[0]!.sha256}`);
    expect(stored.captures[0]!.labelledBy).toMatch(/^admin/);
    await page.getByText('Samples (4, 0 unlabelled)').waitFor();
    // u clears the selected one's label; a digit sets it again.
    const sha = (await selectedSha())!;
    await page.keyboard.press('u');
    await expect.poll(() => storedLabel(sha)).toBeNull();
    await page.keyboard.press(keyOf(truthOf(sha)));
    await expect.poll(() => storedLabel(sha)).toBe(truthOf(sha));
    // The pane shows the server's label audit: set, cleared, set again.
    const history = page.getByTestId('sample-detail').getByTestId('label-history').locator('li');
    await expect.poll(() => history.count()).toBe(3);
    await history.nth(1).getByText('none', { exact: true }).waitFor();
    expect(pageErrors).toEqual([]);
  });

  it('rolls back a label the server refuses and says why', async () => {
    const sha = (await selectedSha())!;
    const before = truthOf(sha);
    const detail = page.getByTestId('sample-detail');
    await detail.getByLabel('Other label').fill('x'.repeat(129)); // over the contract's 128
    await detail.getByRole('button', { name: 'Set' }).click();
    await page
      .getByTestId('label-error')
      .getByText(/not saved: /)
      .waitFor();
    await detail.getByTestId('sample-label').getByText(before, { exact: true }).waitFor();
    expect(await storedLabel(sha)).toBe(before);
    await page.getByTestId('label-error').getByRole('button', { name: 'Dismiss' }).click();
    await page.getByTestId('label-error').waitFor({ state: 'detached' });
  });

  it('exports the filtered samples as a dataset and downloads its tar', async () => {
    // The labelled line-3 samples (the filter shows labelled ones now).
    await select('labelled').selectOption('true');
    await expect.poll(() => tiles().count()).toBe(4);
    await page.getByRole('button', { name: 'Export as dataset' }).click();
    const dialog = page.getByTestId('export-dialog');
    await dialog.getByLabel('Dataset name').fill('line 3 dark');
    await dialog.getByRole('button', { name: 'Create dataset' }).click();
    const result = dialog.getByTestId('export-result');
    await result.getByText('4 samples').waitFor();
    datasetId = (await result.getByRole('link').textContent())!.trim();
    const dataset = await api<Dataset>(`/api/v1/datasets/${datasetId}`);
    expect(dataset).toMatchObject({
      name: 'line 3 dark',
      sampleCount: 4,
      filter: { slice: 'line=3', reason: 'low_confidence', labelled: true },
    });
    expect(dataset.provenance.devices).toEqual(['cam-31']);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      result.getByRole('button', { name: 'download .tar' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('line_3_dark.tar');
    // Streamed by the browser from a signed link (no Blob of the whole tar in the page), not a blob: URL.
    const signedUrl = new URL(download.url());
    expect(`${signedUrl.origin}${signedUrl.pathname}`).toBe(`${t.url}/api/v1/datasets/${datasetId}/export`);
    expect([...signedUrl.searchParams.keys()]).toEqual(['exp', 'by', 'sig']);
    expect(await download.failure()).toBeNull();
    const tar = new Uint8Array(readFileSync((await download.path())!));
    const files = new Map<string, Uint8Array>();
    for await (const entry of readTarEntries(bufferSource(tar), {
      maxEntries: 100,
      maxEntryBytes: 10_000_000,
    }))
      files.set(entry.path, await entry.read());
    const manifest = JSON.parse(new TextDecoder().decode(files.get('manifest.json'))) as DatasetManifest;
    const line3 = seeded.samples.filter((s) => s.line === '3');
    expect(new Map(manifest.samples.map((s) => [s.sha256, s.label]))).toEqual(
      new Map(line3.map((s) => [s.sha256, s.truth])),
    );
    for (const s of manifest.samples)
      expect(files.get(s.path)).toEqual(line3.find((x) => x.sha256 === s.sha256)!.bytes);
    await result.getByRole('button', { name: 'Close' }).click();
    // The README's picture: every sample of the model, the labelled ones among them, the shared image picked.
    await goto(`#/samples?model=${MODEL}`);
    await expect.poll(() => tiles().count()).toBe(48);
    await page.locator(`[data-testid="sample-tile"][data-sha="${seeded.shared.sha256}"]`).first().click();
    await expect.poll(() => page.getByTestId('sample-detail').getByTestId('capture').count()).toBe(2);
    await expect.poll(loadedThumbs).toBeGreaterThan(12);
    await shot('samples', false);
  });
});

describe('datasets and lineage', () => {
  it('lists datasets and shows one: provenance, samples, export', async () => {
    await page.getByRole('link', { name: 'Datasets' }).click();
    const table = page.getByTestId('datasets-table');
    await table.getByRole('link', { name: 'line 3 dark' }).click();
    const detail = page.getByTestId('dataset-detail');
    await detail.getByTestId('provenance').getByRole('link', { name: 'cam-31' }).waitFor();
    await detail
      .getByTestId('provenance')
      .getByRole('link', { name: `${MODEL}@2.1.0` })
      .waitFor();
    await expect.poll(() => detail.locator('tbody tr').count()).toBe(4);
    await detail.getByText('none yet').waitFor(); // no version trained on it yet
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      detail.getByRole('button', { name: 'download .tar' }).first().click(),
    ]);
    expect(download.suggestedFilename()).toBe('line_3_dark.tar');
    expect(new URL(download.url()).searchParams.get('sig')).toMatch(/^[\w-]{43}$/);
    expect(await download.failure()).toBeNull();
  });

  it('shows a version trained on the dataset: the dataset, its devices, and the devices that run the version', async () => {
    await api(`/api/v1/models/${MODEL}/versions`, {
      method: 'POST',
      json: await retrainedVersion(datasetId),
    });
    await reportRunning(t, FLEET, 'cam-21', seeded.tokens['cam-21']!, { name: MODEL, version: '3.0.0' });
    await goto(`#/models/${MODEL}?version=3.0.0`);
    const models = page.getByTestId('page-models');
    await models.getByTestId('versions-table').getByText(`trained on ${datasetId}`).waitFor();
    const lineage = models.getByTestId('version-lineage');
    const trainedOn = lineage.getByTestId('trained-on');
    await trainedOn.getByRole('link', { name: 'line 3 dark' }).waitFor();
    await trainedOn.getByRole('link', { name: 'cam-31' }).waitFor();
    await lineage.getByRole('link', { name: 'cam-21' }).waitFor();
    await shot('model-lineage');
    // The version that captured the samples shows the dataset they went into.
    await goto(`#/models/${MODEL}?version=2.1.0`);
    await models.getByTestId('captured-into').getByRole('link', { name: 'line 3 dark' }).waitFor();
    // And the dataset points back at the version trained on it.
    await goto(`#/datasets/${datasetId}`);
    await page
      .getByTestId('trained-versions')
      .getByRole('link', { name: `${MODEL}@3.0.0` })
      .click();
    await page.getByTestId('version-detail').getByText(`${MODEL}@3.0.0`).first().waitFor();
    expect(pageErrors).toEqual([]);
  });
});

/** cls 3.0.0: the registered 2.1.0 again (same artifact and baseline) with lineage to the dataset. */
async function retrainedVersion(trainedOn: string): Promise<unknown> {
  const { versions } = await api<{
    versions: { version: string; sha256: string; sizeBytes: number; preprocessing: unknown }[];
  }>(`/api/v1/models/${MODEL}/versions`);
  const from = versions.find((v) => v.version === '2.1.0')!;
  return {
    name: MODEL,
    version: '3.0.0',
    sha256: from.sha256,
    sizeBytes: from.sizeBytes,
    preprocessing: from.preprocessing,
    baseline: clsBaseline(),
    lineage: { createdBy: 'ml-team', parent: { name: MODEL, version: '2.1.0' }, trainedOn },
  };
}
