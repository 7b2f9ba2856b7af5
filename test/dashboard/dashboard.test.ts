// The admin dashboard in real Chromium against a real fleet server (SQLite, embedded broker, real cls
// model versions) with simulated devices sending real telemetry over MQTT.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emptyFeedback } from '@edgefleet/shared';
import type { VersionQuality } from '@edgefleet/shared/api';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSimFleet } from '../../fleet-server/src/rollouts/sim-fleet';
import { startTestServer, type TestServer } from '../../fleet-server/src/testing/harness';
import { launchChromium } from '../browser/chromium';
import { buildDashboard } from './build';
import {
  DEVICES,
  MODEL,
  reportNow,
  type SeededDevice,
  SILENT_DEVICE,
  SPEC,
  seedFirstModel,
  seedFleet,
  seedGoneDevice,
  seedModels,
  windowOf,
} from './seed';

const here = dirname(fileURLToPath(import.meta.url));
const _DASHBOARD_DIR = join(here, '../../dashboard');
const SCREENSHOTS = join(here, 'screenshots');
const DOCS_SCREENSHOTS = join(here, '../../docs/screenshots');
/** The README's screenshots are refreshed only on request (`EDGEFLEET_UPDATE_SCREENSHOTS=1`), never by a plain test run. */
const UPDATE_DOCS = process.env.EDGEFLEET_UPDATE_SCREENSHOTS === '1';
const toDocs = (name: string) => {
  if (UPDATE_DOCS) copyFileSync(join(SCREENSHOTS, name), join(DOCS_SCREENSHOTS, name));
};

let t: TestServer;
let browser: Browser;
let page: Page;
let devices: SeededDevice[] = [];
let outDir: string;
let baseUrl: string;
let clockTimer: ReturnType<typeof setInterval> | null = null;
const pageErrors: string[] = [];
const SILENT_MS = 10 * 60_000;

async function shot(name: string): Promise<void> {
  await page.waitForTimeout(150); // let uPlot finish its first paint
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

async function api<T>(path: string, init?: RequestInit & { json?: unknown }): Promise<T> {
  const res = await t.call(path, init);
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function goto(hash: string): Promise<void> {
  await page.evaluate((h) => {
    window.location.hash = h;
  }, hash);
}

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  if (UPDATE_DOCS) mkdirSync(DOCS_SCREENSHOTS, { recursive: true });
  outDir = await buildDashboard();
  t = await startTestServer({
    fleet: 'dash',
    rolloutTickMs: 200,
    dashboardDir: outDir,
    alertTickMs: 300,
    alertSilentMs: SILENT_MS,
  });
  // The controller, alerts and timeseries read the harness clock: keep it on wall time (plus an offset).
  let offsetMs = -2 * SILENT_MS;
  t.clock.nowMs = Date.now() + offsetMs;
  clockTimer = setInterval(() => {
    t.clock.nowMs = Date.now() + offsetMs;
  }, 20);
  await seedModels(t);
  // Seen last twice the silence threshold ago, as far as the server knows.
  await seedGoneDevice(t, Date.now() + offsetMs);
  offsetMs = 0;
  t.clock.nowMs = Date.now();
  devices = await seedFleet(t);
  baseUrl = t.url; // the fleet server serves the build (`dashboardDir`) at /
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
}, 120_000);

