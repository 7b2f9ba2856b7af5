import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Serves fixed in-memory files on 127.0.0.1 (a secure context for WebCrypto) at a free port. */
export async function serveFiles(
  files: Record<string, { body: string | Uint8Array; type: string }>,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const file = files[path];
    if (!file) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': file.type }).end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
