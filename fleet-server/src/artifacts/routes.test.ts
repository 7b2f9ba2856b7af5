import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLS_MODEL_PATH, filesUnder, startTestServer, type TestServer } from '../testing/harness';

const model = readFileSync(CLS_MODEL_PATH);
const modelSha = createHash('sha256').update(model).digest('hex');

let t: TestServer;
const artifactsDir = () => join(t.dataDir, 'artifacts');
const tmpDir = () => join(t.dataDir, 'tmp');
const upload = (body: BodyInit, query = '', headers: Record<string, string> = {}) =>
  t.call(`/api/v1/artifacts${query}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/octet-stream', ...headers },
  });

/** Polls until `check` holds (the server cleans up asynchronously after a dropped connection). */
async function eventually(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeAll(async () => {
  t = await startTestServer({ maxModelBytes: 1_000_000 });
});
afterAll(() => t.dispose());

describe('artifact upload', () => {
  it('stores the real cls model content-addressed and reads its IO signature', async () => {
    const res = await upload(model);
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body).toMatchObject({ sha256: modelSha, sizeBytes: model.length, kind: 'model' });
    expect(body.signature.inputs).toEqual([
      { name: 'x', type: 'float32', shape: [expect.anything(), 3, expect.anything(), expect.anything()] },
    ]);
    expect(body.signature.outputs[0]).toMatchObject({ type: 'float32' });
    expect(body.signature.outputs[0].shape[1]).toBe(2);
    const stored = join(artifactsDir(), 'sha256', modelSha.slice(0, 2), modelSha);
    expect(readFileSync(stored).equals(model)).toBe(true);
    expect(filesUnder(tmpDir())).toEqual([]);
  });

  it('stores identical bytes once', async () => {
    const res = await upload(model);
    expect(res.status).toBe(200);
    expect((await res.json()).sha256).toBe(modelSha);
    expect(filesUnder(artifactsDir())).toHaveLength(1);
    expect(filesUnder(tmpDir())).toEqual([]);
  });

  it('refuses bytes that are not ONNX with 422 and keeps nothing', async () => {
    const res = await upload(Buffer.from('definitely not a protobuf model'.repeat(100)));
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ error: 'unprocessable_content' });
    expect(filesUnder(artifactsDir())).toHaveLength(1);
    expect(filesUnder(tmpDir())).toEqual([]);
  });

  it('refuses an empty body and an unknown kind with 400', async () => {
    expect((await upload(new Uint8Array(0))).status).toBe(400);
    const res = await upload(model, '?kind=../../etc');
    expect(res.status).toBe(400);
    expect((await res.json()).details[0]).toMatchObject({ location: 'query', field: 'kind' });
  });

  it('answers 413 for a declared oversized body and for a streamed one, keeping nothing', async () => {
    const big = randomBytes(1_200_000);
    expect((await upload(big)).status).toBe(413);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 12; i++) controller.enqueue(big.subarray(i * 100_000, (i + 1) * 100_000));
        controller.close();
      },
    });
    const res = await t
      .call('/api/v1/artifacts', {
        method: 'POST',
        body: stream,
        headers: { 'content-type': 'application/octet-stream' },
        duplex: 'half',
      } as RequestInit)
      .catch((error: unknown) => error);
    // The server may answer 413 before the client finished sending, or reset the connection.
    if (res instanceof Response) expect(res.status).toBe(413);
    await eventually(() => filesUnder(tmpDir()).length === 0);
    expect(filesUnder(artifactsDir())).toHaveLength(1);
  });

  it('cleans up a truncated upload (client drops mid-body)', async () => {
    const socket = connect(Number(new URL(t.url).port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      `POST /api/v1/artifacts HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${t.adminToken}\r\n` +
        'content-type: application/octet-stream\r\ncontent-length: 500000\r\n\r\n',
    );
    socket.write(model.subarray(0, 100_000));
    await eventually(() => filesUnder(tmpDir()).length === 1);
    socket.destroy();
    await eventually(() => filesUnder(tmpDir()).length === 0);
    expect(filesUnder(artifactsDir())).toHaveLength(1);
    expect((await t.call('/healthz')).status).toBe(200);
  });

  it('requires an admin token to upload', async () => {
    const res = await upload(model, '', { authorization: 'Bearer efa_wrong' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/Bearer/);
    expect(
      (await t.call('/api/v1/artifacts', { method: 'POST', body: model, headers: { authorization: '' } }))
        .status,
    ).toBe(401);
  });
});

describe('artifact download', () => {
  const path = () => `/api/v1/artifacts/${modelSha}`;

  it('serves the whole artifact with ETag and immutable caching', async () => {
    const res = await t.call(path());
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe(`"${modelSha}"`);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await res.arrayBuffer()).equals(model)).toBe(true);
    const head = await t.call(path(), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(model.length));
    expect((await head.arrayBuffer()).byteLength).toBe(0);
    const cached = await t.call(path(), { headers: { 'if-none-match': `"${modelSha}"` } });
    expect(cached.status).toBe(304);
  });

  it('resumes with Range (206) and answers 416 past the end', async () => {
    const first = await t.call(path(), { headers: { range: 'bytes=0-99999' } });
    expect(first.status).toBe(206);
    expect(first.headers.get('content-range')).toBe(`bytes 0-99999/${model.length}`);
    const head = Buffer.from(await first.arrayBuffer());
    const rest = await t.call(path(), {
      headers: { range: `bytes=${head.length}-`, 'if-range': `"${modelSha}"` },
    });
    expect(rest.status).toBe(206);
    const resumed = Buffer.concat([head, Buffer.from(await rest.arrayBuffer())]);
    expect(createHash('sha256').update(resumed).digest('hex')).toBe(modelSha);

    const stale = await t.call(path(), { headers: { range: 'bytes=10-', 'if-range': '"other"' } });
    expect(stale.status).toBe(200);
    await stale.arrayBuffer();

    const beyond = await t.call(path(), { headers: { range: `bytes=${model.length}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${model.length}`);
  });

  it('refuses malformed digests and path traversal, and 404s unknown ones', async () => {
    for (const bad of ['..%2F..%2Ffleet.db', modelSha.toUpperCase(), `${modelSha}0`, 'abc']) {
      const res = await t.call(`/api/v1/artifacts/${bad}`);
      expect(res.status, bad).toBe(400);
      expect((await res.json()).details[0]).toMatchObject({ location: 'param', field: 'sha256' });
    }
    expect((await t.call(`/api/v1/artifacts/${'0'.repeat(64)}`)).status).toBe(404);
    expect((await t.call(`/api/v1/artifacts/${modelSha}`, { headers: { authorization: '' } })).status).toBe(
      401,
    );
  });
});
