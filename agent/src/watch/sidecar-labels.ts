import { lstat, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import { AgentError } from '../errors';
import type { OperatorFeedback } from '../feedback';

/** A label file is `<image>.label` beside the result `<image>.json`. */
export const LABEL_SUFFIX = '.label';
/** Largest label file read: a class name, or `{"label": …}`. */
export const MAX_LABEL_FILE_BYTES = 1024;
/** Largest result file read for its predictionId (results carry the raw outputs). */
const MAX_RESULT_FILE_BYTES = 4 << 20;

const labelJsonSchema = z.strictObject({ label: z.string().min(1).max(128) });

/** Why a label file was refused: the agent's error kinds plus the file's own faults. */
export type SidecarError = string;

/** Counters of sidecar labels (also in `/v1/status` → `watch.labels`). */
export interface SidecarCounters {
  counted: number;
  refused: Record<SidecarError, number>;
}

/**
 * Reads a label file's text: one line with the class name, or JSON `{"label": "…"}`. Throws an
 * {@link AgentError} `invalid_input` saying what was wrong.
 */
export function parseLabelFile(bytes: Uint8Array): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new AgentError('invalid_input', 'expected UTF-8 text, got bytes that are not UTF-8');
  }
  text = text.replace(/^\uFEFF/, '').trim();
  if (text.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new AgentError(
        'invalid_input',
        'expected JSON {"label": "…"} (the file starts with {), got invalid JSON',
      );
    }
    const parsed = labelJsonSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new AgentError(
        'invalid_input',
        `expected JSON {"label": "…"}: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`,
      );
    }
    return parsed.data.label;
  }
  if (text.length === 0) throw new AgentError('invalid_input', 'expected a class name, got an empty file');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused here
  if (/[\u0000-\u001f\u007f]/.test(text)) {
    throw new AgentError(
      'invalid_input',
      'expected one line with a class name, got several lines or control characters',
    );
  }
  if (text.length > 128)
    throw new AgentError(
      'invalid_input',
      `expected a class name of at most 128 characters, got ${text.length}`,
    );
  return text;
}

/**
 * Sidecar labels of the watched folder: an operator (or the station software) writes `<image>.label` beside the
 * result `<image>.json`; the label is given to that result's prediction through the same path as
 * `POST /v1/feedback`. The outcome is a file: the label file becomes `<image>.label.done` once counted, or
 * `<image>.label.failed` with `<image>.label.error.json` saying why (unknown class, duplicate, too late, not a
 * readable label). A label whose window is full, or whose image is still waiting to be inferred, stays and is
 * tried again at a later scan. Nothing a label file holds can stop the watcher.
 */
export class SidecarLabels {
  readonly counters: SidecarCounters = { counted: 0, refused: {} };
  private readonly seen = new Map<string, string>();

  constructor(
    private readonly feedback: OperatorFeedback,
    private readonly opts: { watchDir: string; outDir: string; logger: Logger },
  ) {}

  /** Reads every label file that held still since the last scan. */
  async scan(): Promise<void> {
    const names = await readdir(this.opts.outDir);
    const present = new Set(names);
    for (const name of names) {
      if (!name.endsWith(LABEL_SUFFIX) || name.length === LABEL_SUFFIX.length) continue;
      const path = join(this.opts.outDir, name);
      const st = await lstat(path).catch(() => null);
      if (!st) continue;
      const sig = `${st.size}:${st.mtimeMs}`;
      if (this.seen.get(name) !== sig) {
        this.seen.set(name, sig);
        continue;
      }
      this.seen.delete(name);
      const image = name.slice(0, -LABEL_SUFFIX.length);
      try {
        await this.take(path, image, st, present);
      } catch (err) {
        const e = err instanceof AgentError ? err : new AgentError('internal', (err as Error).message);
        if (e.kind === 'window_full') continue; // tried again at a later scan, when the next window is open
        await this.refuse(path, image, e.kind, e.message);
      }
    }
  }

  private async take(
    path: string,
    image: string,
    st: Awaited<ReturnType<typeof lstat>>,
    present: Set<string>,
  ): Promise<void> {
    if (!st.isFile()) {
      throw new AgentError('invalid_input', 'expected a regular file, got a link or something else');
    }
    if (st.size > MAX_LABEL_FILE_BYTES) {
      throw new AgentError(
        'too_large',
        `expected a label file of at most ${MAX_LABEL_FILE_BYTES} bytes, got ${st.size}`,
      );
    }
    const label = parseLabelFile(await readFile(path));
    const predictionId = await this.predictionOf(image, present);
    if (predictionId === null) return; // its image waits for a model: so does its label
    this.feedback.submit(predictionId, label);
    await rename(path, `${path}.done`);
    this.counters.counted++;
  }

  /** The predictionId of an image's result; null while the image still waits to be inferred. */
  private async predictionOf(image: string, present: Set<string>): Promise<string | null> {
    const resultName = `${image}.json`;
    if (!present.has(resultName)) {
      const waiting = await lstat(join(this.opts.watchDir, image)).catch(() => null);
      if (waiting?.isFile()) return null;
      throw new AgentError(
        'unknown_prediction',
        `expected a result ${resultName} beside the label, found none`,
      );
    }
    const resultPath = join(this.opts.outDir, resultName);
    const st = await lstat(resultPath);
    if (!st.isFile() || st.size > MAX_RESULT_FILE_BYTES) {
      throw new AgentError('unknown_prediction', `${resultName} is not a result this agent wrote`);
    }
    let id: unknown;
    try {
      id = (JSON.parse(await readFile(resultPath, 'utf8')) as { predictionId?: unknown }).predictionId;
    } catch {
      throw new AgentError('unknown_prediction', `${resultName} is not valid JSON`);
    }
    if (typeof id !== 'string' || id.length === 0 || id.length > 64) {
      throw new AgentError('unknown_prediction', `${resultName} carries no predictionId`);
    }
    return id;
  }

  private async refuse(path: string, image: string, kind: string, message: string): Promise<void> {
    this.counters.refused[kind] = (this.counters.refused[kind] ?? 0) + 1;
    const errorPath = join(this.opts.outDir, `${image}${LABEL_SUFFIX}.error.json`);
    try {
      await writeFile(errorPath, JSON.stringify({ file: `${image}${LABEL_SUFFIX}`, error: kind, message }));
      await rename(path, `${path}.failed`);
    } catch (err) {
      this.opts.logger.warn(
        { file: path, err: (err as Error).message },
        'label outcome could not be written',
      );
    }
    this.opts.logger.warn(
      { file: `${image}${LABEL_SUFFIX}`, error: kind, err: message },
      'label file refused',
    );
  }
}
