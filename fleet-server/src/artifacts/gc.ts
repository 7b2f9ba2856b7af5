import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServerContext } from '../context';
import { safeReaddir, statOrNull } from './fs';
import { isSha256Hex } from './store';

/** What one collection removed. */
export interface ArtifactGcResult {
  /** Artifact rows (with their files) that no model version references. */
  artifacts: number;
  /** Files in the store without a row (a crash between storing the bytes and recording them). */
  strayFiles: number;
  bytes: number;
}

/**
 * A stored artifact is kept while any model version references it: as its model, as its golden pair
 * (`golden.sha256`) or as the reference set its baseline was computed from (`baseline.source.fromReference`,
 * the baseline's provenance). Deprecated versions keep theirs (a rollback may need them).
 */
const UNREFERENCED = `not exists (
  select 1 from model_versions v
  where v.artifact_sha256 = artifacts.sha256
     or json_extract(v.golden, '$.sha256') = artifacts.sha256
     or json_extract(v.baseline, '$.source.fromReference') = artifacts.sha256
)`;

/**
 * Removes artifacts that no version references and that were uploaded more than `graceMs` ago (an upload
 * followed by the version that uses it has the whole grace period in between), and store files that have no
 * row and are older than the grace period. Each row is deleted in its own statement that re-checks the
 * condition, and its file only after the row is gone. Re-uploading the same bytes restarts the grace period.
 */
export async function collectArtifactGarbage(
  ctx: Pick<ServerContext, 'database' | 'store' | 'now'>,
  graceMs: number,
): Promise<ArtifactGcResult> {
  const cutoff = ctx.now() - graceMs;
  const sqlite = ctx.database.sqlite;
  const candidates = sqlite
    .prepare(`select sha256, size_bytes from artifacts where created_at < ? and ${UNREFERENCED}`)
    .all(cutoff) as { sha256: string; size_bytes: number }[];
  const result: ArtifactGcResult = { artifacts: 0, strayFiles: 0, bytes: 0 };
  const remove = sqlite.prepare(
    `delete from artifacts where sha256 = ? and created_at < ? and ${UNREFERENCED}`,
  );
  for (const { sha256, size_bytes } of candidates) {
    // A re-upload of the same bytes touches the file: it restarts the grace period.
    const stats = statOrNull(ctx.store.pathOf(sha256));
    if (stats && stats.mtimeMs >= cutoff) continue;
    if (remove.run(sha256, cutoff).changes === 0) continue;
    await rm(ctx.store.pathOf(sha256), { force: true });
    result.artifacts += 1;
    result.bytes += size_bytes;
  }

  const known = sqlite.prepare('select 1 from artifacts where sha256 = ?').pluck();
  for (const shard of safeReaddir(ctx.store.root)) {
    const dir = join(ctx.store.root, shard);
    for (const name of safeReaddir(dir)) {
      const path = join(dir, name);
      const stats = statOrNull(path);
      if (!stats?.isFile() || stats.mtimeMs >= cutoff) continue;
      if (isSha256Hex(name) && known.get(name) !== undefined) continue;
      await rm(path, { force: true });
      result.strayFiles += 1;
      result.bytes += stats.size;
    }
  }
  return result;
}

/**
 * Runs `collectArtifactGarbage` once soon after start and then every `intervalMs`; the returned `close`
 * stops the timer and waits for a pass in progress. One pass at a time; a failed pass is logged.
 */
export function startArtifactGc(
  ctx: Pick<ServerContext, 'database' | 'store' | 'now' | 'logger'>,
  options: { graceMs: number; intervalMs: number; firstDelayMs?: number },
): { name: string; close(): Promise<void> } {
  let running: Promise<void> | null = null;
  let stopped = false;
  const pass = () => {
    if (running || stopped) return;
    running = collectArtifactGarbage(ctx, options.graceMs)
      .then((result) => {
        if (result.artifacts > 0 || result.strayFiles > 0)
          ctx.logger.info(result, 'removed unreferenced artifacts');
      })
      .catch((error: unknown) => ctx.logger.error({ err: error }, 'artifact collection failed'))
      .finally(() => {
        running = null;
      });
  };
  const first = setTimeout(pass, options.firstDelayMs ?? 5_000);
  const timer = setInterval(pass, options.intervalMs);
  first.unref();
  timer.unref();
  return {
    name: 'artifact-gc',
    close: async () => {
      stopped = true;
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
