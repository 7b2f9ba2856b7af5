import type { ProfileSpec } from '@edgefleet/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postDeviceReports, windowReport } from '../monitoring/test-reports';
import { registerClsVersions } from '../rollouts/test-support';
import { enrollTestDevice } from '../testing/enroll';
import { clsBaseline, startTestServer, type TestServer } from '../testing/harness';
import type { Alerts } from '.';

// Real server, SQLite and HTTP ingestion; the evaluator is driven by hand. Two sites: one drifts, the other
// fails inferences; each slice is judged on its own and the family grows with the slices.

const MIN = 60_000;
const spec = clsBaseline().spec as ProfileSpec;
let t: TestServer;
let alerts: Alerts;
const tokens: Record<string, string> = {};

interface AlertView {
  key: string;
  kind: string;
  severity: string;
  subject: Record<string, unknown>;
  message: string;
  details: Record<string, unknown> & { bounds?: { test: string; lower: number | null; threshold: number }[] };
}

const open = async (kind: string) => {
  const res = await t.call(`/api/v1/alerts?status=open&kind=${kind}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { alerts: AlertView[] }).alerts;
};

beforeAll(async () => {
  t = await startTestServer({
    alertTickMs: 0,
    alertDriftMinInferences: 500,
    alertDriftWindowMs: 3_600_000,
    alertSliceLabels: 'site',
    alertChangeFalseAlarmsPerDay: 0,
  });
  alerts = t.server.parts.alerts;
  alerts.evaluator.close();
  await registerClsVersions(t, ['1.0.0']);
  tokens.a = await enrollTestDevice(t, 'wa', { site: 'plant-a' });
  tokens.b = await enrollTestDevice(t, 'wb', { site: 'plant-b' });
}, 60_000);

afterAll(async () => {
  await t?.dispose();
});

describe('drift and quality alerts per label slice, on bounds', () => {
  it('judge each site on its own, with the family over features, tests and slices', async () => {
    const now = t.clock.nowMs;
    const reports = (id: string, window: { inputShift?: number; errorRate?: number }) =>
      Array.from(
        { length: 5 },
        (_, i) =>
          windowReport(spec, id, i + 1, now - 30 * MIN + i * MIN, { inferences: 200, ...window }).report,
      );
    await postDeviceReports(t, tokens.a!, reports('wa', { inputShift: 0.5 }));
    await postDeviceReports(t, tokens.b!, reports('wb', { errorRate: 0.3 }));
    alerts.evaluator.evaluate();

    const drift = await open('drift');
    const driftKeys = drift.map((a) => a.key).sort();
    expect(driftKeys).toContain('drift:cls@1.0.0:active:site=plant-a');
    expect(driftKeys).not.toContain('drift:cls@1.0.0:active:site=plant-b');
    const a = drift.find((x) => x.key.endsWith('site=plant-a'))!;
    expect(a.subject).toEqual({ model: 'cls', version: '1.0.0', role: 'active', selector: 'site=plant-a' });
    // brightness, confidence and the error rate, for the fleet and two sites.
    expect(a.details).toMatchObject({
      test: 'psi_lower_bound',
      confidence: 0.99,
      tests: 9,
      selector: 'site=plant-a',
    });
    const bound = a.details.bounds!.find((b) => b.test === 'input brightness')!;
    expect(bound.lower!).toBeGreaterThanOrEqual(bound.threshold);
    expect(a.message).toMatch(/PSI of input brightness ≥ \d\.\d{3} \(estimate/);

    const quality = await open('quality');
    const b = quality.find((x) => x.key === 'quality:cls@1.0.0:active:site=plant-b');
    expect(b).toBeDefined();
    expect(b!.details).toMatchObject({ test: 'lower_bound', tests: 9 });
    expect(b!.details.bounds!.map((x) => x.test)).toEqual(['error rate']);
    expect(b!.details.bounds![0]!.lower!).toBeGreaterThanOrEqual(0.05);
    expect(quality.map((x) => x.key)).not.toContain('quality:cls@1.0.0:active:site=plant-a');
  });

  it('leaves a slice with too few inferences undecided: its open alert stays open', async () => {
    t.clock.nowMs += 2 * 3_600_000;
    alerts.evaluator.evaluate();
    expect((await open('drift')).map((x) => x.key)).toContain('drift:cls@1.0.0:active:site=plant-a');
  });

  it('refuses slice label keys that are not label keys', async () => {
    await expect(startTestServer({ alertSliceLabels: 'site,"; drop' })).rejects.toThrow(/alert-slice-labels/);
  });
});
