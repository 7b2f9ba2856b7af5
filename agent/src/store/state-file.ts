import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import type { ModelVersionId } from '@edgefleet/shared';

/** What the agent runs, persisted so a restart serves the last good models at once, without the server. */
export interface AgentState {
  appliedRev: number;
  active: ModelVersionId | null;
  shadow: ModelVersionId | null;
  standby: ModelVersionId | null;
  shadowSampleRate: number;
}

export const EMPTY_STATE: AgentState = {
  appliedRev: 0,
  active: null,
  shadow: null,
  standby: null,
  shadowSampleRate: 1,
};

/** Reads the state file; the empty state when there is none or it is unreadable. */
export function readState(path: string): AgentState {
  try {
    return { ...EMPTY_STATE, ...(JSON.parse(readFileSync(path, 'utf8')) as Partial<AgentState>) };
  } catch {
    return { ...EMPTY_STATE };
  }
}

/** Writes the state file atomically (temp file, then rename). */
export async function writeState(path: string, state: AgentState): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, JSON.stringify(state));
  await rename(tmp, path);
}
