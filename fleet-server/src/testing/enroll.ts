import type { TestServer } from './harness';

/** Enrolls `deviceId` through the real API (enrollment token, then `/enroll`); returns its device token. */
export async function enrollTestDevice(
  t: TestServer,
  deviceId: string,
  labels: Record<string, string> = {},
): Promise<string> {
  const enrollment = await (
    await t.call('/api/v1/enrollment-tokens', { method: 'POST', json: { labels } })
  ).json();
  const res = await fetch(`${t.url}/api/v1/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      enrollmentToken: enrollment.token,
      deviceId,
      labels: {},
      capabilities: { platform: 'node', backends: ['cpu'] },
      agentVersion: '0.1.0',
    }),
  });
  if (res.status !== 201 && res.status !== 200) throw new Error(`enroll ${deviceId}: ${res.status}`);
  return ((await res.json()) as { deviceToken: string }).deviceToken;
}
