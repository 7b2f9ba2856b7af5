import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelRef, ModelVersionId, ProfileSpec } from '@edgefleet/shared';

/** A model version on disk, ready to load. */
export interface StoredModel {
  dir: string;
  modelPath: string;
  ref: ModelRef;
  spec: ProfileSpec;
  /** Parsed golden pair file, when the version has one. */
  golden: unknown;
}

/** Why a version was set aside: the failed step and its message. */
export interface QuarantineReason {
  step: 'verify_sha256' | 'verify_signature';
  message: string;
}

/** Directory name of a version: `<name>@<version>` (ids and semver are file-name safe). */
export const versionDirName = (id: ModelVersionId): string => `${id.name}@${id.version}`;

/**
 * Versioned model store: `models/<name>@<version>/{model.onnx, ref.json, spec.json, golden.json}`.
 * A version is assembled in `models/.tmp/` and appears by one atomic rename, so a crash never leaves a
 * half-written version behind; {@link ModelStore.collect} keeps the last N plus those in use.
 */
export class ModelStore {
  readonly root: string;
  readonly tmp: string;

  constructor(dataDir: string) {
    this.root = join(dataDir, 'models');
    this.tmp = join(this.root, '.tmp');
  }

  async init(): Promise<void> {
    await mkdir(this.tmp, { recursive: true });
  }

  dirOf(id: ModelVersionId): string {
    return join(this.root, versionDirName(id));
  }

  /** A partial download path for an artifact (kept across restarts so downloads resume). */
  partialPath(sha256: string): string {
    return join(this.tmp, `${sha256}.partial`);
  }

  has(id: ModelVersionId): boolean {
    return existsSync(join(this.dirOf(id), 'ref.json'));
  }

  /** Moves a verified artifact and its metadata into place by one rename; returns the stored model. */
  async install(
    ref: ModelRef,
    artifactPath: string,
    spec: ProfileSpec,
    golden: unknown,
  ): Promise<StoredModel> {
    const id = { name: ref.manifest.name, version: ref.manifest.version };
    const staging = join(this.tmp, `${versionDirName(id)}.${randomUUID()}`);
    await mkdir(staging);
    await rename(artifactPath, join(staging, 'model.onnx'));
    await writeFile(join(staging, 'spec.json'), JSON.stringify(spec));
    if (golden !== undefined) await writeFile(join(staging, 'golden.json'), JSON.stringify(golden));
    // ref.json last: its presence marks a complete version.
    await writeFile(join(staging, 'ref.json'), JSON.stringify(ref));
    const dir = this.dirOf(id);
    await rm(dir, { recursive: true, force: true });
    await rename(staging, dir);
    return this.read(id) as Promise<StoredModel>;
  }

  /** Reads a stored version; undefined when absent or incomplete. */
  async read(id: ModelVersionId): Promise<StoredModel | undefined> {
    const dir = this.dirOf(id);
    try {
      const ref = JSON.parse(await readFile(join(dir, 'ref.json'), 'utf8')) as ModelRef;
      const spec = JSON.parse(await readFile(join(dir, 'spec.json'), 'utf8')) as ProfileSpec;
      const goldenPath = join(dir, 'golden.json');
      const golden = existsSync(goldenPath) ? JSON.parse(await readFile(goldenPath, 'utf8')) : undefined;
      return { dir, modelPath: join(dir, 'model.onnx'), ref, spec, golden };
    } catch {
      return undefined;
    }
  }

  /** Complete versions in the store, most recently installed first. */
  async list(): Promise<ModelVersionId[]> {
    const entries = (await readdir(this.root, { withFileTypes: true })).filter(
      (e) => e.isDirectory() && !e.name.startsWith('.') && existsSync(join(this.root, e.name, 'ref.json')),
    );
    const dated = await Promise.all(
      entries.map(async (e) => ({ name: e.name, mtimeMs: (await stat(join(this.root, e.name))).mtimeMs })),
    );
    dated.sort((a, b) => b.mtimeMs - a.mtimeMs);
    return dated.map(({ name }) => {
      const at = name.lastIndexOf('@');
      return { name: name.slice(0, at), version: name.slice(at + 1) };
    });
  }

  /**
   * Moves a version that failed re-verification aside to `models/.quarantine/<name>@<version>.<time>` (kept for
   * a look, never served or collected as a version again); returns where it went.
   */
  async quarantine(id: ModelVersionId, why: QuarantineReason, nowMs = Date.now()): Promise<string> {
    const dest = join(this.root, '.quarantine', `${versionDirName(id)}.${nowMs}`);
    await mkdir(join(this.root, '.quarantine'), { recursive: true });
    await rename(this.dirOf(id), dest);
    await writeFile(join(dest, 'quarantine.json'), JSON.stringify({ ...why, at: nowMs }));
    return dest;
  }

  /** Why a version was last quarantined, if it was (a restart before the fleet heard of it still reports it). */
  async quarantineReason(id: ModelVersionId): Promise<QuarantineReason | undefined> {
    const dir = join(this.root, '.quarantine');
    const prefix = `${versionDirName(id)}.`;
    const names = (await readdir(dir).catch(() => [] as string[]))
      .filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length)))
      .sort((a, b) => Number(b.slice(prefix.length)) - Number(a.slice(prefix.length)));
    if (names[0] === undefined) return undefined;
    try {
      const why = JSON.parse(
        await readFile(join(dir, names[0], 'quarantine.json'), 'utf8'),
      ) as QuarantineReason;
      return typeof why.step === 'string' && typeof why.message === 'string' ? why : undefined;
    } catch {
      return undefined;
    }
  }

  /** Other stored versions of model `name`, most recently installed first (fallbacks after a quarantine). */
  async versionsOf(name: string, except: ModelVersionId): Promise<ModelVersionId[]> {
    const entries = (await readdir(this.root, { withFileTypes: true })).filter(
      (e) => e.isDirectory() && e.name.startsWith(`${name}@`) && e.name !== versionDirName(except),
    );
    const dated = await Promise.all(
      entries.map(async (e) => ({ name: e.name, mtimeMs: (await stat(join(this.root, e.name))).mtimeMs })),
    );
    dated.sort((a, b) => b.mtimeMs - a.mtimeMs);
    return dated.map((e) => ({ name, version: e.name.slice(name.length + 1) }));
  }

  /**
   * Deletes versions beyond the `keep` most recently installed, never one in `inUse`, and stale
   * staging directories (partial downloads stay so they can resume).
   */
  async collect(keep: number, inUse: readonly ModelVersionId[]): Promise<string[]> {
    const used = new Set(inUse.map(versionDirName));
    const entries = (await readdir(this.root, { withFileTypes: true })).filter(
      (e) => e.isDirectory() && !e.name.startsWith('.'),
    );
    const dated = await Promise.all(
      entries.map(async (e) => ({ name: e.name, mtimeMs: (await stat(join(this.root, e.name))).mtimeMs })),
    );
    dated.sort((a, b) => b.mtimeMs - a.mtimeMs);
    const removed: string[] = [];
    let kept = 0;
    for (const entry of dated) {
      if (used.has(entry.name)) continue;
      if (kept < keep) {
        kept++;
        continue;
      }
      await rm(join(this.root, entry.name), { recursive: true, force: true });
      removed.push(entry.name);
    }
    for (const e of await readdir(this.tmp, { withFileTypes: true })) {
      if (e.isDirectory()) await rm(join(this.tmp, e.name), { recursive: true, force: true });
    }
    return removed;
  }
}
