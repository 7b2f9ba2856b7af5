import type { RunningAgent } from '@edgefleet/agent';
import { inStage } from '@edgefleet/shared';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../fleet-server/src/testing/harness';
import {
  feedbackOnServer,
  freePort,
  orientationImages,
  publishDesired,
  registerCls,
  startEnrolledAgent,
  until,
} from './fleet';

// The automation ladder as a rollout stage action, end to end: a real server and broker, two real agents running the
// real cls model, operators' labels sent to the agents' feedback API, the controller ticked by hand. One agent is the
// stage's member (the candidate), the other the control cohort on the baseline version.

interface Answer {
  predictionId: string;
  top: { label: string };
}

interface View {
  status: string;
  stageIndex: number;
  stage: { automation?: { level: string } | null; stepsDown?: number } | null;
  evaluation: { note: string } | null;
  audit: { event: string; reason: string; gates: { gate: string; status: string }[] }[];
}

describe('automation ladder with real agents', () => {
  let t: TestServer;
  const agents: RunningAgent[] = [];
  afterAll(async () => {
    await Promise.all(agents.map((a) => a.close()));
    await t?.dispose();
  });

  it('steps the member up on the operators agreeing, and one rung down when it answers worse than the control', async () => {
    t = await startTestServer({ mqttPort: await freePort(), rolloutTickMs: 3_600_000 });
    const images = await orientationImages();
    const v1 = await registerCls(t, '1.0.0');
    await registerCls(t, '2.0.0');
    const ids = ['ladder-a', 'ladder-b'];
    for (const id of ids) {
      const { agent } = await startEnrolledAgent(t, id);
      agents.push(agent);
      await until(() => agent.link?.connected, 10_000, 'connect');
      const desired = await publishDesired(t, id, { active: v1 });
      await until(() => agent.reportedRev() === desired.rev, 20_000, `${id} on 1.0.0`);
    }
    const [member, control] = agents as [RunningAgent, RunningAgent];
    // A salt that puts ladder-a, and only it, in the 50 % stages.
    let salt = 's0';
    for (let i = 0; !(inStage('ladder-a', salt, 50) && !inStage('ladder-b', salt, 50)); i++) salt = `s${i}`;

    const res = await t.call('/api/v1/rollouts', {
      method: 'POST',
      json: {
        id: 'ladder',
        model: 'cls',
        candidate: '2.0.0',
        baseline: '1.0.0',
        target: { devices: ids },
        stages: '50%:1s@assist,50%:1s@partial(0.5,0),100%@full',
        minReportingTargets: 1,
        minInferences: 5,
        salt,
        gates: { maxAccuracyDrop: 0.5, minLabels: 10, minStepUpAgreement: 0.5, minStepUpReviews: 10 },
      },
    });
    if (res.status !== 201) throw new Error(await res.text());
    const controller = t.server.parts.rollouts.controller;
    const show = async () => (await (await t.call('/api/v1/rollouts/ladder')).json()) as View;
    // The server's clock is manual: each tick runs just behind real time, so the agents' next windows count.
    const tick = async () => {
      t.clock.nowMs = Date.now() - 500;
      await controller.tick();
      return show();
    };

    // The rollout starts at the server clock's time of its creation, which may be just ahead of the first tick's.
    await until(async () => (await tick()).status === 'running', 10_000, 'the rollout to start');
    await until(() => member.engine.automation?.level === 'assist', 30_000, 'member at assist on 2.0.0');
    expect(control.engine.automation?.level ?? 'full').toBe('full');

    // Operators label 20 answers on each station: `agree` says whether they agree with the model.
    const labelWindow = async (agent: RunningAgent, clientId: string, agree: boolean) => {
      const before = feedbackOnServer(t, clientId)?.labels.review.labelled ?? 0;
      const beforeAuto = feedbackOnServer(t, clientId)?.labels.auto.labelled ?? 0;
      agent.flushWindow(); // a fresh window, begun after the stage
      for (let i = 0; i < 20; i++) {
        const r = await fetch(`${agent.url}/v1/infer?outputs=false`, {
          method: 'POST',
          headers: { 'content-type': 'image/png' },
          body: images[i % images.length]!,
        });
        const answer = (await r.json()) as Answer;
        const label = agree ? answer.top.label : answer.top.label === '0' ? '180' : '0';
        const sent = await fetch(`${agent.url}/v1/feedback`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ predictionId: answer.predictionId, label }),
        });
        expect(sent.status).toBe(200);
      }
      agent.flushWindow();
      await until(
        () => {
          const f = feedbackOnServer(t, clientId);
          return f && f.labels.review.labelled + f.labels.auto.labelled >= before + beforeAuto + 20;
        },
        20_000,
        `${clientId} labels stored`,
      );
    };

    await new Promise((r) => setTimeout(r, 600));
    await labelWindow(member, 'ladder-a', true);
    await labelWindow(control, 'ladder-b', true);
    await new Promise((r) => setTimeout(r, 1_100)); // the stage's 1 s
    const up = await tick();
    expect(up.stageIndex, JSON.stringify(up.evaluation)).toBe(1);
    expect(up.stage?.automation).toMatchObject({ level: 'partial' });
    const advanced = up.audit.find((a) => a.event === 'advanced')!;
    expect(advanced.gates.find((g) => g.gate === 'ladder.stepUpAgreement')?.status).toBe('pass');
    await until(() => member.engine.automation?.level === 'partial', 20_000, 'member at partial');

    // The candidate now answers clearly worse than the control, in the same stage: one rung down, no rollback.
    await new Promise((r) => setTimeout(r, 600));
    await labelWindow(member, 'ladder-a', false);
    await labelWindow(control, 'ladder-b', true);
    const down = await tick();
    expect(
      down.audit.map((a) => a.event),
      JSON.stringify(down.evaluation),
    ).toContain('stepped_down');
    expect(down.status).toBe('running');
    expect(down.stage).toMatchObject({ automation: { level: 'assist' }, stepsDown: 1 });
    const stepped = down.audit.find((a) => a.event === 'stepped_down')!;
    expect(stepped.gates.find((g) => g.gate === 'quality.accuracyDrop')?.status).toBe('breach');
    await until(() => member.engine.automation?.level === 'assist', 20_000, 'member back at assist');
    expect(member.engine.automation).toEqual({ level: 'assist' });
  });
});
