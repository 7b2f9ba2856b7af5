import { eq } from 'drizzle-orm';
import type { FleetDb } from '../db';
import { schema } from '../db';

/** What an app's current plan references: artifact digests and `name@version` ids its browsers may fetch. */
export function planReferences(db: FleetDb, appId: string): { digests: Set<string>; versions: Set<string> } {
  const row = db.select({ plan: schema.apps.plan }).from(schema.apps).where(eq(schema.apps.id, appId)).get();
  const digests = new Set<string>();
  const versions = new Set<string>();
  for (const slot of row?.plan?.models ?? []) {
    for (const ref of [slot.current, slot.candidate?.ref]) {
      const manifest = ref?.manifest;
      if (!manifest) continue;
      if (manifest.sha256) digests.add(manifest.sha256);
      if (manifest.goldenSha256) digests.add(manifest.goldenSha256);
      if (manifest.name && manifest.version) versions.add(`${manifest.name}@${manifest.version}`);
    }
  }
  return { digests, versions };
}
