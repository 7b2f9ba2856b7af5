import { mkdirSync } from 'node:fs';
import { readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inspectionImage, type SceneOptions } from './images';

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
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private seed: number;

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
    if (pending >= (this.options.maxPending ?? 20)) return;
    const name = `img-${String(this.seed).padStart(9, '0')}.png`;
    const bytes = await inspectionImage(this.seed++, this.scene);
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
}
