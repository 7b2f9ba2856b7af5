import { type RunningAgent, resolveAgentConfig, startAgent } from '@edgefleet/agent';
import { type Automation, CALIBRATION_BINS, calibrationBin } from '@edgefleet/shared';
import type { VersionQuality } from '@edgefleet/shared/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../fleet-server/src/testing/harness';
import {
  feedbackOnServer,
  orientationImages,
  publishDesired,
  registerCls,
  startEnrolledAgent,
  startServerWithBroker,
  until,
} from './fleet';

interface Answer {
  predictionId: string;
  top: { label: string; confidence: number; margin: number };
  decision: { route: 'auto' | 'review'; reason: string };
}

const TTL_MS = 4_000;

describe('humans in the loop on the agent (real agent, real broker, real server, real cls model)', () => {
  let t: TestServer;
  let agent: RunningAgent;
  let dataDir = '';
  let images: Uint8Array<ArrayBuffer>[] = [];
  beforeAll(async () => {
    t = await startServerWithBroker();
    images = await orientationImages();
  });
  afterAll(async () => {
    await agent?.close();
    await t.dispose();
  });

  const infer = async (image: Uint8Array<ArrayBuffer>): Promise<Answer> => {
    const res = await fetch(`${agent.url}/v1/infer?outputs=false`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: image,
    });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as Answer;
    all.push(answer);
    return answer;
  };
  const all: Answer[] = [];
  const label = (predictionId: unknown, value: unknown) =>
    fetch(`${agent.url}/v1/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ predictionId, label: value }),
    });
  const setAutomation = async (automation: Automation, ref: Awaited<ReturnType<typeof registerCls>>) => {
    const desired = await publishDesired(t, 'station-h', { active: ref }, { automation });
    await until(() => agent.reportedRev() === desired.rev, 20_000, 'applied');
  };

  it('routes every automation level, counts each label once into the window, refuses bad labels with their reason, and keeps predictions over a restart', async () => {
    const ref = await registerCls(t, '1.0.0');
    ({ agent, dataDir } = await startEnrolledAgent(t, 'station-h', { feedbackTtlMs: TTL_MS }));
    await until(() => agent.link?.connected, 10_000, 'connect');

    // The confidences of the images under `full`, to put τ between two of them.
    await setAutomation({ level: 'full' }, ref);
    const full = await Promise.all(images.map(infer));
    for (const a of full) expect(a.decision).toEqual({ route: 'auto', reason: 'full: the model decides' });
    const byConfidence = [...full.keys()].sort((a, b) => full[a]!.top.confidence - full[b]!.top.confidence);
    const [low, high] = [byConfidence[0]!, byConfidence.at(-1)!];
    expect(full[high]!.top.confidence).toBeGreaterThan(full[low]!.top.confidence);
    const tau = (full[low]!.top.confidence + full[high]!.top.confidence) / 2;

    await setAutomation({ level: 'shadow' }, ref);
    expect((await infer(images[0]!)).decision.reason).toMatch(/^shadow: the operator decides/);
    await setAutomation({ level: 'assist' }, ref);
    expect((await infer(images[0]!)).decision).toMatchObject({ route: 'review', reason: /^assist: / });
    await setAutomation({ level: 'partial', minConfidence: tau, minMargin: 0 }, ref);
    const sure = await infer(images[high]!);
    const unsure = await infer(images[low]!);
    expect(sure.decision).toMatchObject({ route: 'auto', reason: /^partial: confidence [\d.]+ ≥ τ/ });
    expect(unsure.decision).toMatchObject({
      route: 'review',
      reason: /^partial: confidence [\d.]+ < τ .*a human decides$/,
    });

    // The review queue lists what went to review and has no label yet, newest first.
    const review = async () =>
      ((await (await fetch(`${agent.url}/v1/review`)).json()) as { pending: { predictionId: string }[] })
        .pending;
    const pending = await review();
    expect(pending[0]).toMatchObject({
      predictionId: unsure.predictionId,
      suggestion: { label: unsure.top.label },
      classes: ['0', '180'],
    });
    expect(pending.some((p) => p.predictionId === sure.predictionId)).toBe(false);

    // Bad input: each refused with its status and reason, never counted.
    expect((await label('no-such-id', '0')).status).toBe(404);
    const bad = await label(unsure.predictionId, 'upside-down');
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { message: string }).message).toMatch(
      /expected a label among the classes of cls@1\.0\.0 \("0", "180"\)/,
    );
    expect((await label(unsure.predictionId, 7)).status).toBe(400);
    expect((await fetch(`${agent.url}/v1/feedback`, { method: 'POST', body: 'x'.repeat(4096) })).status).toBe(
      413,
    );

    // Labels: the operator's verdicts; the expected matrix is built from them here.
    const labels: [Answer, string][] = [
      [unsure, unsure.top.label === '0' ? '180' : '0'],
      [sure, sure.top.label],
    ];
    for (let i = 0; i < 6; i++) {
      const a = await infer(images[i % images.length]!);
      labels.push([a, i % 3 === 0 ? (a.top.label === '0' ? '180' : '0') : a.top.label]);
    }
    for (const [a, l] of labels) expect((await label(a.predictionId, l)).status).toBe(200);
    const dup = await label(sure.predictionId, sure.top.label);
    expect(dup.status).toBe(409);
    expect(await dup.json()).toMatchObject({ error: 'duplicate_label' });
    expect((await review()).some((p) => p.predictionId === unsure.predictionId)).toBe(false);

    // A window never counts more labels than it served inferences: a label into an empty window waits (429).
    const late = await infer(images[0]!);
    agent.flushWindow();
    const full429 = await label(late.predictionId, late.top.label);
    expect(full429.status).toBe(429);
    expect(await full429.json()).toMatchObject({ error: 'window_full' });

    // Kept over a restart: the label of a prediction made before it is counted after it.
    await agent.close();
    agent = await startAgent(
      resolveAgentConfig({ dataDir, httpPort: 0, threads: 1, logLevel: 'silent', feedbackTtlMs: TTL_MS }),
      { reconnect: { baseMs: 50, maxMs: 500 } },
    );
    expect(agent.engine.automation).toMatchObject({ level: 'partial' });
    await infer(images[0]!);
    expect((await label(late.predictionId, late.top.label)).status).toBe(200);
    labels.push([late, late.top.label]);

    // Too late: past the TTL a label is refused as expired (410).
    const old = await infer(images[0]!);
    await new Promise((r) => setTimeout(r, TTL_MS + 200));
    await infer(images[0]!);
    const gone = await label(old.predictionId, '0');
    expect(gone.status).toBe(410);
    expect(((await gone.json()) as { message: string }).message).toMatch(/expected a label within 4000 ms/);
    agent.flushWindow();

    // What reached the server: every label exactly once, in the reports' feedback aggregates.
    await until(() => agent.outbox.stats().pending === 0, 20_000, 'outbox drained');
    const sum = feedbackOnServer(t, 'station-h');
    const expected = [
      [0, 0],
      [0, 0],
    ];
    for (const [a, l] of labels) expected[Number(l === '180')]![Number(a.top.label === '180')]!++;
    expect(sum?.counts).toEqual(expected);
    const reviewed = labels.filter(([a]) => a.decision.route === 'review');
    expect(sum?.labels.review).toEqual({
      labelled: reviewed.length,
      correct: reviewed.filter(([a, l]) => a.top.label === l).length,
    });
    // Calibration bins: the labelled ones by the confidence of each labelled prediction, the routed ones by
    // every answer's confidence (label-free).
    const bins = (confidences: number[]) => {
      const b = Array.from({ length: CALIBRATION_BINS }, () => 0);
      for (const c of confidences) b[calibrationBin(c)!]!++;
      return b;
    };
    expect(sum?.calibration?.labelled).toEqual(bins(labels.map(([a]) => a.top.confidence)));
    expect(sum?.calibration?.correct).toEqual(
      bins(labels.filter(([a, l]) => a.top.label === l).map(([a]) => a.top.confidence)),
    );
    expect(sum?.calibration?.routed).toEqual(bins(all.map((a) => a.top.confidence)));
    const confidenceSum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
    expect(confidenceSum(sum!.calibration!.routedConfidence)).toBeCloseTo(
      confidenceSum(all.map((a) => a.top.confidence)),
      9,
    );

    // The server's quality read: accuracy exactly the one of the labels sent here.
    const quality = (await (
      await t.call(`/api/v1/models/cls/versions/1.0.0/quality?from=0&to=${Date.now() + 3_600_000}`)
    ).json()) as VersionQuality;
    const correct = labels.filter(([a, l]) => a.top.label === l).length;
    expect(quality.labelled).toBe(labels.length);
    expect(quality.accuracy.successes).toBe(correct);
    expect(quality.accuracy.estimate).toBe(correct / labels.length);
    expect(quality.accuracy.lower).toBeLessThan(quality.accuracy.estimate!);
    expect(quality.agreement).toMatchObject({
      successes: reviewed.filter(([a, l]) => a.top.label === l).length,
      trials: reviewed.length,
    });
    // Every inference under each level was routed once; review share from the routes, not from labels.
    const answers = all;
    expect(quality.routed).toEqual({
      auto: answers.filter((a) => a.decision.route === 'auto').length,
      review: answers.filter((a) => a.decision.route === 'review').length,
    });
    const truly180 = labels.filter(([, l]) => l === '180');
    expect(quality.classes.find((c) => c.label === '180')?.recall).toMatchObject({
      successes: truly180.filter(([a]) => a.top.label === '180').length,
      trials: truly180.length,
    });
  }, 120_000);
});
