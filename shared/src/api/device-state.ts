import type { DeployError, RunningModels } from '../protocol/reported';
import type { ReportedState } from './devices';

// Readers of a device's reported state (zod-free, for every client): a hello and a state report say what runs,
// only a state report lists errors, and the enrollment record says neither.

/** The models a device reports running; null before its first hello. */
export function runningModelsOf(state: ReportedState | null | undefined): RunningModels | null {
  return state && 'running' in state ? state.running : null;
}

/** The deploy and serving errors of a device's last state report; empty when there are none. */
export function deployErrorsOf(state: ReportedState | null | undefined): DeployError[] {
  return state && 'errors' in state ? state.errors : [];
}

/** `name@version`, or null. */
export const versionLabel = (model: { name: string; version: string } | null | undefined): string | null =>
  model ? `${model.name}@${model.version}` : null;
