import { eq } from 'drizzle-orm';
import type { FleetDb } from '../db';
import { schema } from '../db';

interface RefLike {
  manifest?: { name?: string; version?: string; sha256?: string; goldenSha256?: string };
}

/** What an app's current plan references: artifact digests and `name@version` ids its browsers may fetch. */
export function planReferences(db: FleetDb, appId: string): { digests: Set<string>; versions: Set<string> } {
  const row = db.select({ plan: schema.apps.plan }).from(schema.apps).where(eq(schema.apps.id, appId)).get();
  const digests = new Set<string>();
  const versions = new Set<string>();
  const models = (row?.plan as { models?: { current?: RefLike; candidate?: { ref?: RefLike } }[] } | null)
    ?.models;
  for (const slot of models ?? []) {
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
