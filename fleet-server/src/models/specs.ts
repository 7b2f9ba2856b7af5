import { Profile, type ProfileSpec, parseProfileSpec } from '@edgefleet/shared';
import { and, eq } from 'drizzle-orm';
import { type FleetDb, schema } from '../db';

/** A model version's ProfileSpec and baseline, as registered. */
export interface VersionBaseline {
  spec: ProfileSpec;
  /** The baseline profile; null when the stored one cannot be read. */
  baseline: Profile | null;
}

/** Finds the spec (and baseline) a version's reports must be counted under; null for unknown versions. */
export interface SpecResolver {
  baselineOf(modelName: string, version: string): VersionBaseline | null;
}

/** Options of {@link dbSpecResolver}. */
export interface DbSpecResolverOptions {
  /** How long "unknown version" is remembered before the database is asked again. Default 5 s. */
  unknownTtlMs?: number;
  now?: () => number;
}

/**
 * Reads `model_versions.baseline` ({ spec, profile }). Versions are immutable, so a found spec is cached for
 * good; a miss is cached briefly so that a flood of reports for an unregistered version costs one query per TTL.
 */
export function dbSpecResolver(db: FleetDb, options: DbSpecResolverOptions = {}): SpecResolver {
  const ttlMs = options.unknownTtlMs ?? 5_000;
  const now = options.now ?? Date.now;
  const found = new Map<string, VersionBaseline>();
  const missing = new Map<string, number>();
  return {
    baselineOf(modelName, version) {
      const key = `${modelName}\u0000${version}`;
      const hit = found.get(key);
      if (hit) return hit;
      const missedAt = missing.get(key);
      if (missedAt !== undefined && now() - missedAt < ttlMs) return null;
      const row = db
        .select({ baseline: schema.modelVersions.baseline })
        .from(schema.modelVersions)
        .where(and(eq(schema.modelVersions.modelName, modelName), eq(schema.modelVersions.version, version)))
        .get();
      const stored = row?.baseline as { spec?: unknown; profile?: unknown } | null | undefined;
      const spec = stored ? parseProfileSpec(stored.spec) : null;
      if (!spec?.ok) {
        missing.set(key, now());
        return null;
      }
      const baseline = Profile.fromJSON(stored?.profile, spec.value);
      const entry = { spec: spec.value, baseline: baseline.ok ? baseline.value : null };
      found.set(key, entry);
      missing.delete(key);
      return entry;
    },
  };
}

/** A fixed resolver (tests, benches): `model@version` → spec. */
export function staticSpecResolver(specs: Record<string, ProfileSpec>): SpecResolver {
  return {
    baselineOf(modelName, version) {
      const spec = specs[`${modelName}@${version}`];
      return spec ? { spec, baseline: null } : null;
    },
  };
}
