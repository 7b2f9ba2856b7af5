import type { AutomationResult, AutomationSet } from '@edgefleet/shared/api';
import { type SettingDeps, setModelSetting } from '../model-settings/apply';

/**
 * Stores the level of `model` on a target (with who and when), then republishes the desired state of every device
 * the target covers whose desired state serves the model, or the app plan's slot of the model.
 */
export async function setAutomation(
  deps: SettingDeps,
  model: string,
  request: AutomationSet,
  actor: string,
): Promise<AutomationResult> {
  const { setting, applied } = await setModelSetting(
    deps,
    'automation',
    model,
    { target: request.target, value: request.level },
    actor,
  );
  const { value, ...rest } = setting;
  return { setting: { ...rest, level: value }, applied };
}
