import { readFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import {
  type Automation,
  automationSchema,
  type ModelVersionId,
  type TelemetryConfig,
} from '@edgefleet/shared';
import { type CapturePolicy, capturePolicySchema } from '@edgefleet/shared/capture';

/** What the agent runs, persisted so a restart serves the last good models at once, without the server. */
export interface AgentState {
  appliedRev: number;
  active: ModelVersionId | null;
  shadow: ModelVersionId | null;
  standby: ModelVersionId | null;
  shadowSampleRate: number;
  /** The desired state's telemetry settings, applied at start before the server answers. */
  telemetry?: TelemetryConfig;
  /** The desired state's automation level: a restart without the server must not let the model decide more. */
  automation?: Automation;
  /** The desired state's capture policy: a restart without the server captures by the same rules and budget. */
  capture?: CapturePolicy;
}

export const EMPTY_STATE: AgentState = {
  appliedRev: 0,
  active: null,
  shadow: null,
  standby: null,
  shadowSampleRate: 1,
};

const idOk = (v: unknown) =>
  v === null ||
  (typeof v === 'object' &&
    typeof (v as ModelVersionId).name === 'string' &&
    typeof (v as ModelVersionId).version === 'string');

/**
 * Reads the state file: the empty state when there is none; with `problem` set (and the empty state) when it
 * exists but cannot be read or is not a state (a truncated or garbage file), so the caller can rebuild it.
 */
export function readState(path: string): { state: AgentState; problem?: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: { ...EMPTY_STATE } };
    return { state: { ...EMPTY_STATE }, problem: `${path} cannot be read: ${(err as Error).message}` };
  }
  try {
    const state = { ...EMPTY_STATE, ...(JSON.parse(text) as Partial<AgentState>) };
    if (
      !Number.isSafeInteger(state.appliedRev) ||
      state.appliedRev < 0 ||
      !idOk(state.active) ||
      !idOk(state.shadow) ||
      !idOk(state.standby) ||
      typeof state.shadowSampleRate !== 'number'
    )
      throw new Error('expected {appliedRev, active, shadow, standby, shadowSampleRate}');
    if (state.automation !== undefined && !automationSchema.safeParse(state.automation).success)
      throw new Error('expected automation to be an automation level');
    if (state.capture !== undefined && !capturePolicySchema.safeParse(state.capture).success)
      throw new Error('expected capture to be a capture policy');
    return { state };
  } catch (err) {
    return {
      state: { ...EMPTY_STATE },
      problem: `${path} is not a valid state (${text.length} bytes): ${(err as Error).message}`,
    };
  }
}

/** Writes the state file durably and atomically (temp file, fsync, rename); throws on a full disk. */
export async function writeState(path: string, state: AgentState): Promise<void> {
  const tmp = `${path}.tmp`;
  const file = await open(tmp, 'w');
  try {
    await file.writeFile(JSON.stringify(state));
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(tmp, path);
}
