// A TCP proxy whose link can be cut and restored: a device "loses its network" without being stopped.
import { connect, createServer, type Server, type Socket } from 'node:net';

/** A proxy on 127.0.0.1 forwarding to `target`; `cut()` drops every connection and refuses new ones. */
export interface CuttableProxy {
  port: number;
  /** Connections accepted while open. */
  readonly connections: number;
  isOpen(): boolean;
  /** Destroys every live connection; new ones are closed at once until `restore()`. */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

/** Starts a proxy on a free port. */
export async function startProxy(target: { host: string; port: number }): Promise<CuttableProxy> {
  const live = new Set<Socket>();
  let open = true;
  let connections = 0;
  const server: Server = createServer((client) => {
    if (!open) {
      client.destroy();
      return;
    }
    connections++;
    const upstream = connect(target.port, target.host);
    live.add(client);
    live.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      live.delete(client);
      live.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  const cutAll = () => {
    for (const socket of live) socket.destroy();
    live.clear();
  };
  return {
    port: address.port,
    get connections() {
      return connections;
    },
    isOpen: () => open,
    cut() {
      open = false;
      cutAll();
    },
    restore() {
      open = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        open = false;
        cutAll();
        server.close(() => resolve());
      }),
  };
}
