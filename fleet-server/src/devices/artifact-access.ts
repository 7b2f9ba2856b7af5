import type { DesiredState } from '@edgefleet/shared';
import { eq } from 'drizzle-orm';
import { type FleetDb, schema } from '../db';

/**
 * Artifact digests a device may download: the model and golden files of the versions its desired state names
 * (active, shadow, standby). A rollout reaches a device through its desired state, which is stored before it is
 * published, so a device in a rollout can fetch the versions the rollout gives it; nothing else (other models,
 * reference sets) is readable with a device token.
 */
export function deviceArtifactDigests(db: FleetDb, deviceId: string): Set<string> {
  const row = db
    .select({ desired: schema.devices.desiredState })
    .from(schema.devices)
    .where(eq(schema.devices.id, deviceId))
    .get();
  const digests = new Set<string>();
  const models = (row?.desired as DesiredState | null | undefined)?.models;
  for (const ref of [models?.active, models?.shadow, models?.standby]) {
    const manifest = ref?.manifest;
    if (!manifest) continue;
    digests.add(manifest.sha256);
    if (manifest.goldenSha256) digests.add(manifest.goldenSha256);
  }
  return digests;
}
