import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SESSION_OPTIONS, ModelSession } from '../../agent/src/runtime/model-session';
import { CLS_MODEL_PATH, loadCls, localModel } from '../../agent/src/testing/cls';
import { orientationAnswer } from '../../demo/src/answer';
import { inspectionSample } from '../../demo/src/images';
import { constantRawData, shiftConstant } from '../../demo/src/onnx-patch';
import { AgentUrl, Operator } from '../../demo/src/operator';

// The demo's stations print real text lines, so the orientation classifier has a true answer to be judged on.
describe('labelled inspection images', () => {
  it('the generated orientation is the real cls model answer, except on lines that read the same upside down', async () => {
    const session = await loadCls();
    const tally = { clear: { n: 0, correct: 0 }, ambiguous: { n: 0, correct: 0 } };
    const flipped = { n: 0 };
    for (let seed = 50_000; seed < 50_300; seed++) {
      const sample = await inspectionSample(seed);
      const { orientation: answer } = await orientationAnswer(session, sample.bytes);
      const t = sample.ambiguous ? tally.ambiguous : tally.clear;
      t.n++;
      if (answer === sample.orientation) t.correct++;
      if (sample.orientation === '180') flipped.n++;
    }
    await session.release();
    // A real classifier on real text: nearly always right where the text says which way is up …
    expect(tally.clear.correct / tally.clear.n).toBeGreaterThan(0.95);
    // … but not perfect, so accuracy has something to measure; and some lines are truly ambiguous.
    expect(tally.clear.correct + tally.ambiguous.correct).toBeLessThan(300);
    expect(tally.ambiguous.n).toBeGreaterThan(5);
    // Both orientations occur (30 % upside down by default).
    expect(flipped.n).toBeGreaterThan(60);
    expect(flipped.n).toBeLessThan(120);
  });

  it('is a pure function of the seed: the same text and orientation under any lighting', async () => {
    const a = await inspectionSample(77);
    const dark = await inspectionSample(77, { brightness: -70 });
    expect(dark).toMatchObject({ orientation: a.orientation, text: a.text, ambiguous: a.ambiguous });
    expect(Buffer.compare(a.bytes, (await inspectionSample(77)).bytes)).toBe(0);
  });
});

describe('a worse candidate made by patching the real model', () => {
  it('changes only the output bias: the same images, fewer answered upside down, lower accuracy', async () => {
    const base = readFileSync(CLS_MODEL_PATH);
    const worse = shiftConstant(base, 'fc_0.b_0', [6, -6]);
    expect(worse.length).toBe(base.length);
    const { start } = constantRawData(base, 'fc_0.b_0');
    // Every byte but the two bias floats is the same.
    let differing = 0;
    for (let i = 0; i < base.length; i++) if (base[i] !== worse[i]) differing++;
    expect(differing).toBeGreaterThan(0);
    for (let i = 0; i < base.length; i++) if (base[i] !== worse[i]) expect(i - start).toBeLessThan(8);
    expect(() => shiftConstant(base, 'fc_0.b_0', [1])).toThrow(/2 floats/);
    expect(() => constantRawData(base, 'no.such.tensor')).toThrow(/no Constant/);

    const path = join(mkdtempSync(join(tmpdir(), 'ef-worse-')), 'worse.onnx');
    writeFileSync(path, worse);
    const tally = async (session: ModelSession) => {
      const t = { correct: 0, upsideDown: 0 };
      for (let seed = 60_000; seed < 60_200; seed++) {
        const sample = await inspectionSample(seed);
        const { orientation: answer } = await orientationAnswer(session, sample.bytes);
        if (answer === sample.orientation) t.correct++;
        if (answer === '180') t.upsideDown++;
      }
      await session.release();
      return t;
    };
    const options = { ...DEFAULT_SESSION_OPTIONS, intraOpNumThreads: 1 };
    const published = await tally(await loadCls());
    const candidate = await tally(await ModelSession.load(localModel(path, '1.2.0'), options));
    expect(candidate.upsideDown).toBeLessThan(published.upsideDown);
    expect(published.correct - candidate.correct).toBeGreaterThanOrEqual(8); // ≥ 4 points of 200
  });
});

describe('the demo operator', () => {
  let server: Server;
  let url: string;
  const received: { predictionId: string; label: string }[] = [];
  let answer = 200;
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (req.url === '/v1/feedback' && req.method === 'POST') received.push(JSON.parse(body));
        res.writeHead(answer, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const agentAt = (u: string) =>
    Object.assign(new AgentUrl('/nonexistent'), { get: async () => u, forget() {} });

  it('labels every review and a share of the model’s own decisions, with the truth', async () => {
    received.length = 0;
    const operator = new Operator(agentAt(url), { spotCheckShare: 0.2, slipRate: 0, seed: 1 });
    for (let i = 0; i < 500; i++) {
      const route = i % 5 === 0 ? 'review' : 'auto';
      await operator.review({ predictionId: `p${i}`, decision: { route, reason: 'x' } }, i % 2 ? '180' : '0');
    }
    const reviews = received.filter((r) => Number(r.predictionId.slice(1)) % 5 === 0);
    expect(reviews).toHaveLength(100);
    // 400 auto decisions, 20 % checked: 80 ± 3 sd (≈ 8).
    expect(received.length - 100).toBeGreaterThan(56);
    expect(received.length - 100).toBeLessThan(104);
    for (const r of received) expect(r.label).toBe(Number(r.predictionId.slice(1)) % 2 ? '180' : '0');
    expect(operator.counts).toMatchObject({ labelled: received.length, reviewed: 100, refused: 0 });
  });

  it('after the fixture change labels a share of parts the other way (concept drift), only there', () => {
    const operator = new Operator(agentAt(url), { spotCheckShare: 1, slipRate: 0, seed: 2 });
    const turned = () =>
      Array.from({ length: 2000 }, () => operator.labelFor('0')).filter((l) => l === '180');
    expect(turned()).toHaveLength(0);
    operator.rule = { kind: 'part', turnedShare: 0.3 };
    // 600 ± 3 sd (≈ 61)
    expect(turned().length).toBeGreaterThan(539);
    expect(turned().length).toBeLessThan(661);
  });

  it('sends again what the agent could not count yet (429, agent down), and gives up on a refusal', async () => {
    received.length = 0;
    const operator = new Operator(agentAt(url), { spotCheckShare: 1, slipRate: 0, seed: 3 });
    answer = 429;
    await operator.review({ predictionId: 'late', decision: { route: 'review', reason: 'x' } }, '0');
    expect(operator.counts).toMatchObject({ labelled: 0, refused: 0 });
    answer = 200;
    await operator.sendRetries();
    expect(operator.counts).toMatchObject({ labelled: 1, retrying: 0 });
    const refusals: string[] = [];
    const strict = new Operator(agentAt(url), { spotCheckShare: 1, slipRate: 0, seed: 4 }, (m) =>
      refusals.push(m),
    );
    answer = 422;
    await strict.review({ predictionId: 'bad', decision: { route: 'auto', reason: 'x' } }, '0');
    answer = 200;
    await strict.sendRetries();
    expect(strict.counts).toMatchObject({ labelled: 0, refused: 1, retrying: 0 });
    expect(refusals).toEqual(['422 {}']);
  });
});
