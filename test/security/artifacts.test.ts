// Issue 18 items 5 and 8 (422 messages): a device token reads only what its desired state names; a broken
// model upload says what is wrong without the server's file paths.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrollTestDevice } from '../../fleet-server/src/testing/enroll';
import { startTestServer, type TestServer } from '../../fleet-server/src/testing/harness';
import { makeClsGolden, textLineImage, writeTar } from '../../fleet-server/src/testing/reference';
import { publishDesired, registerCls, upload } from '../agent/fleet';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.dispose());

describe('artifact access of a device', () => {
  it('downloads the versions its desired state names, never other artifacts or a reference set', async () => {
    const assigned = await registerCls(t, '1.0.0');
    const golden = await upload(t, Buffer.from(JSON.stringify(await makeClsGolden(3))), 'golden');
    const tar = writeTar([{ path: 'a.png', bytes: await textLineImage(1) }]);
    const reference = await t.call('/api/v1/artifacts?kind=reference', {
      method: 'POST',
      body: new Blob([new Uint8Array(tar)]),
    });
    expect(reference.status).toBe(201);
    const referenceSha = (await reference.json()).sha256;
    const token = await enrollTestDevice(t, 'station-1');
    const get = (sha256: string) =>
      fetch(`${t.url}/api/v1/artifacts/${sha256}`, {
        headers: { authorization: `Bearer ${token}`, range: 'bytes=0-15' },
      }).then((r) => r.status);
    expect(await get(assigned.manifest.sha256)).toBe(403); // nothing assigned yet
    await publishDesired(t, 'station-1', { active: assigned });
    expect(await get(assigned.manifest.sha256)).toBe(206);
    expect(await get(golden.sha256)).toBe(403);
    expect(await get(referenceSha)).toBe(403);
    expect(await get('0'.repeat(64))).toBe(403); // no hint whether an unassigned digest exists
    expect((await t.call(`/api/v1/artifacts/${referenceSha}`)).status).toBe(200); // the admin reads everything
  });
});

describe('422 messages', () => {
  it('name no server path when onnxruntime refuses a model', async () => {
    // A valid protobuf header that onnxruntime still cannot load: upload checks it and refuses.
    const res = await t.call('/api/v1/artifacts?kind=model', {
      method: 'POST',
      body: new Blob([
        new Uint8Array([0x08, 0x07, 0x12, 0x04, 0x74, 0x65, 0x73, 0x74, 0x3a, 0x02, 0x0a, 0x00]),
      ]),
    });
    const body = await res.json();
    expect([400, 422]).toContain(res.status);
    expect(body.message).not.toContain(t.dataDir);
    expect(body.message).not.toMatch(/\/tmp\/|\/artifacts\/|upload-/);
  });
});
