import type { ProfileSpec } from '@edgefleet/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postDeviceReports, windowReport } from '../monitoring/test-reports';
import { registerClsVersions } from '../rollouts/test-support';
import { enrollTestDevice } from '../testing/enroll';
import { clsBaseline, startTestServer, type TestServer } from '../testing/harness';
import type { Alerts } from '.';

// Real server, SQLite and HTTP ingestion; the evaluator is driven by hand. The synthetic windows are the same
// every hour, so a healthy hour scores far below 0 and a changed one far above: every step is deterministic.

const HOUR = 3_600_000;
const spec = clsBaseline().spec as ProfileSpec;
let t: TestServer;
let alerts: Alerts;
let token = '';
let seq = 0;

interface AlertView {
  id: number;
  kind: string;
  key: string;
  status: string;
  subject: Record<string, unknown>;
  message: string;
  details: Record<string, unknown> & { streams?: { stream: string; sinceMs: number | null }[] };
}

const list = async (query: string) => {
  const res = await t.call(`/api/v1/alerts?${query}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { alerts: AlertView[] }).alerts;
};

/** Hours of the test's stream; the clock is set to just after the hour it should have scored. */
let baseMs = 0;
const scoredThrough = (hour: number) => {
  // 30 minutes into the next hour: a finished hour is scored after the 10-minute grace.
  t.clock.nowMs = baseMs + (hour + 1) * HOUR + 30 * 60_000;
};

/** One 600-inference report in each hour `from`, …, `from + count − 1` of the stream. */
async function hours(from: number, count: number, window: { errorRate?: number; inputShift?: number }) {
  const reports = Array.from({ length: count }, (_, i) => {
    seq++;
    return windowReport(spec, 'c1', seq, baseMs + (from + i) * HOUR + 5 * 60_000, {
      inferences: 600,
      ...window,
    }).report;
  });
  await postDeviceReports(t, token, reports);
}

beforeAll(async () => {
  t = await startTestServer({ alertTickMs: 0, alertDriftMinInferences: 500 });
  alerts = t.server.parts.alerts;
  alerts.evaluator.close();
  await registerClsVersions(t, ['1.0.0']);
  token = await enrollTestDevice(t, 'c1', { site: 'a' });
  baseMs = Math.floor(t.clock.nowMs / HOUR) * HOUR - 60 * HOUR;
}, 60_000);

afterAll(async () => {
  await t?.dispose();
});

describe('change alerts (CUSUM over the hourly aggregates)', () => {
  it('stay quiet over healthy hours, then raise one alert naming the test and its false-alarm rate', async () => {
    // The clock moves first: the server moves windows that end after it receives them back into its clock.
    scoredThrough(19);
    await hours(0, 20, {});
    alerts.evaluator.evaluate();
    expect(await list('status=all&kind=change')).toEqual([]);

    t.clock.nowMs = baseMs + 23 * HOUR + 30 * 60_000;
    await hours(20, 3, { errorRate: 0.05 });
    // A change in the current (unfinished) hour is not scored yet.
    await hours(23, 1, { errorRate: 0.5 });
    alerts.evaluator.evaluate();
    const open = await list('status=open&kind=change');
    expect(open).toHaveLength(1);
    const alert = open[0]!;
    expect(alert).toMatchObject({
      key: 'change:cls@1.0.0:active',
      subject: { model: 'cls', version: '1.0.0', role: 'active' },
      details: { test: 'cusum', falseAlarmsPerDay: 0.01, windowMs: HOUR, k: 0.25 },
    });
    expect(alert.details.streamsTested).toBe(2 + spec.inputs.length + spec.outputs.length);
    expect(alert.details.streams!.map((s) => s.stream)).toEqual(['error_rate']);
    expect(alert.details.streams![0]!.sinceMs).toBe(baseMs + 20 * HOUR);
    expect(alert.message).toContain('error rate 5.00 %');
    expect(alert.message).toContain('false alerts ≤ 0.01/day');
    // Evaluating again scores nothing new and keeps the same alert.
    alerts.evaluator.evaluate();
    expect((await list('status=open&kind=change')).map((a) => a.id)).toEqual([alert.id]);
  });

  it('resolves when the stream is back at rest, ignores late hours, and finds a distribution drift', async () => {
    // The CUSUM comes down by k + |score| per healthy hour: a few hours keep the alert open, then it resolves.
    scoredThrough(27);
    await hours(24, 4, {});
    alerts.evaluator.evaluate();
    expect(await list('status=open&kind=change')).toHaveLength(1);
    scoredThrough(43);
    await hours(28, 16, {});
    alerts.evaluator.evaluate();
    expect(await list('status=open&kind=change')).toEqual([]);
    expect(await list('status=resolved&kind=change')).toHaveLength(1);

    // An hour that was scored already and gets reports late is left out: no alert from it.
    await hours(30, 1, { inputShift: 0.5 });
    alerts.evaluator.evaluate();
    expect(await list('status=open&kind=change')).toEqual([]);

    scoredThrough(45);
    await hours(44, 2, { inputShift: 0.5 });
    alerts.evaluator.evaluate();
    const open = await list('status=open&kind=change');
    expect(open).toHaveLength(1);
    const streams = open[0]!.details.streams!.map((s) => s.stream);
    expect(streams.length).toBeGreaterThan(0);
    expect(streams.every((s) => s.startsWith('input:'))).toBe(true);
    expect(open[0]!.message).toMatch(/PSI \d+\.\d{3} against its earlier hours/);
  });
});
