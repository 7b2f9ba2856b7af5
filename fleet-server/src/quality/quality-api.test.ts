import {
  CALIBRATION_BINS,
  calibrationBin,
  countLabel,
  countRoute,
  emptyFeedback,
  type FeedbackAggregate,
  type ProfileSpec,
} from '@edgefleet/shared';
import type { VersionQuality } from '@edgefleet/shared/api';
import { createRandom } from '@edgefleet/shared/stats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postDeviceReports, windowReport } from '../monitoring/test-reports';
import { registerClsVersions } from '../rollouts/test-support';
import { enrollTestDevice } from '../testing/enroll';
import { clsBaseline, startTestServer, type TestServer } from '../testing/harness';
import { slicesOf } from './breakdown';

// Real server, SQLite and HTTP ingestion. Every expected number is computed here from the labels the test sent.

const HOUR = 3_600_000;
const spec = clsBaseline().spec as ProfileSpec;
const CLASSES = ['0', '180'];

interface Sent {
  device: string;
  hour: number;
  trueIndex: number;
  predictedIndex: number;
  route: 'auto' | 'review';
  confidence: number;
}

let t: TestServer;
let baseMs = 0;
const sent: Sent[] = [];
const routedConfidences: { device: string; hour: number; confidence: number }[] = [];

beforeAll(async () => {
  t = await startTestServer({ alertTickMs: 0 });
  await registerClsVersions(t, ['1.0.0']);
  const devices = { 'q-a1': { line: 'a' }, 'q-a2': { line: 'a' }, 'q-b1': { line: 'b' }, 'q-x': {} };
  baseMs = Math.floor(t.clock.nowMs / HOUR) * HOUR - 4 * HOUR;
  const rng = createRandom(14);
  let seq = 0;
  for (const [device, labels] of Object.entries(devices)) {
    const token = await enrollTestDevice(t, device, labels);
    const reports = [];
    for (let hour = 0; hour < 4; hour++) {
      const f: FeedbackAggregate = emptyFeedback(CLASSES);
      for (let i = 0; i < 40; i++) {
        const confidence = 0.5 + 0.5 * rng.uniform();
        const route: Sent['route'] = confidence > 0.8 ? 'auto' : 'review';
        countRoute(f, route, confidence);
        routedConfidences.push({ device, hour, confidence });
        if (route === 'review' || rng.uniform() < 0.2) {
          const predictedIndex = rng.uniform() < 0.5 ? 0 : 1;
          // Line b's operators disagree more often.
          const wrong = rng.uniform() < (device === 'q-b1' ? 0.7 : 1 - confidence);
          const label = {
            trueIndex: wrong ? 1 - predictedIndex : predictedIndex,
            predictedIndex,
            route,
            confidence,
          };
          countLabel(f, label);
          sent.push({ device, hour, ...label });
        }
      }
      seq++;
      const { report } = windowReport(spec, device, seq, baseMs + hour * HOUR + 5 * 60_000, {
        inferences: 40,
      });
      reports.push({ ...report, feedback: f });
    }
    await postDeviceReports(t, token, reports);
  }
}, 60_000);

afterAll(async () => {
  await t?.dispose();
});

const read = async (query: string) => {
  const res = await t.call(`/api/v1/models/cls/versions/1.0.0/quality?${query}`);
  return { status: res.status, body: (await res.json()) as VersionQuality & { message?: string } };
};

const right = (xs: Sent[]) => xs.filter((s) => s.trueIndex === s.predictedIndex).length;

