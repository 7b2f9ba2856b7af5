import type { DesiredState } from '@edgefleet/shared';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../db';
import { insertSimDevices } from '../rollouts/sim-fleet';
import { registerClsVersions } from '../rollouts/test-support';
import { startTestServer, type TestServer } from '../testing/harness';
import { BIN_TEST_TIMEOUT_MS, cliHome, runInProcess } from './test-support';

// `edgefleet automation set / list` (the real bin) against a real server.

let t: TestServer;
const home = cliHome();
let env: Record<string, string>;

const automationOf = (id: string) =>
  (
    t.server.context.db
      .select({ desired: schema.devices.desiredState })
      .from(schema.devices)
      .where(eq(schema.devices.id, id))
      .get()?.desired as DesiredState | null
  )?.automation;

beforeAll(async () => {
  t = await startTestServer({ rolloutTickMs: 3_600_000 });
  env = { EDGEFLEET_URL: t.url, EDGEFLEET_ADMIN_TOKEN: t.adminToken };
  await registerClsVersions(t, ['1.0.0']);
  insertSimDevices(t.server.context.db, 'line', 2, { line: '3' }, t.clock.nowMs);
  const v = await (await t.call('/api/v1/models/cls/versions/1.0.0')).json();
  for (const id of ['line-00000', 'line-00001']) {
    await t.server.parts.deviceState.sessions.publishDesired(id, {
      models: {
        active: {
          manifest: v.manifest,
          signature: v.signature,
          artifactUrl: v.artifactUrl,
          profileSpecUrl: v.profileSpecUrl,
        },
        shadow: null,
        standby: null,
      },
      telemetry: { windowMs: 60_000, maxInFlight: 4, outboxMaxReports: 1000 },
      policies: { golden: 'if_present', shadowSampleRate: 1 },
    });
  }
});
afterAll(async () => {
  await t.dispose();
  home.dispose();
});

describe('edgefleet automation', { timeout: BIN_TEST_TIMEOUT_MS }, () => {
  it('sets partial on a selector and assist on one device, and lists who set what', async () => {
    const set = await home.run(
      [
        'automation',
        'set',
        '--model',
        'cls',
        '--selector',
        'line=3',
        '--level',
        'partial',
        '--min-confidence',
        '0.9',
        '--min-margin',
        '0.2',
      ],
      { env },
    );
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('Set cls to partial τ=0.9 μ=0.2 on selector line=3');
    expect(set.stdout).toContain('2 desired states republished, 0 devices skipped');
    expect(automationOf('line-00001')).toEqual({ level: 'partial', minConfidence: 0.9, minMargin: 0.2 });

    const one = await home.json<{ applied: { devices: number } }>(
      ['automation', 'set', '--model', 'cls', '--devices', 'line-00000', '--level', 'assist'],
      env,
    );
    expect(one.applied.devices).toBe(1);
    expect(automationOf('line-00000')).toEqual({ level: 'assist' });
    expect(automationOf('line-00001')).toEqual({ level: 'partial', minConfidence: 0.9, minMargin: 0.2 });

    const list = await home.run(['automation', 'list', '--model', 'cls'], { env });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/devices line-00000\s+assist\s+admin:/);
    expect(list.stdout).toMatch(/selector line=3\s+partial τ=0\.9 μ=0\.2\s+admin:/);
  });

  it('refuses bad flags before any request, and maps server refusals to exit codes', async () => {
    const usage = async (args: string[], message: RegExp) => {
      const run = await runInProcess(['automation', ...args], env);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
    };
    await usage(['set', '--model', 'cls', '--selector', 'line=3', '--level', 'auto'], /--level: expected/);
    await usage(
      ['set', '--model', 'cls', '--selector', 'line=3', '--level', 'partial', '--min-confidence', '0.9'],
      /--min-margin/,
    );
    await usage(
      [
        'set',
        '--model',
        'cls',
        '--selector',
        'line=3',
        '--level',
        'partial',
        '--min-confidence',
        '2',
        '--min-margin',
        '0',
      ],
      /--min-confidence: expected a number in \[0, 1\]/,
    );
    await usage(['set', '--model', 'cls', '--level', 'full'], /exactly one of --selector, --devices, --app/);
    await usage(['set', '--model', 'cls', '--app', 'a', '--devices', 'b', '--level', 'full'], /exactly one/);
    await usage(
      ['set', '--model', 'cls', '--app', 'a', '--level', 'full', '--min-margin', '0.1'],
      /partial only/,
    );
    await usage(['list'], /--model is required/);
    const missing = await home.run(['automation', 'list', '--model', 'nope'], { env });
    expect(missing.code).toBe(4);
    const badSelector = await home.run(
      ['automation', 'set', '--model', 'cls', '--selector', 'line in (3', '--level', 'full'],
      { env },
    );
    expect(badSelector.code).toBe(1);
    expect(badSelector.stderr).toContain('selector');
  });
});
