import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  closeSync,
  constants,
  ftruncateSync,
  openSync,
  readSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { AgentError } from '../errors';
import { type ModelRunner, type ModelSignature, ortSessionOptions, type SessionOptions } from './runner';
import { type AgentTensor, TENSOR_ARRAYS } from './tensor';

// Beside this file in the sources and in dist/ (scripts/build.mjs copies it): plain ESM, no tsx needed.
const CHILD_ENTRY = fileURLToPath(new URL('./inference-process.mjs', import.meta.url));
const DEFAULT_HANG_MS = 60_000;
const LOAD_TIMEOUT_MS = 120_000;
const CLOSE_GRACE_MS = 5_000;
/** A shared file that grew past this for one run is emptied after it (tmpfs pages are memory). */
const KEEP_SHARED_BYTES = 64 << 20;

/** A tensor in the shared file: its bytes at `offset`. */
interface WireTensor {
  name: string;
  dtype: string;
  dims: number[];
  offset: number;
  bytes: number;
}

type FromChild =
  | {
      t: 'ready';
      inputNames: string[];
      outputNames: string[];
      inputs: { name: string; shape: (number | string)[] }[];
    }
  | { t: 'load_error'; message: string }
  | { t: 'result'; id: number; outputs: WireTensor[]; runMs: number }
  | { t: 'error'; id: number; message: string };

interface Proc {
  child: ChildProcess;
  /** The shared file (unlinked at once: it lives as long as the two processes hold it). */
  fd: number;
  stderr: string;
  killReason?: string;
  exited: Promise<void>;
}

interface PendingRun {
  id: number;
  proc: Proc;
  resolve: (m: { outputs: WireTensor[]; runMs: number }) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/** tmpfs when there is one: the shared file's pages then never touch a disk. */
function sharedDir(): string {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;

function writeFully(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.byteLength)
    done += writeSync(fd, bytes, done, bytes.byteLength - done, position + done);
}

function readFully(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.byteLength) {
    const n = readSync(fd, bytes, done, bytes.byteLength - done, position + done);
    if (n === 0) throw new Error(`shared buffer ended at byte ${position + done}`);
    done += n;
  }
}

const exitText = (code: number | null, signal: NodeJS.Signals | null) =>
  signal ? `signal ${signal}` : `code ${code}`;

/**
 * Runs one model version in its own child process (inference-process.mjs), so a slow `run` never holds
 * the agent's event loop, a native crash never takes the agent down, and the process (with whatever
 * onnxruntime did not give back, #25325) goes away with the version. Measured against `worker_threads`:
 * the same hop cost, but terminating a worker during a run aborts the whole agent process
 * (`terminate called after throwing an instance of 'Napi::Error'`), and a worker's native memory stays.
 * Tensors cross through a shared tmpfs file, one copy each way (pwrite in, pread out). Runs queue: one at
 * a time per process, as onnxruntime runs them anyway. A process that dies fails the run in flight with
 * `runtime_crashed` and is started again for the next.
 */
export class ProcessRunner implements ModelRunner {
  readonly placement = 'process';
  signature!: ModelSignature;
  /** Times the process was started again after it died. */
  restarts = 0;
  private proc: Proc | null = null;
  private starting: Promise<Proc> | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private pending: PendingRun | null = null;
  private released = false;
  private nextId = 1;
  private readonly hangMs: number;

  private constructor(
    private readonly modelPath: string,
    private readonly options: SessionOptions,
    private readonly label: string,
    private readonly logger: Logger | undefined,
  ) {
    this.hangMs = options.hangMs ?? DEFAULT_HANG_MS;
  }

  /** Starts the process and loads the model in it; rejects with onnxruntime's reason. */
  static async start(
    modelPath: string,
    options: SessionOptions,
    label: string,
    logger?: Logger,
  ): Promise<ProcessRunner> {
    const runner = new ProcessRunner(modelPath, options, label, logger);
    await runner.ensureProcess();
    return runner;
  }

  /** The inference process's pid (undefined while it is being started again). */
  get pid(): number | undefined {
    return this.proc?.child.pid;
  }

