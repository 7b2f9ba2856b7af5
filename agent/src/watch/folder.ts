import { type FSWatcher, watch } from 'node:fs';
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import type { Logger } from 'pino';
import { AgentError } from '../errors';
import type { OperatorFeedback } from '../feedback';
import { resultJson } from '../http/app';
import { decodeImage } from '../image/decode';
import type { ServingEngine } from '../serving/engine';
import { SidecarLabels } from './sidecar-labels';

/** Options of the watched folder. */
export interface WatchOptions {
  dir: string;
  /** Where results go (`<name>.json`); default: beside the images. */
  outDir?: string;
  /** Scan period; fs.watch events trigger a scan earlier. */
  pollMs?: number;
  /** Largest image decoded (pixels); a larger one goes to the failed folder. */
  maxImagePixels?: number;
  /** Where sidecar label files (`<image>.label` beside the result) go; absent: they are not read. */
  feedback?: OperatorFeedback;
  logger: Logger;
}

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);
/** Folder (inside the watched one) where files that failed go, each with `<name>.error.json`. */
export const FAILED_DIR = 'failed';

/**
 * Infers every new image in a folder once. The file system is the state, so restarts neither
 * re-process nor skip: an image is done when its result `<outDir>/<name>.json` exists (written to a
 * temp file, then renamed), failed when it sits in `failed/` with its reason. A file is taken only
 * once its size and mtime held still over one scan (not while still being written). While no model is
 * active, files wait.
 */
export class WatchedFolder {
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private seen = new Map<string, string>();
  private scanning: Promise<void> | null = null;
  private rescan = false;
  private stopped = false;
  processed = 0;
  failed = 0;
  /** Sidecar label files read as operator feedback. */
  readonly labels: SidecarLabels | null;

  constructor(
    private readonly engine: ServingEngine,
    private readonly opts: WatchOptions,
  ) {
    this.labels = opts.feedback
      ? new SidecarLabels(opts.feedback, { watchDir: opts.dir, outDir: this.outDir, logger: opts.logger })
      : null;
  }

  private get outDir(): string {
    return this.opts.outDir ?? this.opts.dir;
  }

  async start(): Promise<void> {
    await mkdir(join(this.opts.dir, FAILED_DIR), { recursive: true });
    await mkdir(this.outDir, { recursive: true });
    try {
      this.watcher = watch(this.opts.dir, () => this.trigger());
      this.watcher.on('error', () => undefined);
    } catch {
      // Polling alone still works (e.g. network file systems without inotify).
    }
    const tick = () => {
      if (this.stopped) return;
      this.trigger();
      this.timer = setTimeout(tick, this.opts.pollMs ?? 500);
    };
    tick();
  }

  /** Starts a scan, or asks for one more after the running one. */
  trigger(): void {
    if (this.scanning) {
      this.rescan = true;
      return;
    }
    this.scanning = this.scan()
      .catch((err) => this.opts.logger.warn({ err: (err as Error).message }, 'watched folder scan failed'))
      .finally(() => {
        this.scanning = null;
        if (this.rescan && !this.stopped) {
          this.rescan = false;
          this.trigger();
        }
      });
  }

  /** Resolves after a full scan that started after this call. */
  async settle(): Promise<void> {
    while (this.scanning) await this.scanning;
    this.trigger();
    await this.scanning;
  }

  private async scan(): Promise<void> {
    await this.scanImages();
    if (!this.stopped) await this.labels?.scan();
  }

  private async scanImages(): Promise<void> {
    const entries = await readdir(this.opts.dir, { withFileTypes: true });
    const outs = new Set(await readdir(this.outDir));
    for (const e of entries) {
      if (this.stopped) return;
      if (!e.isFile() || !IMAGE_EXTENSIONS.has(extname(e.name).toLowerCase())) continue;
      if (outs.has(`${e.name}.json`)) continue;
      const path = join(this.opts.dir, e.name);
      const st = await stat(path).catch(() => null);
      if (!st) continue;
      const sig = `${st.size}:${st.mtimeMs}`;
      if (this.seen.get(e.name) !== sig) {
        this.seen.set(e.name, sig);
        continue;
      }
      if (!this.engine.current.active) return;
      await this.processFile(path);
      this.seen.delete(e.name);
    }
  }

  private async processFile(path: string): Promise<void> {
    const name = basename(path);
    let image: Awaited<ReturnType<typeof decodeImage>>;
    let encoded: Uint8Array;
    try {
      encoded = await readFile(path);
      image = await decodeImage(encoded, this.opts.maxImagePixels);
    } catch (err) {
      const kind = err instanceof AgentError ? err.kind : 'invalid_input';
      this.engine.reject(kind);
      await this.moveAside(path, kind, (err as Error).message);
      return;
    }
    try {
      const result = await this.engine.infer({ kind: 'image', image, encoded });
      const out = join(this.outDir, `${name}.json`);
      await writeFile(`${out}.tmp`, JSON.stringify({ file: name, ...resultJson(result, true) }));
      await rename(`${out}.tmp`, out);
      this.processed++;
    } catch (err) {
      // No model yet: the file waits. Anything else (the engine counted it) is recorded beside the file.
      if (err instanceof AgentError && err.kind === 'not_ready') return;
      await this.moveAside(path, err instanceof AgentError ? err.kind : 'internal', (err as Error).message);
    }
  }

  private async moveAside(path: string, kind: string, message: string): Promise<void> {
    const name = basename(path);
    const failedDir = join(this.opts.dir, FAILED_DIR);
    await writeFile(
      join(failedDir, `${name}.error.json`),
      JSON.stringify({ file: name, error: kind, message }),
    );
    await rename(path, join(failedDir, name));
    this.failed++;
    this.opts.logger.warn({ file: name, error: kind, err: message }, 'watched file moved aside');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    if (this.timer) clearTimeout(this.timer);
    await this.scanning;
  }
}
