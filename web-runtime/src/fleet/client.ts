import {
  type AppPlan,
  appPlanSchema,
  type ProfileSpec,
  type PublicJwk,
  parseProfileSpec,
  publicJwkSchema,
  specHash,
  validateMessage,
} from '@edgefleet/shared';
import { messageOf, RuntimeError } from '../errors';
import { getMeta, type Store, setMeta } from '../storage/db';

/** Public facts about the fleet the runtime needs. */
export interface FleetInfo {
  fleet: string;
  signingKeys: PublicJwk[];
}

function parseFleet(json: unknown): FleetInfo | undefined {
  const { fleet, signingKeys } = (json ?? {}) as { fleet?: unknown; signingKeys?: unknown };
  if (typeof fleet !== 'string' || !Array.isArray(signingKeys)) return undefined;
  const keys = signingKeys.map((k) => publicJwkSchema.safeParse(k));
  if (keys.length === 0 || !keys.every((k) => k.success)) return undefined;
  return { fleet, signingKeys: keys.map((k) => k.data!) };
}

/** HTTP calls to the fleet server with the publishable key; each falls back to its last answer in IndexedDB when offline. */
export class FleetClient {
  constructor(
    readonly server: string,
    private readonly key: string,
    private readonly store: Store,
  ) {}

  /** `GET path` as JSON; `network` / `unauthorized` RuntimeErrors. */
  async getJson(path: string, auth = true): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(new URL(path, this.server), {
        headers: auth ? { authorization: `Bearer ${this.key}` } : {},
      });
    } catch (error) {
      throw new RuntimeError('network', `GET ${path}: ${messageOf(error)}`);
    }
    if (response.status === 401 || response.status === 403)
      throw new RuntimeError(
        'unauthorized',
        `GET ${path}: HTTP ${response.status} (check the publishable key)`,
      );
    if (!response.ok) throw new RuntimeError('network', `GET ${path}: HTTP ${response.status}`);
    return response.json();
  }

  /** The fleet name and signing keys (cached: keys seen once are trusted offline). */
  async fleet(): Promise<FleetInfo> {
    return this.cached('fleet', async () => {
      const parsed = parseFleet(await this.getJson('/api/v1/fleet', false));
      if (!parsed) throw new RuntimeError('network', 'GET /api/v1/fleet: unexpected answer');
      return parsed;
    });
  }

  /** The app plan (null until a rollout targets the app); the cached one when offline. */
  async plan(): Promise<AppPlan | null> {
    return this.cached('plan', async () => {
      const answer = (await this.getJson('/api/v1/app/plan')) as { plan?: unknown };
      if (answer.plan === null || answer.plan === undefined) return null;
      const parsed = validateMessage(appPlanSchema, answer.plan);
      if (!parsed.ok)
        throw new RuntimeError('network', `GET /api/v1/app/plan: invalid plan: ${parsed.error.message}`);
      return parsed.value;
    });
  }

  /** The ProfileSpec at `url`, checked against the signed `specHash`; cached by hash. */
  async spec(url: string, expectedHash: string): Promise<ProfileSpec> {
    const cacheKey = `spec:${expectedHash}`;
    const cached = await getMeta<ProfileSpec>(this.store, cacheKey);
    if (cached) return cached;
    const parsed = parseProfileSpec(await this.getJson(url));
    if (!parsed.ok) throw new RuntimeError('integrity', `profile spec: ${parsed.error.message}`);
    const hash = specHash(parsed.value);
    if (hash !== expectedHash)
      throw new RuntimeError('integrity', `profile spec: expected hash ${expectedHash}, got ${hash}`);
    await setMeta(this.store, cacheKey, parsed.value);
    return parsed.value;
  }

  private async cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    try {
      const value = await load();
      await setMeta(this.store, key, value);
      return value;
    } catch (error) {
      if (!(error instanceof RuntimeError) || error.kind !== 'network') throw error;
      const stored = await getMeta<T>(this.store, key);
      if (stored === undefined) throw error;
      return stored;
    }
  }
}