afterAll(async () => {
  await page?.close().catch(() => undefined);
  await browser?.close().catch(() => undefined);
  await closeSimFleet(devices.map((d) => d.sim)).catch(() => undefined);
  if (clockTimer) clearInterval(clockTimer);
  await t?.dispose();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

describe('admin dashboard', () => {
  it('is built with hashed assets under /assets and served by the fleet server', async () => {
    const html = await (await fetch(`${baseUrl}/`)).text();
    expect(html).toMatch(/<script type="module" crossorigin src="\/assets\/index-[\w-]+\.js">/);
    expect(html).toMatch(/href="\/assets\/index-[\w-]+\.css"/);
  });

  it('asks for the admin token, refuses a wrong one, and logs in', async () => {
    await page.goto(`${baseUrl}/#/fleet`);
    await page.getByLabel('Admin token').waitFor();
    await shot('login');
    await page.getByLabel('Admin token').fill('efa_not-a-real-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'not a valid admin token' }).waitFor();
    await page.getByLabel('Admin token').fill(t.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('page-fleet').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('edgefleet.adminToken'))).toBe(t.adminToken);
  });

  it('shows the fleet by state, label and version, and filters the device list', async () => {
    const fleet = page.getByTestId('page-fleet');
    await fleet
      .getByTestId('stat-devices')
      .getByText(String(DEVICES.length + 1), { exact: true })
      .waitFor();
    await fleet.getByTestId('stat-failing').getByText('1', { exact: true }).waitFor();
    await fleet.getByTestId('stat-offline').getByText('1', { exact: true }).waitFor();
    await fleet.locator('tr', { hasText: SILENT_DEVICE.id }).getByText('offline').waitFor();
    await fleet.getByTestId('by-version').getByText(`${MODEL}@1.0.0`).waitFor();
    await fleet.getByTestId('label-site').getByText('plant-b').waitFor();
    const rows = fleet.getByTestId('device-table').locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(DEVICES.length + 1);
    await page.getByTestId('device-table').getByText('failing').waitFor();
    await shot('fleet');
    // Free-text search narrows the list in place; the label selector goes to the server.
    await page.getByLabel('search devices').fill('st-b');
    await expect.poll(() => rows.count()).toBe(4);
    await page.getByLabel('search devices').fill('');
    await page.getByLabel('label selector').fill('site=plant-a,line in (2)');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => rows.count()).toBe(2);
    // A broken selector shows the server's error, not a blank page.
    await page.getByLabel('label selector').fill('site in (');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByRole('alert').filter({ hasText: 'HTTP 400' }).waitFor();
  });

  it('shows a device: reported state, errors, last reports, latency and drift over time', async () => {
    await goto('#/devices/st-a4');
    const device = page.getByTestId('page-device');
    await device.getByTestId('device-state').getByText(`${MODEL}@1.0.0`).first().waitFor();
    await device.getByTestId('device-errors').getByText('manifest signature does not verify').waitFor();
    await expect
      .poll(() => device.getByTestId('device-reports').locator('tbody tr').count())
      .toBeGreaterThan(5);
    await device.getByTestId('device-latency').locator('canvas').waitFor();
    await device.getByTestId('heatmap-psi').waitFor();
    await shot('device');
    await goto('#/devices/st-b2');
    await page.getByRole('heading', { name: 'st-b2' }).waitFor();
    // plant-b drifts: its latest brightness cells are past the alert level.
    const hot = () =>
      page
        .getByTestId('heatmap-psi')
        .locator('td.heat-cell')
        .evaluateAll(
          (cells) => cells.filter((c) => Number((c as HTMLElement).dataset.value || 0) >= 0.25).length,
        );
    await expect.poll(hot).toBeGreaterThan(0);
    await goto('#/devices/no-such-device');
    await page.getByRole('alert').filter({ hasText: 'HTTP 404' }).waitFor();
  });

  it('shows models: versions, lineage, IO signature, preprocessing, baseline histograms, devices per version', async () => {
    await goto('#/models');
    const models = page.getByTestId('page-models');
    const versions = models.getByTestId('versions-table');
    await versions.getByText('2.1.0', { exact: true }).waitFor();
    await versions
      .locator('tr', { hasText: /^2\.0\.0/ })
      .getByText('from 1.0.0 · rev e4f5a6b · accuracy=0.971')
      .waitFor();
    await versions.getByText('2.0.0', { exact: true }).click();
    await models.getByTestId('version-detail').getByRole('link', { name: 'cls@1.0.0' }).waitFor();
    await versions.getByText('1.0.0', { exact: true }).click();
    await models.getByTestId('version-detail').getByText('a1b2c3d').waitFor();
    const io = models.getByTestId('io-signature');
    await io.locator('tr', { hasText: 'input' }).getByText('x', { exact: true }).waitFor();
    await io.locator('tr', { hasText: 'output' }).getByText('softmax_0.tmp_0').waitFor();
    await io.getByText(/\[p2o\.DynamicDimension\.0, 3, /).waitFor();
    await io.getByText('NCHW').waitFor();
    await expect
      .poll(() => models.getByTestId('baseline-histograms').locator('canvas').count())
      .toBeGreaterThanOrEqual(2);
    await models.getByTestId('version-devices').getByText('st-a1').waitFor();
    await shot('models');
  });

  it("shows a version's measured quality from operator labels: the numbers the API answers", async () => {
    // Two stations send a window with operator feedback through the real ingest path (MQTT, envelope checks).
    const feedback = emptyFeedback(['0', '180']);
    feedback.counts = [
      [8, 2],
      [1, 4],
    ];
    feedback.labels = { auto: { labelled: 10, correct: 9 }, review: { labelled: 5, correct: 3 } };
    feedback.routed = { auto: 20, review: 6 };
    // Confidence bins: every inference and label at 0.99 (bin 0.9–1.0), 12 of 15 labels right (the diagonal).
    const inBin9 = (v: number) => Array.from({ length: 10 }, (_, i) => (i === 9 ? v : 0));
    feedback.calibration = {
      routed: inBin9(26),
      routedConfidence: inBin9(26 * 0.99),
      labelled: inBin9(15),
      correct: inBin9(12),
      labelledConfidence: inBin9(15 * 0.99),
    };
    // An automation level in force (a selector no device matches: nothing else in this fleet changes).
    await api(`/api/v1/models/${MODEL}/automation`, {
      method: 'PUT',
      json: {
        target: { selector: 'line=99' },
        level: { level: 'partial', minConfidence: 0.9, minMargin: 0.2 },
      },
    });
    const startMs = Date.now() - 3 * 60_000;
    await Promise.all(
      devices
        .slice(0, 2)
        .map(({ sim, labels }) =>
          sim.sendTelemetry(SPEC, startMs, () => ({ ...windowOf(labels, 0), feedback })),
        ),
    );
    const path = `/api/v1/models/${MODEL}/versions/1.0.0/quality`;
    await expect.poll(async () => (await api<VersionQuality>(path)).labelled, { timeout: 10_000 }).toBe(30);
    const q = await api<VersionQuality>(path);
    expect(q.accuracy).toMatchObject({ successes: 24, trials: 30 });
    expect(q.reviewShare).toMatchObject({ successes: 12, trials: 52 });
    await goto(`#/quality?model=${MODEL}&version=1.0.0`);
    const quality = page.getByTestId('page-quality');
    const pct = (x: number | null) => `${((x ?? Number.NaN) * 100).toFixed(1)}%`;
    for (const [id, p] of [
      ['accuracy', q.accuracy],
      ['agreement', q.agreement],
      ['auto-accuracy', q.autoAccuracy],
      ['review-share', q.reviewShare],
    ] as const) {
      const metric = quality.getByTestId(`quality-${id}`);
      await metric.locator('.stat-value').getByText(pct(p.estimate), { exact: true }).waitFor();
      expect(await metric.getByTestId('proportion-bar').getAttribute('aria-label')).toBe(
        `${pct(p.estimate)} (${p.successes}/${p.trials}), 95% interval ${pct(p.lower)}–${pct(p.upper)}`,
      );
    }
    // Rows true label, columns predicted: true 180 predicted 0 is 1 per station.
    const cell = (t: string, p: string) =>
      quality.locator(`[data-testid=confusion-matrix] td[data-true="${t}"][data-predicted="${p}"]`);
    expect(await cell('180', '0').textContent()).toBe(String(q.confusion[1]![0]));
    expect(await cell('0', '180').textContent()).toBe(String(q.confusion[0]![1]));
    const recall = quality.locator('[data-testid=class-quality] tr[data-class="180"] [data-testid=recall]');
    expect(await recall.textContent()).toBe(pct(q.classes[1]!.recall.estimate));

    // Estimated beside measured, the reliability bin, the calibration check, the automation in force.
    const estimated = quality.getByTestId('quality-estimated');
    await estimated
      .locator('tr[data-estimate=label-free] [data-testid=estimate]')
      .getByText('99.0%')
      .waitFor();
    expect(q.estimated?.calibrated?.estimate).toBeCloseTo(24 / 30, 12);
    expect(await estimated.locator('tr[data-estimate=calibrated] [data-testid=estimate]').textContent()).toBe(
      pct(q.estimated!.calibrated!.estimate),
    );
    expect(
      await quality
        .locator('[data-testid=reliability] tr[data-bin="0.9"] [data-testid=bin-accuracy]')
        .textContent(),
    ).toBe(pct(24 / 30));
    expect(q.calibrationCheck?.miscalibrated).toBe(true);
    await quality.getByTestId('calibration-check').getByText('miscalibrated').waitFor();
    await quality.getByTestId('chart-quality').waitFor();
    expect(
      await quality
        .locator('[data-testid=quality-automation] tr[data-target="selector line=99"] [data-testid=level]')
        .textContent(),
    ).toBe('partial (τ 0.9, μ 0.2)');

    // Per slice: both stations are on line 1.
    await goto(`#/quality?model=${MODEL}&version=1.0.0&by=line`);
    const slice = quality.locator('[data-testid=quality-slices] tr[data-slice="line=1"]');
    await slice.waitFor();
    expect(await slice.getByTestId('slice-accuracy').textContent()).toBe(pct(q.accuracy.estimate));
    await shot('quality');
    toDocs('quality.png');
    // A version nobody labelled says where labels come from.
    await goto(`#/quality?model=${MODEL}&version=2.1.0`);
    await quality.getByText('No operator labels yet').waitFor();
  });

  it('creates a rollout from the form; its progress and chart update live as reports arrive', async () => {
    await goto('#/rollouts/new');
    const form = page.getByTestId('rollout-form');
    await form.locator('select[name=candidate] option', { hasText: '2.1.0' }).waitFor({ state: 'attached' });
    await form.locator('select[name=candidate]').selectOption('2.0.0');
    await form.locator('select[name=baseline]').selectOption('1.0.0');
    await form.locator('input[name=target]').fill('site=plant-a');
    await form.locator('input[name=stages]').fill('50%:10m,100%:10m');
    await form.locator('input[name=minInferences]').fill('10');
    await form.locator('input[name=gate-latencyP95Ms]').fill('80');
    // A server-side validation error is shown on the form.
    await form.locator('input[name=stages]').fill('50%:10m,90%');
    await form.getByRole('button', { name: 'Create rollout' }).click();
    await form.getByTestId('form-error').filter({ hasText: 'last stage must be 100%' }).waitFor();
    await form.locator('input[name=stages]').fill('50%:10m,100%:10m');
    await shot('rollout-form');
    await form.getByRole('button', { name: 'Create rollout' }).click();

    const detail = page.getByTestId('page-rollout');
    await detail.waitFor();
    const id = decodeURIComponent(page.url().split('#/rollouts/')[1]!);
    const created = await api<{
      model: string;
      candidate: string;
      baseline: string;
      target: { selector?: string };
    }>(`/api/v1/rollouts/${id}`);
    expect(created).toMatchObject({
      model: MODEL,
      candidate: '2.0.0',
      baseline: '1.0.0',
      target: { selector: 'site=plant-a' },
    });
    await detail.getByTestId('rollout-status').getByText('running').waitFor({ timeout: 15_000 });
    // Each stage's minimum and default deadline (4× it); the confidence and what an undecided stage does.
    await detail.getByTestId('stages').getByText('≥ 10m, decide by 40m').first().waitFor();
    expect(await detail.getByTestId('gates-policy').textContent()).toMatch(
      /Decided at 99% confidence .* undecided at the deadline: pause/,
    );
    await expect
      .poll(() => page.getByTestId('live-mode').textContent(), { timeout: 10_000 })
      .toContain('live');
    await page.evaluate(() => {
      (window as unknown as { marker: number }).marker = 42;
    });

    // Reports arrive: the candidate's count, chart and gates update without a reload.
    const inferences = async () =>
      Number(await detail.getByTestId('rollout-telemetry').getAttribute('data-inferences'));
    const reports = async () =>
      Number(await detail.getByTestId('rollout-telemetry').getAttribute('data-reports'));
    let seen = await reports();
    const reportRound = async (k: number) => {
      await reportNow(devices, k);
      await expect.poll(reports, { timeout: 15_000 }).toBeGreaterThan(seen);
      seen = await reports();
      await page.waitForTimeout(1_100); // the next round lands in the chart's next step
    };
    await reportRound(45);
    await reportRound(46);

    // Promote to 100% (with a confirm and a reason); every plant-a device switches, and the page follows.
    await detail.getByTestId('rollout-actions').getByRole('button', { name: 'Promote' }).click();
    await page.locator('dialog[open] input[name=reason]').fill('line 1 looks good');
    await page.locator('dialog[open]').getByRole('button', { name: 'Confirm promote' }).click();
    await detail.getByTestId('stages').locator('.stage[data-state=done]').waitFor();
    const promoted = await api<{ stageIndex: number; audit: { event: string; reason: string }[] }>(
      `/api/v1/rollouts/${id}`,
    );
    expect(promoted.stageIndex).toBe(1);
    expect(promoted.audit.at(-1)).toMatchObject({ event: 'promoted', reason: 'line 1 looks good' });
    const plantA = devices.filter((d) => d.labels.site === 'plant-a');
    await expect
      .poll(() => plantA.filter((d) => d.sim.running.active === '2.0.0').length, { timeout: 15_000 })
      .toBe(4);
    await detail
      .getByTestId('targets')
      .locator('[data-state=on_candidate] strong')
      .getByText('4', { exact: true })
      .waitFor({ timeout: 15_000 });
    const beforeRound = await inferences();
    await reportRound(47);
    await reportRound(48);
    await expect.poll(inferences).toBeGreaterThan(beforeRound);
    await detail
      .getByTestId('gates')
      .locator('[data-gate="minInferences"][data-status=pass]')
      .waitFor({ timeout: 15_000 });
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
    await detail.getByTestId('chart-rollout-inferences').locator('canvas').waitFor();
    await shot('rollout');
    toDocs('rollout.png');

    // Pause, with a confirm and a reason.
    await detail.getByTestId('rollout-actions').getByRole('button', { name: 'Pause' }).click();
    const dialog = page.locator('dialog[open]');
    expect(await dialog.getByRole('button', { name: 'Confirm pause' }).isDisabled()).toBe(true); // no reason yet
    await dialog.locator('input[name=reason]').fill('line 2 retooling');
    await dialog.getByRole('button', { name: 'Confirm pause' }).click();
    await detail.getByTestId('rollout-status').getByText('paused').waitFor();
    const paused = await api<{ status: string; audit: { event: string; reason: string }[] }>(
      `/api/v1/rollouts/${id}`,
    );
    expect(paused.status).toBe('paused');
    expect(paused.audit.at(-1)).toMatchObject({ event: 'paused', reason: 'line 2 retooling' });

    // Roll back.
    await detail.getByTestId('rollout-actions').getByRole('button', { name: 'Roll back' }).click();
    await page.locator('dialog[open] input[name=reason]').fill('candidate too slow on line 2');
    await page.locator('dialog[open]').getByRole('button', { name: 'Confirm roll back' }).click();
    await detail.getByTestId('rollout-status').getByText('rolled back').waitFor();
    const rolledBack = await api<{ status: string; audit: { event: string; reason: string }[] }>(
      `/api/v1/rollouts/${id}`,
    );
    expect(rolledBack.status).toBe('rolled_back');
    expect(rolledBack.audit.at(-1)).toMatchObject({
      event: 'rolled_back',
      reason: 'candidate too slow on line 2',
    });
    await detail.getByTestId('audit').getByText('candidate too slow on line 2').waitFor();

    await goto('#/rollouts');
    await page.getByTestId('rollouts-table').getByText(id).waitFor();
    await shot('rollouts');
  });

  it('monitors a version over time: latency, throughput, drift heat map, class mix, confidence; side by side; sliced', async () => {
    await goto('#/monitoring?model=cls&version=1.0.0');
    const monitoring = page.getByTestId('page-monitoring');
    const candidate = monitoring.getByTestId('monitor-1.0.0');
    for (const chart of [
      'chart-latency',
      'chart-throughput',
      'chart-drift',
      'chart-classmix',
      'chart-confidence',
    ]) {
      await candidate.getByTestId(chart).locator('canvas').waitFor();
    }
    await candidate.getByTestId('heatmap-psi').getByText('brightness').waitFor();
    await shot('monitoring');
    toDocs('monitoring.png');
    // Side by side: the rollout's candidate beside its baseline (the link on the rollout page).
    await goto('#/monitoring?model=cls&version=2.0.0&compare=1.0.0');
    await monitoring.getByTestId('monitor-2.0.0').getByTestId('chart-latency').locator('canvas').waitFor();
    await monitoring.getByTestId('monitor-1.0.0').getByTestId('chart-latency').locator('canvas').waitFor();
    await shot('monitoring-compare');
    await goto('#/monitoring?model=cls&version=1.0.0');
    // Slice: plant-a has no drift, plant-b does.
    const hotCells = () =>
      candidate
        .getByTestId('heatmap-psi')
        .locator('td.heat-cell')
        .evaluateAll(
          (cells) => cells.filter((c) => Number((c as HTMLElement).dataset.value || 0) >= 0.25).length,
        );
    await monitoring.locator('input[name=selector]').fill('site=plant-a');
    await monitoring.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.url()).toContain('selector=site%3Dplant-a');
    await candidate.getByTestId('heatmap-psi').waitFor();
    await expect.poll(hotCells).toBe(0);
    await monitoring.locator('input[name=selector]').fill('site=plant-b');
    await monitoring.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(hotCells).toBeGreaterThan(0);
  });

  it('shows a rollout that a breached gate rolled back by itself', async () => {
    const created = await api<{ id: string }>('/api/v1/rollouts', {
      method: 'POST',
      json: {
        model: MODEL,
        candidate: '2.1.0',
        baseline: '1.0.0',
        target: { selector: 'site=plant-b' },
        strategy: 'all-at-once',
        stages: '100%',
        minReportingTargets: 1,
        minInferences: 10,
        gates: { maxPsi: 0.25, maxErrorRate: 0.05 },
      },
    });
    await goto(`#/rollouts/${created.id}`);
    const detail = page.getByTestId('page-rollout');
    await detail.getByTestId('rollout-status').getByText('running').waitFor({ timeout: 15_000 });
    const plantB = devices.filter((d) => d.labels.site === 'plant-b');
    await expect
      .poll(() => plantB.every((d) => d.sim.running.active === '2.1.0'), { timeout: 15_000 })
      .toBe(true);
    await reportNow(plantB); // plant-b's inputs have drifted: PSI far above 0.25
    await detail.getByTestId('rollout-status').getByText('rolled back').waitFor({ timeout: 15_000 });
    await detail.getByTestId('gates').locator('[data-status=breach]').first().waitFor();
    // The breached drift gate's bar: its interval lies wholly past the threshold line, and says so in numbers.
    const row = detail
      .getByTestId('gates')
      .locator('tr[data-gate^="drift.psi."][data-status=breach]')
      .first();
    const bar = row.getByTestId('gate-bar');
    expect(await bar.getAttribute('data-evidence')).toBe('interval');
    expect(await bar.getAttribute('aria-label')).toMatch(
      /estimate [\d.]+, [\d.]+% interval [\d.]+ to ([\d.]+|∞), threshold ≤ 0\.25$/,
    );
    const band = await bar.locator('.gate-bar-band').boundingBox();
    const threshold = await bar.locator('.gate-bar-threshold').boundingBox();
    expect(band!.width).toBeGreaterThan(0);
    expect(band!.x).toBeGreaterThan(threshold!.x + threshold!.width);
    expect(await row.getByTestId('gate-evidence').textContent()).toMatch(/^noncentral-chi-square · n [\d,]+/);
    await detail.getByTestId('audit').locator('li.ev-rolled_back').waitFor();
    await shot('rollout-breach');
  });

  it('creates a first deployment (no baseline) of a second model from the form and shows it without one', async () => {
    await seedFirstModel(t, 'orient', '1.0.0');
    await api('/api/v1/apps', { method: 'POST', json: { id: 'shop', name: 'Shop' } });
    await goto('#/rollouts/new');
    const form = page.getByTestId('rollout-form');
    const strategies = () => form.locator('select[name=strategy] option').allTextContents();
    await form.locator('select[name=candidate] option', { hasText: '2.1.0' }).waitFor({ state: 'attached' });
    // cls runs on the fleet: every strategy, and gates relative to the baseline.
    expect(await strategies()).toEqual(['canary', 'shadow', 'blue-green', 'all-at-once']);
    await form.locator('input[name=gate-latencyP95Ratio]').waitFor();
    // Asking for no baseline leaves the strategies a first deployment allows.
    await form.locator('select[name=baseline]').selectOption({ label: 'none: first deployment' });
    await form.getByTestId('first-deployment-hint').waitFor();
    expect(await strategies()).toEqual(['canary', 'all-at-once']);
    expect(await form.locator('input[name=gate-latencyP95Ratio]').count()).toBe(0);

    // orient runs nowhere: the server will find no baseline, and the form says so by itself.
    await form.locator('select[name=model]').selectOption('orient');
    await form
      .locator('select[name=baseline] option', { hasText: 'auto: none yet (first deployment)' })
      .waitFor({ state: 'attached' });
    expect(await form.locator('select[name=baseline]').inputValue()).toBe('');
    await form.getByTestId('first-deployment-hint').getByText('First deployment of orient').waitFor();
    expect(await strategies()).toEqual(['canary', 'all-at-once']);
    await form.locator('select[name=strategy]').selectOption('all-at-once');
    await form.locator('select[name=targetKind]').selectOption('app');
    await form.locator('input[name=target]').fill('shop');
    await form.locator('input[name=stages]').fill('100%');
    await form.locator('input[name=minReportingTargets]').fill('0');
    await form.locator('input[name=minInferences]').fill('0');
    // No browser reports here: without gates waiting for data the single stage completes.
    await form.locator('input[name=gate-maxErrorRate]').fill('');
    await form.locator('input[name=gate-maxPsi]').fill('');
    await shot('rollout-form-first-deployment');
    await form.getByRole('button', { name: 'Create rollout' }).click();

    const detail = page.getByTestId('page-rollout');
    await detail.waitFor();
    const id = decodeURIComponent(page.url().split('#/rollouts/')[1]!);
    const created = await api<{
      model: string;
      candidate: string;
      baseline: string | null;
      strategy: string;
    }>(`/api/v1/rollouts/${id}`);
    expect(created).toMatchObject({
      model: 'orient',
      candidate: '1.0.0',
      baseline: null,
      strategy: 'all-at-once',
    });
    await detail.getByTestId('rollout-status').getByText('completed').waitFor({ timeout: 15_000 });
    await detail.getByTestId('first-deployment').waitFor();
    const facts = (await detail.getByTestId('rollout-facts').textContent()) ?? '';
    expect(facts).toContain('orient: 1.0.0 (first deployment)');
    expect(facts).not.toContain('→');
    expect(facts).toContain('candidate');
    expect(facts).not.toContain('candidate vs baseline');
    const monitoring = await detail
      .getByRole('link', { name: 'candidate', exact: true })
      .getAttribute('href');
    expect(monitoring).toContain('model=orient');
    expect(monitoring).not.toContain('compare');
    expect(await detail.getByTestId('targets').locator('[data-state=on_baseline]').count()).toBe(0);
    await detail.getByText('Candidate (first deployment: no baseline)').waitFor();
    const chart = detail.getByTestId('chart-rollout-inferences');
    await chart.locator('canvas').waitFor();
    expect(await chart.textContent()).toContain('candidate 1.0.0');
    expect(await detail.getByTestId('rollout-telemetry').textContent()).not.toMatch(/baseline/);
    const text = (await detail.textContent()) ?? '';
    expect(text).not.toMatch(/\bnull\b|undefined|NaN/);
    await shot('rollout-first-deployment');

    // The list says the same.
    await goto('#/rollouts');
    const row = page.getByTestId('rollouts-table').locator('tr', { hasText: id });
    await row.getByText('(first deployment)').waitFor();
    expect(await row.textContent()).not.toMatch(/\bnull\b|undefined|→/);
  });

  it('lists alerts and acknowledges one', async () => {
    await goto('#/alerts');
    const alerts = page.getByTestId('page-alerts');
    await alerts.locator('tr', { hasText: 'gate breach' }).first().waitFor({ timeout: 20_000 });
    const silent = alerts.locator('tr', { hasText: SILENT_DEVICE.id });
    await silent.waitFor({ timeout: 20_000 });
    await shot('alerts');
    const alertId = await silent.getAttribute('data-alert');
    await silent.getByRole('button', { name: 'Acknowledge' }).click();
    await expect
      .poll(async () => {
        const { alerts: list } = await api<{ alerts: { id: number; acknowledgedAt: number | null }[] }>(
          '/api/v1/alerts?status=all',
        );
        return list.find((a) => String(a.id) === alertId)?.acknowledgedAt ?? null;
      })
      .not.toBeNull();
    await alerts.getByRole('button', { name: 'acknowledged' }).click();
    await alerts.locator(`tr[data-alert="${alertId}"]`).getByText('acknowledged by').waitFor();
  });

  it('falls back to polling without the event stream, and shows garbage answers as errors, not a blank page', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      await context.addInitScript(
        (token) => sessionStorage.setItem('edgefleet.adminToken', token),
        t.adminToken,
      );
      await context.route('**/api/v1/events', (route) => route.abort());
      await context.route('**/api/v1/fleet/overview', (route) =>
        route.fulfill({ status: 200, body: 'not json {' }),
      );
      await context.route('**/api/v1/devices?*', (route) =>
        route.fulfill({ status: 502, contentType: 'text/html', body: '<html>bad gateway</html>' }),
      );
      await context.route('**/api/v1/alerts?*', (route) =>
        route.fulfill({ status: 200, json: { alerts: 5 } }),
      );
      const many = Array.from({ length: 1_000 }, (_, i) => ({
        id: `ro_${i}`,
        model: '<img src=x onerror=alert(1)>',
        candidate: '2.0.0',
        baseline: '1.0.0',
        strategy: 'canary',
        target: { kind: 'selector', selector: `site=<b>${i}</b>` },
        status: 'running',
        stageIndex: 0,
        stageCount: 2,
        percent: 5,
        createdBy: 'x',
        createdAt: 0,
        updatedAt: 0,
      }));
      await context.route('**/api/v1/rollouts', (route) =>
        route.fulfill({ status: 200, json: { rollouts: many } }),
      );
      const other = await context.newPage();
      const errors: string[] = [];
      other.on('pageerror', (error) => errors.push(error.message));
      other.on('dialog', (dialog) => {
        errors.push(`dialog: ${dialog.message()}`);
        void dialog.dismiss();
      });
      await other.goto(`${baseUrl}/#/fleet`);
      await expect
        .poll(() => other.getByTestId('live-mode').textContent(), { timeout: 10_000 })
        .toContain('polling every 10 s');
      await other.getByRole('alert').filter({ hasText: 'expected JSON' }).waitFor();
      await other.getByRole('alert').filter({ hasText: 'HTTP 502' }).waitFor();
      await other.evaluate(() => {
        window.location.hash = '#/alerts';
      });
      await other.getByRole('alert').filter({ hasText: 'This page could not be shown' }).waitFor();
      await other.evaluate(() => {
        window.location.hash = '#/rollouts';
      });
      await expect.poll(() => other.getByTestId('rollouts-table').locator('tbody tr').count()).toBe(1_000);
      expect(await other.locator('img').count()).toBe(0); // text stays text
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('goes back to the login page when the token stops working', async () => {
    await page.evaluate(() => sessionStorage.setItem('edgefleet.adminToken', 'efa_revoked'));
    await page.reload();
    await page.getByLabel('Admin token').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('edgefleet.adminToken'))).toBeNull();
    expect(pageErrors).toEqual([]);
  });
});
