import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Counter, Gauge, type Registry } from 'prom-client';
import { StorageUnavailable } from '../errors';
import type { Logger } from '../logging';
import { type StorageErrorKind, storageErrorKind } from './errors';

/** Where the server's storage stands: `ok`, or failing since `sinceMs` with the last error's kind and message. */
export interface StorageState {
  status: 'ok' | 'full' | 'readonly' | 'io';
  message: string | null;
  sinceMs: number | null;
  /** Storage errors counted since the server started. */
  errors: number;
  /** When the last write probe ran (0: never). */
  checkedAt: number;
}

/** Options of {@link StorageHealth}. */
export interface StorageHealthOptions {
  dataDir: string;
  /** A small database write (the probe's second half). */
  writeDb: (nowMs: number) => void;
  registry: Registry;
  logger: Logger;
  now: () => number;
  /** Probe interval (ms); 0: only on demand. */
  probeMs: number;
  /** Bytes kept free in the data dir (`storage-reserve`), given up when the disk is full so the alert can be written. */
  reserveBytes: number;
}

const PROBE_BYTES = 4096;

/**
 * The server's own storage health. Every storage error a write meets (SQLITE_FULL, ENOSPC, EDQUOT, EROFS, EIO)
 * goes through {@link noteError}: counted (`edgefleet_storage_errors_total{kind,op}`), logged, and turned into the
 * 503 `storage_full` / `storage_failed` a caller sees. A probe writes and fsyncs a small file in the data dir and
 * one database row; storage is `ok` again only when a probe passes after the last error, so recovery needs no
 * restart. Listeners hear every state after a probe or an error (the alert side raises and resolves from it).
 *
 * A reserve file (`storage-reserve`, `reserveBytes`) holds some space: the first "full" error deletes it so that
 * the alert about it can still be written to the database on the same disk, and the probe passes only once the
 * reserve could be written again (so it also says "full" while less than the reserve is free).
 */
export class StorageHealth {
  private current: StorageState = { status: 'ok', message: null, sinceMs: null, errors: 0, checkedAt: 0 };
  private readonly listeners: ((state: StorageState) => void)[] = [];
  private readonly errorsTotal: Counter<'kind' | 'op'>;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: StorageHealthOptions) {
    this.errorsTotal = new Counter({
      name: 'edgefleet_storage_errors_total',
      help: 'Writes the server could not store, by kind (full: SQLITE_FULL/ENOSPC/EDQUOT; readonly; io) and operation',
      labelNames: ['kind', 'op'] as const,
      registers: [options.registry],
    });
    const self = this;
    new Gauge({
      name: 'edgefleet_storage_ok',
      help: '1 while the last write probe and every write since succeeded, else 0',
      registers: [options.registry],
      collect() {
        this.set(self.current.status === 'ok' ? 1 : 0);
      },
    });
  }

  /** The current state. */
  state(): StorageState {
    return { ...this.current };
  }

  /** Calls `listener` with the state after every probe and every storage error. */
  onState(listener: (state: StorageState) => void): void {
    this.listeners.push(listener);
  }

  /**
   * The 503 to answer for `error` when it is a storage error (counted, logged, state `full`/…), else null.
   * @example app.onError((err, c) => errorResponse(ctx.storage.noteError(err, 'http') ?? err, c))
   */
  noteError(error: unknown, op: string): StorageUnavailable | null {
    if (error instanceof StorageUnavailable) return error;
    const kind = storageErrorKind(error);
    if (!kind) return null;
    this.fail(kind, error, op);
    return new StorageUnavailable(
      kind === 'full'
        ? 'the server has no storage space left; the write was not stored (retry when space is freed)'
        : `the server's storage failed (${kind}); the write was not stored`,
      kind,
    );
  }

  /** Writes (and fsyncs) the reserve if it is missing, a small file and one database row; the state says how it went. */
  probe(): StorageState {
    const nowMs = this.options.now();
    try {
      this.ensureReserve();
      this.writeProbeFile();
      this.options.writeDb(nowMs);
      if (this.current.status !== 'ok') {
        this.options.logger.info({ since: this.current.sinceMs }, 'storage writes work again');
      }
      this.current = { ...this.current, status: 'ok', message: null, sinceMs: null, checkedAt: nowMs };
    } catch (error) {
      const kind = storageErrorKind(error) ?? 'io';
      this.fail(kind, error, 'probe');
      this.current.checkedAt = nowMs;
    }
    this.announce();
    return this.state();
  }

  /** Probes once (writing the reserve), then every `probeMs`. */
  start(): void {
    this.probe();
    if (this.options.probeMs <= 0 || this.timer) return;
    this.timer = setInterval(() => this.probe(), this.options.probeMs);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private get reservePath(): string {
    return join(this.options.dataDir, 'storage-reserve');
  }

  private ensureReserve(): void {
    const bytes = this.options.reserveBytes;
    if (bytes <= 0) return;
    try {
      if (statSync(this.reservePath).size === bytes) return;
    } catch {}
    const temp = `${this.reservePath}.tmp`;
    const fd = openSync(temp, 'w', 0o600);
    try {
      const chunk = Buffer.alloc(Math.min(bytes, 64 * 1024));
      for (let written = 0; written < bytes; ) {
        written += writeSync(fd, chunk, 0, Math.min(chunk.length, bytes - written));
      }
      fsyncSync(fd);
    } catch (error) {
      closeSync(fd);
      rmSync(temp, { force: true });
      throw error;
    }
    closeSync(fd);
    renameSync(temp, this.reservePath);
  }

  private releaseReserve(): void {
    try {
      rmSync(this.reservePath, { force: true });
    } catch (err) {
      this.options.logger.warn({ err }, 'storage reserve could not be removed');
    }
  }

  private writeProbeFile(): void {
    const dir = join(this.options.dataDir, 'tmp');
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'storage-probe');
    const fd = openSync(path, 'w', 0o600);
    try {
      writeSync(fd, Buffer.alloc(PROBE_BYTES, 0x2e));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
      rmSync(path, { force: true });
    }
  }

  private fail(kind: StorageErrorKind, error: unknown, op: string): void {
    this.errorsTotal.inc({ kind, op });
    const message = error instanceof Error ? error.message : String(error);
    const wasOk = this.current.status === 'ok';
    this.current = {
      status: kind,
      message,
      sinceMs: wasOk ? this.options.now() : this.current.sinceMs,
      errors: this.current.errors + 1,
      checkedAt: this.current.checkedAt,
    };
    if (wasOk && kind === 'full') this.releaseReserve();
    if (wasOk) this.options.logger.error({ err: error, kind, op }, 'storage write failed');
    else this.options.logger.warn({ kind, op, message }, 'storage write failed again');
    if (op !== 'probe') this.announce();
  }

  private announce(): void {
    const state = this.state();
    for (const listener of this.listeners) {
      try {
        listener(state);
      } catch (err) {
        this.options.logger.error({ err }, 'storage state listener failed');
      }
    }
  }
}
