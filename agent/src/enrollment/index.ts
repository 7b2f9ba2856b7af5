import { readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { arch, cpus, hostname, platform, totalmem } from 'node:os';
import { join } from 'node:path';
import {
  type Capabilities,
  type EnrollResponse,
  enrollResponseSchema,
  jwkThumbprint,
} from '@edgefleet/shared';
import { readEpochFile, writeEpochFile } from '../outbox/epoch';

export const AGENT_VERSION = '0.1.0';

/** What this device can run, as sent at enrollment and in every hello. */
export function capabilities(): Capabilities {
  return {
    platform: 'node',
    os: platform(),
    arch: arch(),
    backends: ['cpu'],
    cpuCount: cpus().length,
    memoryBytes: totalmem(),
  };
}

const fileOf = (dataDir: string): string => join(dataDir, 'enrollment.json');

/** The stored enrollment, or undefined when the device was never enrolled. */
export function readEnrollment(dataDir: string): EnrollResponse | undefined {
  let text: string;
  try {
    text = readFileSync(fileOf(dataDir), 'utf8');
  } catch {
    return undefined;
  }
  const parsed = enrollResponseSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${fileOf(dataDir)} is not a valid enrollment; enroll again`);
  return parsed.data;
}

/** Trades an enrollment token for device credentials and stores them (file 0600 in a 0700 dir). */
export async function enroll(opts: {
  server: string;
  token: string;
  dataDir: string;
  deviceId?: string;
  labels: Record<string, string>;
  /** Pinned fleet signing key thumbprint (`edgefleet serve` prints it): required for http:// off this host. */
  fleetKeySha256?: string;
  fetchImpl?: typeof fetch;
}): Promise<EnrollResponse> {
  checkEnrollmentTransport(opts.server, opts.fleetKeySha256);
  const res = await (opts.fetchImpl ?? fetch)(new URL('/api/v1/enroll', opts.server), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      enrollmentToken: opts.token,
      deviceId: opts.deviceId ?? hostname(),
      labels: opts.labels,
      capabilities: capabilities(),
      agentVersion: AGENT_VERSION,
    }),
  });
  const body = await res.text();
  if (res.status !== 200 && res.status !== 201)
    throw new Error(`enrollment failed (${res.status}): ${body.slice(0, 500)}`);
  const parsed = enrollResponseSchema.safeParse(JSON.parse(body));
  if (!parsed.success) throw new Error(`enrollment answer is malformed: ${parsed.error.issues[0]?.message}`);
  if (opts.fleetKeySha256 !== undefined) await checkPinnedKey(parsed.data, opts.fleetKeySha256);
  await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
  const tmp = `${fileOf(opts.dataDir)}.tmp`;
  await writeFile(tmp, JSON.stringify(parsed.data, null, 2), { mode: 0o600 });
  await rename(tmp, fileOf(opts.dataDir));
  // From now on a missing epoch record means it was lost (see nextEpoch), not that none was ever used.
  if (readEpochFile(opts.dataDir) === undefined) writeEpochFile(opts.dataDir, 0);
  return parsed.data;
}

const isLoopbackHost = (host: string): boolean => {
  const name = host.replace(/^\[|\]$/g, '').toLowerCase();
  return name === 'localhost' || name === '::1' || (isIP(name) === 4 && name.startsWith('127.'));
};

/**
 * The signing keys that come back from enrollment decide which models this device will ever run. Over plain
 * http from another host anyone on the path could hand it their own, so that needs https or a pinned key.
 */
export function checkEnrollmentTransport(server: string, fleetKeySha256: string | undefined): void {
  const url = new URL(server);
  if (url.protocol === 'https:' || fleetKeySha256 !== undefined || isLoopbackHost(url.hostname)) return;
  throw new Error(
    `refusing to enroll over plain ${url.protocol}// with ${url.host}: the fleet signing keys could be swapped ` +
      'on the way. Use https://, or pin the key with --fleet-key-sha256=<thumbprint> (edgefleet serve prints it).',
  );
}

async function checkPinnedKey(enrollment: EnrollResponse, pinned: string): Promise<void> {
  const thumbprints = await Promise.all(enrollment.signingKeys.map((key) => jwkThumbprint(key)));
  if (!thumbprints.includes(pinned)) {
    throw new Error(
      `the server's signing key (${thumbprints.join(', ') || 'none'}) is not the pinned ${pinned}; not enrolled`,
    );
  }
  // Only the pinned key is kept: a second key in the answer must not sign models for this device.
  enrollment.signingKeys = enrollment.signingKeys.filter((_, i) => thumbprints[i] === pinned);
}
