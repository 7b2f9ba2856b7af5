import { countLabel, countRoute, emptyFeedback, type ProfileSpec } from '@edgefleet/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postDeviceReports, windowReport } from '../monitoring/test-reports';
import { registerClsVersions } from '../rollouts/test-support';
import { enrollTestDevice } from '../testing/enroll';
import { clsBaseline, startTestServer, type TestServer } from '../testing/harness';
import type { Alerts } from '.';

// Real server, SQLite and HTTP ingestion; the evaluator is driven by hand. Two stations on two lines label 100
// predictions an hour each; from hour 20 line b's operators disagree with the model on 40 of them.

const HOUR = 3_600_000;
const spec = clsBaseline().spec as ProfileSpec;
let t: TestServer;
let alerts: Alerts;
const tokens: Record<string, string> = {};
let seq = 0;
let baseMs = 0;

interface AlertView {
  key: string;
  status: string;
  subject: Record<string, unknown>;
  message: string;
  details: Record<string, unknown>;
}

const list = async (query: string) => {
  const res = await t.call(`/api/v1/alerts?${query}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { alerts: AlertView[] }).alerts;
};

const scoredThrough = (hour: number) => {
  t.clock.nowMs = baseMs + (hour + 1) * HOUR + 30 * 60_000;
};

/** Hours `from`…`from + count − 1`: one report per device with 100 labels, `wrong[device]` of them wrong. */
async function hours(from: number, count: number, wrong: Record<string, number>) {
  for (const [device, w] of Object.entries(wrong)) {
    const reports = Array.from({ length: count }, (_, i) => {
      const f = emptyFeedback(['0', '180']);
      for (let j = 0; j < 100; j++) {
        countRoute(f, 'review', 0.9);
        countLabel(f, { trueIndex: j < w ? 1 : 0, predictedIndex: 0, route: 'review', confidence: 0.9 });
      }
      seq++;
      const { report } = windowReport(spec, device, seq, baseMs + (from + i) * HOUR + 5 * 60_000, {
        inferences: 100,
      });
      return { ...report, feedback: f };
    });
    await postDeviceReports(t, tokens[device]!, reports);
  }
}

beforeAll(async () => {
  t = await startTestServer({ alertTickMs: 0, alertSliceLabels: 'line', alertChangeFalseAlarmsPerDay: 0 });
  alerts = t.server.parts.alerts;
  alerts.evaluator.close();
  await registerClsVersions(t, ['1.0.0']);
  tokens.c1 = await enrollTestDevice(t, 'c1', { line: 'a' });
  tokens.c2 = await enrollTestDevice(t, 'c2', { line: 'b' });
  baseMs = Math.floor(t.clock.nowMs / HOUR) * HOUR - 60 * HOUR;
}, 60_000);

afterAll(async () => {
  await t?.dispose();
});

describe('concept-drift alerts (Bernoulli CUSUM on the labelled error stream, per version and slice)', () => {
  it('stay quiet at a steady 5 %, then name the slice whose error rate rose, with before and after', async () => {
    scoredThrough(19);
    await hours(0, 20, { c1: 5, c2: 5 });
    alerts.evaluator.evaluate();
    expect(await list('status=all&kind=concept_drift')).toEqual([]);

    scoredThrough(22);
    await hours(20, 3, { c1: 5, c2: 40 });
    alerts.evaluator.evaluate();
    const open = await list('status=open&kind=concept_drift');
    const keys = open.map((a) => a.key).sort();
    // The slice and the whole version (its error rate rose too); never line a.
    expect(keys).toEqual(['concept_drift:cls@1.0.0:all', 'concept_drift:cls@1.0.0:line=b']);
    const b = open.find((a) => a.key.endsWith('line=b'))!;
    expect(b.subject).toEqual({ model: 'cls', version: '1.0.0', role: 'active' });
    expect(b.details).toMatchObject({
      test: 'bernoulli_cusum',
      falseAlarmsPerDay: 0.01,
      minLabels: 100,
      slice: { key: 'line', value: 'b' },
      sinceMs: baseMs + 20 * HOUR,
      before: { labelled: 2000, wrong: 100, rate: 0.05 },
      after: { labelled: 300, wrong: 120, rate: 0.4 },
    });
    expect(b.message).toMatch(
      /cls@1\.0\.0 on line=b: .*error rate 5\.0 % \(2000 labels\) → 40\.0 % \(300 labels\)/,
    );
    expect(b.message).toContain('false alerts ≤ 0.01/day per stream');
  });

  it('resolves once the slice is back to its old error rate for long enough', async () => {
    scoredThrough(60);
    await hours(23, 38, { c1: 5, c2: 0 });
    alerts.evaluator.evaluate();
    expect(await list('status=open&kind=concept_drift')).toEqual([]);
    expect(await list('status=resolved&kind=concept_drift')).toHaveLength(2);
  });
});
