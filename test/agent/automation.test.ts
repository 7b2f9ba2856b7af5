import type { RunningAgent } from '@edgefleet/agent';
import type { AutomationResult } from '@edgefleet/shared/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../fleet-server/src/testing/harness';
import {
  orientationImages,
  publishDesired,
  registerCls,
  startEnrolledAgent,
  startServerWithBroker,
  until,
} from './fleet';

interface Answer {
  top: { label: string; confidence: number; margin: number };
  decision: { route: 'auto' | 'review'; reason: string };
}

describe('the automation level set through the admin API (real server, broker, agent and cls model)', () => {
  let t: TestServer;
  let agent: RunningAgent | undefined;
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
    const res = await fetch(`${agent!.url}/v1/infer?outputs=false`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: image,
    });
    expect(res.status).toBe(200);
    return (await res.json()) as Answer;
  };

  it('PUT partial τ μ republishes the desired state and the agent routes by it: sure answers auto, unsure to review', async () => {
    const ref = await registerCls(t, '1.0.0');
    ({ agent } = await startEnrolledAgent(t, 'station-p'));
    const running = agent;
    await until(() => running.link?.connected, 10_000, 'connect');
    const first = await publishDesired(t, 'station-p', { active: ref });
    await until(() => running.reportedRev() === first.rev, 20_000, 'first desired state applied');

    // No level set: full, the model decides every answer.
    const full = await Promise.all(images.map(infer));
    for (const a of full) expect(a.decision).toEqual({ route: 'auto', reason: 'full: the model decides' });
    const order = [...full.keys()].sort((a, b) => full[a]!.top.confidence - full[b]!.top.confidence);
    const [low, high] = [order[0]!, order.at(-1)!];
    expect(full[high]!.top.confidence).toBeGreaterThan(full[low]!.top.confidence);
    const tau = (full[low]!.top.confidence + full[high]!.top.confidence) / 2;

    const res = await t.call('/api/v1/models/cls/automation', {
      method: 'PUT',
      json: {
        target: { devices: ['station-p'] },
        level: { level: 'partial', minConfidence: tau, minMargin: 0 },
      },
    });
    expect(res.status).toBe(200);
    const result = (await res.json()) as AutomationResult;
    expect(result.applied).toEqual({ devices: 1, skipped: 0, failed: 0, app: false });
    await until(() => running.reportedRev() === first.rev + 1, 20_000, 'automation applied');

    const sure = await infer(images[high]!);
    const unsure = await infer(images[low]!);
    expect(sure.decision).toMatchObject({
      route: 'auto',
      reason: expect.stringMatching(/^partial: confidence [\d.]+ ≥ τ/),
    });
    expect(unsure.decision).toMatchObject({
      route: 'review',
      reason: expect.stringMatching(/^partial: confidence [\d.]+ < τ .*a human decides$/),
    });
    // The same model answer as under full: only the route changed.
    expect(unsure.top).toEqual(full[low]!.top);

    // Back to full through the API: the unsure image is decided alone again.
    await t.call('/api/v1/models/cls/automation', {
      method: 'PUT',
      json: { target: { devices: ['station-p'] }, level: { level: 'full' } },
    });
    await until(() => running.reportedRev() === first.rev + 2, 20_000, 'full applied');
    expect((await infer(images[low]!)).decision.route).toBe('auto');
  });
});
