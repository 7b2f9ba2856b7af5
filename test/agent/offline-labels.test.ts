import { type RunningAgent, resolveAgentConfig, startAgent } from '@edgefleet/agent';
import { correctTotal, labelledTotal } from '@edgefleet/shared';
import type { VersionQuality } from '@edgefleet/shared/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../fleet-server/src/testing/harness';
import {
  type ClassifierAnswer,
  feedbackOnServer,
  inferPng,
  orientationImages,
  publishDesired,
  registerCls,
  startEnrolledAgent,
  startServerWithBroker,
  until,
} from './fleet';

// An operator keeps labelling while the station is cut off from the fleet (and its agent restarts): every label
// reaches the server once the link is back, exactly once, and the server's accuracy is the labels' own.
describe('labels given offline (real agent, real broker, real server, real cls model)', () => {
  let t: TestServer;
  let agent: RunningAgent;
  let dataDir = '';
  beforeAll(async () => {
    t = await startServerWithBroker();
  });
  afterAll(async () => {
    await agent?.close();
    await t.dispose();
  });

  const label = (predictionId: string, value: string) =>
    fetch(`${agent.url}/v1/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ predictionId, label: value }),
    });

  it('delivers labels counted offline once, across an agent restart, and refuses them again after', async () => {
    const ref = await registerCls(t, '1.0.0');
    const started = await startEnrolledAgent(t, 'station-ol');
    agent = started.agent;
    dataDir = started.dataDir;
    await until(() => agent.link?.connected, 10_000, 'connect');
    const desired = await publishDesired(t, 'station-ol', { active: ref });
    await until(() => agent.reportedRev() === desired.rev, 20_000, 'applied');
    const images = await orientationImages();

    await t.server.close();
    await until(() => !agent.link?.connected, 10_000, 'disconnect');
    const sent: { answer: ClassifierAnswer; label: string }[] = [];
    const unlabelled: ClassifierAnswer[] = [];
    // The operator's labels: the first image is upright, the second turned; the third they call upright.
    const truth = ['0', '180', '0'];
    for (let w = 0; w < 4; w++) {
      for (const [i, image] of images.entries()) {
        const answer = await inferPng(agent.url, image);
        // Label two of every three, the last one of each window only after the agent restarted (late label).
        if (i === 2) unlabelled.push(answer);
        else {
          const res = await label(answer.predictionId, truth[i]!);
          expect(res.status, await res.clone().text()).toBe(200);
          sent.push({ answer, label: truth[i]! });
        }
      }
      agent.flushWindow();
    }

    // Restart the agent with the server still down: the predictions survive, late labels still count once.
    await agent.close();
    agent = await startAgent(resolveAgentConfig({ dataDir, httpPort: 0, threads: 1, logLevel: 'silent' }), {
      reconnect: { baseMs: 50, maxMs: 200 },
    });
    for (const answer of unlabelled) {
      // A label is counted into the window of the version that made the prediction: it needs inferences there.
      await inferPng(agent.url, images[0]!);
      const res = await label(answer.predictionId, truth[2]!);
      expect(res.status, await res.clone().text()).toBe(200);
      sent.push({ answer, label: truth[2]! });
    }
    agent.flushWindow();
    expect(agent.outbox.stats().pending).toBeGreaterThanOrEqual(5);

    await t.restart();
    await until(() => agent.outbox.stats().pending === 0, 30_000, 'outbox drained');
    const onServer = feedbackOnServer(t, 'station-ol');
    const correct = sent.filter((s) => s.answer.top.label === s.label).length;
    expect(onServer && labelledTotal(onServer)).toBe(sent.length);
    expect(onServer && correctTotal(onServer)).toBe(correct);
    const quality = (await (
      await t.call(`/api/v1/models/cls/versions/1.0.0/quality?from=0&to=${Date.now() + 3_600_000}`)
    ).json()) as VersionQuality;
    expect(quality.accuracy).toMatchObject({ successes: correct, trials: sent.length });

    // Sent again once online: refused as duplicates, nothing counted twice.
    for (const s of sent.slice(0, 3)) expect((await label(s.answer.predictionId, s.label)).status).toBe(409);
    agent.flushWindow();
    await until(() => agent.outbox.stats().pending === 0, 30_000, 'outbox drained again');
    expect(labelledTotal(feedbackOnServer(t, 'station-ol')!)).toBe(sent.length);
  });
});
