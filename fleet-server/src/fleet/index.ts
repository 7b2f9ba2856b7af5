import type { ServerContext } from '../context';
import { registerHealthRoutes } from '../http/health';
import type { ServerPart } from '../part';
import { registerAdminTokenRoutes } from './admin-tokens';
import { ensureAdminToken, writeSecretFile } from './bootstrap';
import { registerFleetRoutes } from './routes';

/** The first admin token, in clear text on the first start only. */
export interface FirstAdminToken {
  /** The new admin token on first start; null on every later start. */
  adminToken: string | null;
  /** Where it was written (`--admin-token-file`); null when it was not. */
  adminTokenFile: string | null;
}

/** The fleet itself: health and metrics, its public facts and signing keys, admin tokens. */
export interface Fleet extends ServerPart {
  name: 'fleet';
  /**
   * Creates the first admin token if the fleet has none. Called last, once everything listens: a start that
   * fails before leaves no admin token that nobody has seen.
   */
  start(): FirstAdminToken;
}

/** Creates the fleet part on the server's database. */
export function createFleet(ctx: ServerContext): Fleet {
  return {
    name: 'fleet',
    routes(app) {
      registerHealthRoutes(app, ctx);
      registerFleetRoutes(app, ctx);
      registerAdminTokenRoutes(app, ctx);
    },
    start() {
      const file = ctx.config.adminTokenFile;
      const { adminToken } = ensureAdminToken(
        ctx.db,
        ctx.now(),
        file ? (token) => writeSecretFile(file, token) : undefined,
      );
      return { adminToken, adminTokenFile: adminToken && file ? file : null };
    },
    close: async () => {},
  };
}
