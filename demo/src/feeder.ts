import { mkdirSync } from 'node:fs';
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inspectionSample, type Orientation, type SceneOptions } from './images';
import type { Operator, ResultFile } from './operator';
import type { TruthLog } from './truth';

/** Options of a {@link Feeder}. */
export interface FeederOptions {
  /** The agent's watched folder. */
  watchDir: string;
  /** Where the agent writes `<image>.json` results. */
  outDir: string;
  /** Mean time between two images; each wait is drawn from 2/3 … 4/3 of it. */
  intervalMs: number;
  /** First seed; seeds rise by one per image, far from the reference set's. */
  seed: number;
  /** Images waiting unprocessed at most (no model yet, agent busy): beyond it the feeder pauses. */
  maxPending?: number;
  /** The station's operator: sees each result (with the image's true orientation) before it is removed. */
  operator?: Operator;
  /** Where the true orientation of every image fed is recorded by sha256 (the data loop's labelling team). */
  truth?: TruthLog;
  /** Called when a tick fails (disk full, folder removed); the feeder keeps ticking. */
  onError?: (error: Error) => void;
}

/**
 * A station's camera: drops an inspection image into the agent's watched folder every ~`intervalMs` and
 * deletes what the agent has processed (image, then result), so the folders stay small however long it runs.
 */
export class Feeder {
  /** Images written so far. */
  written = 0;
  /** Processed images (and their results) removed so far. */
  cleaned = 0;
  /** The scene the next images show; change it to make the stream drift. */
  scene: SceneOptions = {};
  /** The station's operator, if any. */
  get operator(): Operator | undefined {
    return this.options.operator;
  }
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private seed: number;
  // The true orientation of each image written and not cleaned yet (what the operator knows by looking).
  private readonly truth = new Map<string, Orientation>();

  constructor(private readonly options: FeederOptions) {
    this.seed = options.seed;
    mkdirSync(options.watchDir, { recursive: true });
    mkdirSync(options.outDir, { recursive: true });
  }

  start(): void {
    const schedule = () => {
      const wait = this.options.intervalMs * (2 / 3 + (Math.random() * 2) / 3);
      this.timer = setTimeout(() => {
        this.running = this.step()
          .catch((error: Error) => this.options.onError?.(error))
          .finally(() => {
            this.running = null;
            if (this.timer) schedule();
          });
      }, wait);
    };
    schedule();
  }

  /** Stops dropping images; resolves once the step in progress finished. */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One tick: clean what was processed, then drop one new image unless too many wait. */
  async step(): Promise<void> {
    const pending = await this.clean();
    await this.options.operator?.sendRetries();
    if (pending >= (this.options.maxPending ?? 20)) return;
    const name = `img-${String(this.seed).padStart(9, '0')}.png`;
    const { bytes, orientation } = await inspectionSample(this.seed++, this.scene);
    this.truth.set(name, orientation);
    this.options.truth?.record(bytes, orientation);
    // Written under a name the agent ignores, then renamed: the agent never sees half a file.
    const partial = join(this.options.watchDir, `.${name}.part`);
    await writeFile(partial, bytes);
    await rename(partial, join(this.options.watchDir, name));
    this.written++;
  }

  /** Removes processed images and their results (and failed ones); returns how many images still wait. */
  async clean(): Promise<number> {
    const { watchDir, outDir } = this.options;
    const results = new Set((await readdir(outDir)).filter((n) => n.endsWith('.json')));
    let pending = 0;
    for (const name of await readdir(watchDir)) {
      if (!name.endsWith('.png')) continue;
      if (!results.has(`${name}.json`)) {
        pending++;
        continue;
      }
      await this.showOperator(name, join(outDir, `${name}.json`));
      // Image first: a result without its image is harmless, an image without its result is inferred again.
      await rm(join(watchDir, name), { force: true });
      await rm(join(outDir, `${name}.json`), { force: true });
      results.delete(`${name}.json`);
      this.cleaned++;
    }
    // Results whose image is gone (an earlier run stopped between the two removals).
    for (const stale of results) {
      if (stale.endsWith('.png.json')) await rm(join(outDir, stale), { force: true });
    }
    await rm(join(watchDir, 'failed'), { recursive: true, force: true });
    return pending;
  }

  // The operator looks at a result whose image this feeder wrote (a resumed demo's older images have no truth).
  private async showOperator(name: string, resultPath: string): Promise<void> {
    const orientation = this.truth.get(name);
    this.truth.delete(name);
    const operator = this.options.operator;
    if (!operator || !orientation) return;
    let result: ResultFile;
    try {
      result = JSON.parse(await readFile(resultPath, 'utf8')) as ResultFile;
    } catch {
      return; // a result the agent is still writing is never read: it renames it into place
    }
    await operator.review(result, orientation);
  }
}
