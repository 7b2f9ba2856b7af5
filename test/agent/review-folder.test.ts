import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type RunningAgent, resolveAgentConfig, startAgent } from '@edgefleet/agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../fleet-server/src/testing/harness';
import {
  type ClassifierAnswer,
  deployWithAutomation,
  feedbackOnServer,
  registerCls,
  startEnrolledAgent,
  startServerWithBroker,
  stripesPng,
  until,
} from './fleet';

const DEVICE = 'station-w';

interface ReviewList {
  pending: { predictionId: string; image: string | null }[];
}

describe('review images and sidecar labels in the watched folder (real agent, broker, server and cls model)', () => {
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

  it('keeps review images within the byte budget (oldest evicted, over a restart), reads .label files as feedback and writes each outcome back', async () => {
    const png = await stripesPng();
    const watch = join(t.dataDir, 'camera');
    const out = join(t.dataDir, 'results');
    mkdirSync(watch);
    const config = {
      watch,
      out,
      reviewImageBytes: Math.floor(2.5 * png.byteLength), // room for two images
    };
    const ref = await registerCls(t, '1.0.0');
    ({ agent, dataDir } = await startEnrolledAgent(t, DEVICE, config));
    await until(() => agent.link?.connected, 10_000, 'connect');
    await deployWithAutomation(t, agent, DEVICE, ref, { level: 'assist' });

    const names = ['a.png', 'b.png', 'c.png', 'd.png'];
    for (const name of names) writeFileSync(join(watch, name), png);
    const results = new Map<string, ClassifierAnswer>();
    await until(() => names.every((n) => existsSync(join(out, `${n}.json`))), 20_000, 'results');
    for (const n of names) results.set(n, JSON.parse(readFileSync(join(out, `${n}.json`), 'utf8')));

    // Four review images of equal size, room for two: the two newest stay, byte for byte, typed from the bytes.
    const list = (await (await fetch(`${agent.url}/v1/review`)).json()) as ReviewList;
    expect(list.pending).toHaveLength(4);
    const kept = list.pending.slice(0, 2).map((p) => p.predictionId);
    for (const p of list.pending) {
      const res = await fetch(`${agent.url}/v1/review/${p.predictionId}/image`);
      if (kept.includes(p.predictionId)) {
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('image/png');
        expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(png))).toBe(true);
        expect(p.image).toBe(`/v1/review/${p.predictionId}/image`);
      } else {
        expect(res.status).toBe(404);
        expect(p.image).toBeNull();
      }
    }
    expect(agent.feedback.counters.reviewImages).toMatchObject({ kept: 4, evicted: 2 });
    expect(agent.feedback.counters.reviewImages.sizeBytes).toBeLessThanOrEqual(config.reviewImageBytes);

    // Sidecar labels: a class name, JSON, an unknown class, a duplicate, an oversized file, a label without an
    // image, a symlink, and garbage.
    const a = results.get('a.png')!;
    const b = results.get('b.png')!;
    const other = (label: string) => (label === '0' ? '180' : '0');
    writeFileSync(join(out, 'a.png.label'), `${other(a.top.label)}\n`);
    writeFileSync(join(out, 'b.png.label'), JSON.stringify({ label: b.top.label }));
    writeFileSync(join(out, 'c.png.label'), 'sideways');
    writeFileSync(join(out, 'd.png.label'), 'x'.repeat(64 * 1024));
    writeFileSync(join(out, 'ghost.png.label'), '0');
    symlinkSync('/etc/passwd', join(out, 'passwd.png.label'));
    writeFileSync(join(out, 'junk.png.label'), Buffer.from([0xff, 0xfe, 0x00, 0x01]));
    await until(() => existsSync(join(out, 'a.png.label.done')), 20_000, 'a labelled');
    await until(() => existsSync(join(out, 'b.png.label.done')), 20_000, 'b labelled');
    const errorOf = async (name: string) => {
      const path = join(out, `${name}.label.error.json`);
      await until(
        () => existsSync(path) && existsSync(join(out, `${name}.label.failed`)),
        20_000,
        `${name} refused`,
      );
      return JSON.parse(readFileSync(path, 'utf8')) as { file: string; error: string; message: string };
    };
    expect(await errorOf('c.png')).toMatchObject({
      error: 'invalid_label',
      message: /expected a label among/,
    });
    expect(await errorOf('d.png')).toMatchObject({ error: 'too_large', message: /at most 1024 bytes/ });
    expect(await errorOf('ghost.png')).toMatchObject({ error: 'unknown_prediction' });
    expect(await errorOf('passwd.png')).toMatchObject({ error: 'invalid_input', message: /regular file/ });
    expect(await errorOf('junk.png')).toMatchObject({ error: 'invalid_input', message: /UTF-8/ });
    writeFileSync(join(out, 'a.png.label'), a.top.label);
    expect(await errorOf('a.png')).toMatchObject({ error: 'duplicate_label' });
    expect(agent.watcher?.labels?.counters).toMatchObject({
      counted: 2,
      refused: {
        invalid_label: 1,
        too_large: 1,
        unknown_prediction: 1,
        invalid_input: 2,
        duplicate_label: 1,
      },
    });
    // The watcher goes on after all of it.
    writeFileSync(join(watch, 'e.png'), png);
    await until(() => existsSync(join(out, 'e.png.json')), 20_000, 'e inferred');

    // What reached the server: exactly the two labels taken.
    agent.flushWindow();
    await until(() => agent.outbox.stats().pending === 0, 20_000, 'outbox drained');
    const expected = [
      [0, 0],
      [0, 0],
    ];
    for (const [answer, label] of [
      [a, other(a.top.label)],
      [b, b.top.label],
    ] as const) {
      expected[Number(label === '180')]![Number(answer.top.label === '180')]!++;
    }
    expect(feedbackOnServer(t, DEVICE)?.counts).toEqual(expected);

    // Over a restart the kept images are still there (minus what labels and the budget took).
    await agent.close();
    agent = await startAgent(
      resolveAgentConfig({ dataDir, httpPort: 0, threads: 1, logLevel: 'silent', ...config }),
      { reconnect: { baseMs: 50, maxMs: 500 } },
    );
    const served = await Promise.all(
      [
        ...results.values(),
        JSON.parse(readFileSync(join(out, 'e.png.json'), 'utf8')) as ClassifierAnswer,
      ].map(async (r) => (await fetch(`${agent.url}/v1/review/${r.predictionId}/image`)).status === 200),
    );
    expect(served.filter(Boolean)).toHaveLength(2);
  }, 120_000);
});
