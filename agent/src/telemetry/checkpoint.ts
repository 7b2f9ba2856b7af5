import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseProfileSpec, telemetryReportSchema } from '@edgefleet/shared';
import type { WindowDraft } from './windows';

/** How often the open window is written aside (when it changed): what a `kill -9` can lose at most. */
export const CHECKPOINT_MS = 1_000;

/** The open window of a process, as last written. */
export interface WindowCheckpoint {
  epoch: number;
  startMs: number;
  drafts: WindowDraft[];
}

/**
 * The open window, written aside every {@link CHECKPOINT_MS} while it changes (`window.checkpoint.json`, temp
 * file and rename; no fsync: a `kill -9` keeps the page cache, a power cut may lose the last one). After an
 * unclean stop the next start appends it to the outbox as the dead process's last window, so a kill loses the
 * inferences of at most one checkpoint period instead of the whole window. Chosen over only counting the loss:
 * counting needs a write per inference, a checkpoint keeps the statistics themselves at one small write a second.
 */
export class WindowCheckpoints {
  readonly path: string;

  constructor(dataDir: string) {
    this.path = join(dataDir, 'window.checkpoint.json');
  }

  /** Writes the checkpoint; false when it could not be written (a full disk: the window is then only in memory). */
  save(checkpoint: WindowCheckpoint): boolean {
    try {
      writeFileSync(`${this.path}.tmp`, JSON.stringify(checkpoint));
      renameSync(`${this.path}.tmp`, this.path);
      return true;
    } catch {
      return false;
    }
  }

  /** The checkpoint left by the last process; undefined when none, or `problem` when it cannot be read. */
  load(): { checkpoint?: WindowCheckpoint; problem?: string } {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch {
      return {};
    }
    try {
      return { checkpoint: parseCheckpoint(JSON.parse(text)) };
    } catch (err) {
      return { problem: `${this.path} (${text.length} bytes): ${(err as Error).message}` };
    }
  }

  clear(): void {
    rmSync(this.path, { force: true });
  }
}

// Every draft must make a valid report: it is checked as one before it may enter the outbox.
function parseCheckpoint(json: unknown): WindowCheckpoint {
  const c = json as Partial<WindowCheckpoint>;
  if (!Number.isSafeInteger(c.epoch) || !Number.isSafeInteger(c.startMs) || !Array.isArray(c.drafts))
    throw new Error('expected {epoch, startMs, drafts}');
  for (const draft of c.drafts) {
    const spec = parseProfileSpec(draft.spec);
    if (!spec.ok) throw new Error(`draft spec: ${spec.error.message}`);
    const report = telemetryReportSchema.safeParse({
      v: 1,
      clientId: 'checkpoint',
      epoch: 1,
      seq: 1,
      window: draft.window,
      model: draft.model,
      role: draft.role,
      specHash: draft.specHash,
      profile: draft.profile,
      runtime: { backend: 'cpu', threads: 1 },
      overflow: { mergedWindows: 0, droppedReports: 0, droppedInferences: 0 },
      ...(draft.feedback ? { feedback: draft.feedback } : {}),
    });
    if (!report.success) throw new Error(`draft: ${report.error.issues[0]?.message}`);
    if (!Number.isSafeInteger(draft.inferences) || draft.inferences < 0) throw new Error('draft inferences');
  }
  return c as WindowCheckpoint;
}
