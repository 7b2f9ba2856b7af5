import { PROTOCOL_VERSION, type ProfileSpec, specHash } from '@edgefleet/shared';
import { type SimWindow, syntheticProfile } from '../rollouts/sim-fleet';
import type { TestServer } from '../testing/harness';

// Window reports of the small cls test spec, sent over the real HTTP ingestion path (tests only).

/** A report of `deviceId` for `cls@version` over `[startMs, startMs + 60 s)`. */
export function windowReport(
  spec: ProfileSpec,
  deviceId: string,
  seq: number,
  startMs: number,
  window: SimWindow,
  options: { version?: string; role?: 'active' | 'shadow' } = {},
) {
  const profile = syntheticProfile(spec, window, seq);
  return {
    report: {
      v: PROTOCOL_VERSION,
      clientId: deviceId,
      epoch: 1,
      seq,
      window: { startMs, endMs: startMs + 60_000 },
      model: { name: 'cls', version: options.version ?? '1.0.0' },
      role: options.role ?? 'active',
      specHash: specHash(spec),
      profile: profile.toJSON(),
      runtime: { backend: 'cpu', threads: 1 },
      overflow: { mergedWindows: 0, droppedReports: 0, droppedInferences: 0 },
      software: {
        rssBytes: 50_000_000,
        heapUsedBytes: 20_000_000,
        cpuUserMs: 100,
        cpuSystemMs: 10,
        eventLoopDelayP50Ms: 1,
        eventLoopDelayP99Ms: 5,
        eventLoopDelayMaxMs: 9,
      },
    },
    profile,
  };
}

/** POSTs reports as the device (its token) and fails unless every one was stored. */
export async function postDeviceReports(
  t: TestServer,
  deviceToken: string,
  reports: unknown[],
): Promise<void> {
  for (let i = 0; i < reports.length; i += 64) {
    const res = await fetch(`${t.url}/api/v1/telemetry`, {
      method: 'POST',
      headers: { authorization: `Bearer ${deviceToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reports: reports.slice(i, i + 64) }),
    });
    const body = (await res.json()) as { results?: { status: string; reason?: string }[] };
    const bad = body.results?.filter((r) => r.status !== 'stored') ?? [];
    if (res.status !== 200 || bad.length > 0) {
      throw new Error(`telemetry: ${res.status} ${JSON.stringify(bad.length > 0 ? bad : body)}`);
    }
  }
}