  /** Runs the model in the process; warm-run time as the child measured it is in {@link lastRunMs}. */
  run(feeds: Record<string, AgentTensor>): Promise<Record<string, AgentTensor>> {
    const result = this.queue.then(() => this.runNow(feeds));
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** The child's own time for the last run (ms), without the hop. */
  lastRunMs = Number.NaN;

  private async runNow(feeds: Record<string, AgentTensor>): Promise<Record<string, AgentTensor>> {
    if (this.released) throw new Error(`session ${this.label} was released`);
    let proc: Proc;
    try {
      proc = await this.ensureProcess();
    } catch (err) {
      throw new AgentError(
        'runtime_crashed',
        `inference process of ${this.label} could not be started: ${(err as Error).message}`,
      );
    }
    const wire: WireTensor[] = [];
    let offset = 0;
    for (const [name, t] of Object.entries(feeds)) {
      const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      writeFully(proc.fd, bytes, offset);
      wire.push({ name, dtype: t.dtype, dims: [...t.dims], offset, bytes: bytes.byteLength });
      offset = align8(offset + bytes.byteLength);
    }
    const reply = await new Promise<{ outputs: WireTensor[]; runMs: number }>((resolve, reject) => {
      const id = this.nextId++;
      // Ref'd: a caller awaiting an answer keeps the agent alive (the child and its channel are unref'd).
      const timer = setTimeout(
        () => this.kill(proc, `no answer within hangMs ${this.hangMs} ms`),
        this.hangMs,
      );
      this.pending = { id, proc, resolve, reject, timer };
      proc.child.send({ t: 'run', id, feeds: wire, outOffset: offset });
    });
    this.lastRunMs = reply.runMs;
    const result: Record<string, AgentTensor> = {};
    let end = offset;
    for (const out of reply.outputs) {
      const Ctor = TENSOR_ARRAYS[out.dtype]!;
      const buffer = new ArrayBuffer(out.bytes);
      readFully(proc.fd, new Uint8Array(buffer), out.offset);
      result[out.name] = { data: new Ctor(buffer), dims: out.dims, dtype: out.dtype as AgentTensor['dtype'] };
      end = out.offset + out.bytes;
    }
    if (end > KEEP_SHARED_BYTES) ftruncateSync(proc.fd, 0);
    return result;
  }

  private ensureProcess(): Promise<Proc> {
    if (this.proc) return Promise.resolve(this.proc);
    if (this.released) return Promise.reject(new Error(`session ${this.label} was released`));
    this.starting ??= this.spawn().finally(() => {
      this.starting = null;
    });
    return this.starting;
  }

  private spawn(): Promise<Proc> {
    const path = join(sharedDir(), `edgefleet-infer-${process.pid}-${randomBytes(6).toString('hex')}`);
    const fd = openSync(path, 'w+', 0o600);
    unlinkSync(path);
    let child: ChildProcess;
    try {
      // No tsx or test-runner flags in the child: only the agent's own V8 flag (scripts/node-flags.mjs).
      child = fork(CHILD_ENTRY, [], {
        execArgv: ['--max-semi-space-size=2'],
        serialization: 'json',
        stdio: ['ignore', 'ignore', 'pipe', 'ipc', fd],
      });
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    const proc: Proc = { child, fd, stderr: '', exited: Promise.resolve() };
    proc.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        closeSync(fd);
        this.onExit(proc, code, signal);
        resolve();
      });
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      proc.stderr = (proc.stderr + chunk.toString()).slice(-2000);
    });
    child.unref();
    child.channel?.unref();
    (child.stderr as Readable & { unref?: () => void }).unref?.();
    return new Promise<Proc>((resolve, reject) => {
      const timer = setTimeout(
        () => this.kill(proc, `not loaded within ${LOAD_TIMEOUT_MS} ms`),
        LOAD_TIMEOUT_MS,
      );
      const fail = (message: string) => {
        clearTimeout(timer);
        reject(new Error(message));
      };
      child.on('error', (err) => {
        if (this.proc !== proc) fail(err.message);
      });
      child.once('exit', (code, signal) => {
        if (this.proc !== proc)
          fail(`inference process exited (${exitText(code, signal)}) while loading${this.tail(proc)}`);
      });
      child.on('message', (m: FromChild) => {
        if (m.t === 'ready') {
          clearTimeout(timer);
          this.signature = {
            inputNames: m.inputNames,
            outputNames: m.outputNames,
            inputShapes: new Map(m.inputs.map((i) => [i.name, i.shape])),
          };
          this.proc = proc;
          resolve(proc);
        } else if (m.t === 'load_error') {
          fail(m.message);
        } else {
          this.onAnswer(m);
        }
      });
      child.send({ t: 'init', modelPath: this.modelPath, options: ortSessionOptions(this.options) });
    });
  }

  private onAnswer(m: Extract<FromChild, { id: number }>): void {
    const pending = this.pending;
    if (!pending || pending.id !== m.id) return;
    this.pending = null;
    clearTimeout(pending.timer);
    if (m.t === 'result') pending.resolve(m);
    else pending.reject(new Error(m.message));
  }

  private onExit(proc: Proc, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.proc !== proc) return;
    this.proc = null;
    const pending = this.pending;
    const how = proc.killReason ?? `exited (${exitText(code, signal)})`;
    if (pending?.proc === proc) {
      this.pending = null;
      clearTimeout(pending.timer);
      pending.reject(
        new AgentError(
          'runtime_crashed',
          `inference process of ${this.label} ${how} during the run${this.tail(proc)}`,
        ),
      );
    }
    if (this.released) return;
    this.restarts++;
    this.logger?.warn(
      { model: this.label, reason: how, restarts: this.restarts },
      'inference process died; starting it again',
    );
    this.ensureProcess().catch((err) =>
      this.logger?.error(
        { model: this.label, err: (err as Error).message },
        'inference process did not start again',
      ),
    );
  }

  private kill(proc: Proc, reason: string): void {
    proc.killReason = reason;
    proc.child.kill('SIGKILL');
  }

  private tail(proc: Proc): string {
    const text = proc.stderr.trim().split('\n').slice(-3).join(' | ');
    return text ? `: ${text}` : '';
  }

  /** Stops the process after the runs queued before this call. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.queue;
    const proc = this.proc ?? (await this.starting?.catch(() => null)) ?? null;
    if (!proc) return;
    const grace = setTimeout(() => this.kill(proc, 'did not close'), CLOSE_GRACE_MS);
    try {
      proc.child.send({ t: 'close' });
    } catch {
      this.kill(proc, 'channel closed');
    }
    await proc.exited;
    clearTimeout(grace);
  }
}
