import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/harness';

// Answers sent before the body was read to its end (401, an early or mid-stream 413) must not break the
// client's next request on the same keep-alive connection: they say `Connection: close`.

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ maxJsonBytes: 64 * 1024, maxModelBytes: 1024 * 1024 });
});
afterAll(() => t.dispose());

interface Answer {
  status: number;
  connection: string | undefined;
}

/** One request on `agent`; `chunked` streams the body without a Content-Length. */
function send(
  agent: Agent,
  path: string,
  init: { method?: string; bytes?: number; chunked?: boolean; headers?: Record<string, string> } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${t.url}${path}`,
      { method: init.method ?? 'GET', agent, headers: init.headers },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
      },
    );
    req.on('error', reject);
    const bytes = init.bytes ?? 0;
    if (bytes === 0) return void req.end();
    if (!init.chunked) return void req.end(Buffer.alloc(bytes, 0x41));
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    let sent = 0;
    const pump = () => {
      while (sent < bytes) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

const admin = () => ({ authorization: `Bearer ${t.adminToken}` });
const KiB = 1024;

describe('keep-alive after an answer that left the body unread', () => {
  const cases: [string, string, number, boolean, 'admin' | 'none', number][] = [
    ['401 before an upload is read', '/api/v1/artifacts', 300 * KiB, false, 'none', 401],
    ['413 on an upload declared too large', '/api/v1/artifacts', 2048 * KiB, false, 'admin', 413],
    ['413 part-way through a streamed upload', '/api/v1/artifacts', 3072 * KiB, true, 'admin', 413],
    ['413 part-way through a streamed JSON body', '/api/v1/apps', 300 * KiB, true, 'admin', 413],
    ['413 on a telemetry body over the limit', '/api/v1/telemetry', 3072 * KiB, false, 'none', 413],
  ];
  it.each(cases)(
    '%s: next requests on the agent succeed',
    async (_name, path, bytes, chunked, auth, status) => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const headers = { 'content-type': 'application/json', ...(auth === 'admin' ? admin() : {}) };
        const first = await send(agent, path, { method: 'POST', bytes, chunked, headers });
        expect(first).toEqual({ status, connection: 'close' });
        for (let i = 0; i < 3; i++) {
          expect(await send(agent, '/api/v1/models', { headers: admin() })).toEqual({
            status: 200,
            connection: 'keep-alive',
          });
        }
      } finally {
        agent.destroy();
      }
    },
  );

  it('keeps the connection after a request whose body was read, and with fetch too', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const bad = await send(agent, '/api/v1/apps', {
        method: 'POST',
        bytes: 10,
        headers: { 'content-type': 'application/json', ...admin() },
      });
      expect(bad).toEqual({ status: 400, connection: 'keep-alive' });
    } finally {
      agent.destroy();
    }
    const upload = await fetch(`${t.url}/api/v1/artifacts`, {
      method: 'POST',
      body: Buffer.alloc(2048 * KiB),
      headers: admin(),
    });
    expect(upload.status).toBe(413);
    await upload.text();
    expect((await t.call('/api/v1/models')).status).toBe(200);
  });
});
