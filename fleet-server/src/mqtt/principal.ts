/** Who is on the other end of an MQTT connection, as decided by {@link BrokerAuth}. */
export type Principal =
  | { kind: 'device'; deviceId: string }
  | { kind: 'app'; appId: string }
  | { kind: 'server' };

/**
 * Checks MQTT credentials. Injected into the embedded broker and the HTTP auth endpoints so that
 * the broker never touches the database itself.
 *
 * Conventions: a device connects with clientId = username = its device id and its device token as
 * password; a browser connects with username `app:{appId}`, the app's publishable key as password and a client id
 * in its app's namespace `app:{appId}:…`.
 */
export interface BrokerAuth {
  /** Resolves the principal for a CONNECT, or null when the credentials are wrong. */
  authenticate(
    clientId: string,
    username: string | undefined,
    password: string | undefined,
    /** The `Origin` of a WebSocket connection (browsers send it); absent over TCP. */
    origin?: string,
  ): Promise<Principal | null>;
}

/** A BrokerAuth backed by a fixed table; for tests, benches and the in-process server principal. */
export function staticBrokerAuth(entries: {
  devices?: Record<string, string>;
  apps?: Record<string, string>;
  server?: { username: string; password: string };
}): BrokerAuth {
  return {
    async authenticate(clientId, username, password) {
      if (username === undefined || password === undefined) return null;
      const server = entries.server;
      if (server && username === server.username && password === server.password) return { kind: 'server' };
      if (username.startsWith('app:')) {
        const appId = username.slice(4);
        return entries.apps?.[appId] === password && clientId.startsWith(`app:${appId}:`)
          ? { kind: 'app', appId }
          : null;
      }
      const token = entries.devices?.[username];
      return token !== undefined && token === password && clientId === username
        ? { kind: 'device', deviceId: username }
        : null;
    },
  };
}
