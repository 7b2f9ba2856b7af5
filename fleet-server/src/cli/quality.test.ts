import { countLabel, countRoute, emptyFeedback, type ProfileSpec } from '@edgefleet/shared';
import type { VersionQuality } from '@edgefleet/shared/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postDeviceReports, windowReport } from '../monitoring/test-reports';
import { registerClsVersions } from '../rollouts/test-support';
import { enrollTestDevice } from '../testing/enroll';
import { clsBaseline, startTestServer, type TestServer } from '../testing/harness';
import { BIN_TEST_TIMEOUT_MS, cliHome, runInProcess } from './test-support';

// `edgefleet quality` (the real bin) against a real server with labels the test sent.

let t: TestServer;
const home = cliHome();
let env: Record<string, string>;
const spec = clsBaseline().spec as ProfileSpec;

beforeAll(async () => {
  // The bin reads the real clock (--since), so the server's clock is real too.
  t = await startTestServer({ alertTickMs: 0 });
  t.clock.nowMs = Date.now();
  env = { EDGEFLEET_URL: t.url, EDGEFLEET_ADMIN_TOKEN: t.adminToken };
  await registerClsVersions(t, ['1.0.0']);
  // Line 1: 9 of 10 labels right; line 2: 6 of 10.
  for (const [device, line, right] of [
    ['cq-1', '1', 9],
    ['cq-2', '2', 6],
  ] as const) {
    const token = await enrollTestDevice(t, device, { line });
    const f = emptyFeedback(['0', '180']);
    for (let i = 0; i < 10; i++) {
      countRoute(f, 'review', 0.85);
      countLabel(f, { trueIndex: i < right ? 0 : 1, predictedIndex: 0, route: 'review', confidence: 0.85 });
    }
    const { report } = windowReport(spec, device, 1, Date.now() - 30 * 60_000, { inferences: 10 });
    await postDeviceReports(t, token, [{ ...report, feedback: f }]);
  }
});
afterAll(async () => {
  await t.dispose();
  home.dispose();
});

describe('edgefleet quality', { timeout: BIN_TEST_TIMEOUT_MS }, () => {
  it('prints accuracy with its interval, the estimate beside it, and a row per line slice', async () => {
    const run = await home.run(['quality', '--model', 'cls@1.0.0', '--since', '2h', '--by', 'line'], { env });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/accuracy\s+75\.0% \[\d+\.\d%, \d+\.\d%\] \(15\/20\)/);
    expect(run.stdout).toMatch(/estimated\s+85\.0% .*label-free \(mean confidence of 20\)/);
    expect(run.stdout).toContain('assumes labelFree: the model is calibrated');
    expect(run.stdout).toMatch(/line=1\s+1\s+10\s+90\.0% \(9\/10\)/);
    expect(run.stdout).toMatch(/line=2\s+1\s+10\s+60\.0% \(6\/10\)/);

    const json = await home.json<VersionQuality>(['quality', '--model', 'cls@1.0.0', '--by', 'line'], env);
    expect(json.accuracy).toMatchObject({ successes: 15, trials: 20 });
    expect(json.slices).toHaveLength(2);
  });

  it('refuses bad flags before any request, and maps server refusals to exit codes', async () => {
    const usage = async (args: string[], message: RegExp) => {
      const run = await runInProcess(['quality', ...args], env);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
    };
    await usage([], /--model: expected NAME@VERSION/);
    await usage(['--model', 'cls'], /expected NAME@VERSION/);
    await usage(['--model', 'cls@1.0.0', '--since', 'soon'], /--since/);
    await usage(['--model', 'cls@1.0.0', '--by', 'a b'], /--by: expected a label key/);
    await usage(['--model', 'cls@1.0.0', '--buckets', '0'], /--buckets/);
    await usage(['--model', 'cls@1.0.0', '--buckets', '500'], /--buckets: expected at most 200/);
    const missing = await runInProcess(['quality', '--model', 'cls@9.9.9'], env);
    expect(missing.code).toBe(4);
  });
});
