import type { AdminApi } from './api';
import type { DimAfter } from './config';
import { closeDataLoop, type DataLoopResult, dataLoopSummary } from './data-loop';
import type { Feeder } from './feeder';
import type { SceneOptions } from './images';
import type { DataLoopState } from './state';
import type { TruthLog } from './truth';

/** Line 2 under a failed lamp: darker (−70) and flatter (contrast ×0.8) than the baseline's scene. */
export const DARK_SCENE: Readonly<SceneOptions> = { brightness: -70, contrast: 0.8 };

/** The lights of line 2: the scene its stations' generators draw. */
export class Line2Lights {
  constructor(private readonly feeders: readonly Feeder[]) {}
  /** Whether the demo has a station on line 2. */
  get present(): boolean {
    return this.feeders.length > 0;
  }
  get dark(): boolean {
    return this.feeders.some((f) => f.scene.brightness !== undefined);
  }
  set dark(dark: boolean) {
    for (const f of this.feeders) f.scene = dark ? { ...DARK_SCENE } : {};
  }
}

/** What the phase needs from the running demo. */
export interface DataLoopPhaseDeps {
  api: AdminApi;
  lights: Line2Lights;
  truth: TruthLog;
  dimAfter: DimAfter;
  /** Whether the stations' canary is over (completed, rolled back or aborted). */
  canaryOver: () => Promise<boolean>;
  exportDir: string;
  /** The dashboard's URL (`http://…/`), or null when it is not served. */
  dashboard: string | null;
  say: (line: string) => void;
  warn: (line: string) => void;
  stopping: () => boolean;
  /** Saves the closed loop in the demo's state. */
  save: (loop: DataLoopState) => void;
  pollMs?: number;
}

/**
 * Resolves once line 2 is dark: key d, or the lamp fails by itself as `dimAfter` says (then the lights are dimmed
 * here). Resolves false when the demo stops first.
 */
export async function lamp2Failed(deps: DataLoopPhaseDeps): Promise<boolean> {
  const start = Date.now();
  const { dimAfter, lights } = deps;
  while (!deps.stopping()) {
    if (lights.dark) return true;
    const due =
      dimAfter.kind === 'seconds'
        ? Date.now() - start >= dimAfter.seconds * 1000
        : dimAfter.kind === 'canary' && (await deps.canaryOver());
    if (due && !deps.stopping()) {
      lights.dark = true;
      deps.say('line 2: a lamp failed (brightness −70, contrast ×0.8): the data loop starts on its images');
      return true;
    }
    await new Promise((r) => setTimeout(r, deps.pollMs ?? 1000));
  }
  return false;
}

/**
 * The demo's data-loop phase, run beside the status lines: waits for line 2's lamp to fail, then closes the loop
 * ({@link closeDataLoop}), saves it and prints where to look. Never throws: a failure is a warning.
 */
export async function runDataLoopPhase(deps: DataLoopPhaseDeps): Promise<DataLoopResult | null> {
  try {
    if (!(await lamp2Failed(deps))) return null;
    const result = await closeDataLoop({
      api: deps.api,
      truth: deps.truth,
      exportDir: deps.exportDir,
      say: deps.say,
      stopping: deps.stopping,
      ...(deps.pollMs ? { pollMs: deps.pollMs } : {}),
    });
    if (!result || deps.stopping()) return result;
    const loop = { dataset: result.dataset.id, tar: result.exported.path, version: result.version };
    deps.save(loop);
    deps.say('');
    for (const line of dataLoopSummary(loop, deps.dashboard)) deps.say(line);
    deps.say('');
    return result;
  } catch (error) {
    if (!deps.stopping()) deps.warn(`data loop: ${(error as Error).message}`);
    return null;
  }
}