describe('quality per slice and over time (real server, SQLite, HTTP ingestion)', () => {
  it('equals what the sent labels give, exactly: overall, per line slice and per time bucket', async () => {
    const range = `from=${baseMs}&to=${baseMs + 4 * HOUR}`;
    const { status, body: q } = await read(`${range}&by=line&buckets=4`);
    expect(status).toBe(200);
    expect(q.labelled).toBe(sent.length);
    expect(q.accuracy).toMatchObject({ successes: right(sent), trials: sent.length });
    const reviewed = sent.filter((s) => s.route === 'review');
    expect(q.agreement).toMatchObject({ successes: right(reviewed), trials: reviewed.length });

    const byLine = (line: string | null) => {
      const devices = { a: ['q-a1', 'q-a2'], b: ['q-b1'] }[line ?? ''] ?? ['q-x'];
      return sent.filter((s) => devices.includes(s.device));
    };
    expect(q.slices?.map((s) => s.slice.value).sort()).toEqual(['a', 'b', null].sort());
    for (const s of q.slices!) {
      const mine = byLine(s.slice.value);
      expect(s.slice).toMatchObject({ kind: 'label', key: 'line' });
      expect(s.sources).toBe(s.slice.value === 'a' ? 2 : 1);
      expect(s.labelled).toBe(mine.length);
      expect(s.accuracy.successes).toBe(right(mine));
      expect(s.reports).toBe(4 * s.sources);
    }
    // Line b's disagreement shows in its slice and not in line a's.
    const [a, b] = ['a', 'b'].map((v) => q.slices!.find((s) => s.slice.value === v)!);
    expect(b!.accuracy.upper).toBeLessThan(a!.accuracy.estimate!);

    expect(q.series).toHaveLength(4);
    for (const [hour, point] of q.series.entries()) {
      const mine = sent.filter((s) => s.hour === hour);
      expect(point).toMatchObject({
        fromMs: baseMs + hour * HOUR,
        toMs: baseMs + (hour + 1) * HOUR,
        reports: 4,
      });
      expect(point.accuracy).toMatchObject({ successes: right(mine), trials: mine.length });
      const confidences = routedConfidences.filter((r) => r.hour === hour).map((r) => r.confidence);
      expect(point.estimatedAccuracy).toBeCloseTo(
        confidences.reduce((x, y) => x + y, 0) / confidences.length,
        12,
      );
    }
  });

  it('estimates accuracy from confidences, re-weights it by the labelled bins, and checks calibration', async () => {
    const { body: q } = await read(`from=${baseMs}&to=${baseMs + 4 * HOUR}`);
    const all = routedConfidences.map((r) => r.confidence);
    expect(q.estimated?.inferences).toBe(all.length);
    expect(q.estimated?.labelFree.estimate).toBeCloseTo(all.reduce((x, y) => x + y, 0) / all.length, 12);
    expect(q.estimated?.assumes).toMatch(/calibrated/);
    // Per bin: labelled accuracy × the bin's share of every inference.
    let expected = 0;
    for (let b = 0; b < CALIBRATION_BINS; b++) {
      const routed = all.filter((c) => calibrationBin(c) === b);
      const labelled = sent.filter((s) => calibrationBin(s.confidence) === b);
      if (routed.length === 0) continue;
      const w = routed.length / all.length;
      expected +=
        labelled.length > 0
          ? (w * right(labelled)) / labelled.length
          : (w * routed.reduce((x, y) => x + y, 0)) / routed.length;
      expect(q.reliability[b]).toMatchObject({ routed: routed.length, labelled: labelled.length });
      expect(q.reliability[b]!.accuracy.successes).toBe(right(labelled));
    }
    expect(q.estimated?.calibrated?.estimate).toBeCloseTo(expected, 12);
    expect(q.calibrationCheck).toMatchObject({ labelled: sent.length, alpha: 0.01 });
    // Line b answers 30 % right at every confidence: miscalibrated far beyond the sampling noise.
    expect(q.calibrationCheck!.ece!).toBeGreaterThan(q.calibrationCheck!.noise95!);
    expect(q.calibrationCheck!.miscalibrated).toBe(true);
  });

  it('answers 400 naming the field for hostile query parameters', async () => {
    const range = `from=${baseMs}&to=${baseMs + HOUR}`;
    for (const [query, field] of [
      [`${range}&buckets=0`, 'buckets'],
      [`${range}&buckets=201`, 'buckets'],
      [`${range}&buckets=x`, 'buckets'],
      [`${range}&buckets=1.5`, 'buckets'],
      [`${range}&by=${encodeURIComponent('$where')}`, 'by'],
      [`${range}&by=${'k'.repeat(64)}`, 'by'],
      [`${range}&by=`, 'by'],
      [`from=-1&to=${baseMs}`, 'from'],
      [`from=${baseMs}&to=${baseMs}`, 'from'],
      [`from=abc`, 'from'],
    ] as const) {
      const { status, body } = await read(query);
      expect(status, query).toBe(400);
      expect(body.message, query).toMatch(new RegExp(`query\\.${field}`));
    }
    expect((await t.call('/api/v1/models/cls/versions/9.9.9/quality')).status).toBe(404);
  });

  it('puts each web app in a slice of its own', () => {
    const f = emptyFeedback(CLASSES);
    const rows = [
      { scope: 'app' as const, sourceId: 'shop', windowEndMs: 1, feedback: f, deviceLabels: null },
      { scope: 'dev' as const, sourceId: 'd1', windowEndMs: 1, feedback: f, deviceLabels: { line: 'a' } },
    ];
    expect(slicesOf(rows, 'line').map((s) => s.slice)).toEqual([
      { kind: 'label', key: 'line', value: 'a' },
      { kind: 'app', key: 'app', value: 'shop' },
    ]);
  });
});
