import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BudgetExceeded, Busy, RemoteFleetError } from '../../errors';
import type { JobError, JobMessage, ModelJob, ModelJobResult } from './protocol';

export type { ModelJob, ModelJobResult, ReferenceSource } from './protocol';

const ENTRY = fileURLToPath(new URL('./entry.mjs', import.meta.url));

/** The budget of one model job. */
export interface JobBudget {
  /** Wall time from the job's start to its answer (ms). */
  timeoutMs: number;
  /** The job process's resident memory (RSS, all of it: V8, onnxruntime, decoded images), and its V8 heap (MiB). */
  memoryMb: number;
}

function revive(error: JobError): Error {
  if (error.status !== undefined && error.code !== undefined) {
    return new RemoteFleetError(
      error.status as RemoteFleetError['status'],
      error.code,
      error.message,
      error.details as RemoteFleetError['details'],
    );
  }
  return Object.assign(new Error(error.message), error.errno ? { code: error.errno } : {});
}

/** Resident memory of a process in MiB from /proc (Linux); null where there is none. */
function rssMbOf(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Runs `job` in a child process of its own. onnxruntime holds the thread it runs on for a whole batch, so on the
 * main thread HTTP, MQTT, acks and rollout ticks would stall behind it. A process rather than a worker thread: a
 * job past its budget must be stopped in the middle of a native call, and SIGKILL does that safely where
 * `worker.terminate()` during an onnxruntime or sharp call can abort the whole server (seen here: "terminate
 * called after throwing an instance of 'Napi::Error'"); and its memory is its own, so the budget is its RSS
 * (V8 heap, onnxruntime, decoded images), watched every 100 ms, with V8's heap capped at the same size. Past the
 * budget: BudgetExceeded, 422 `baseline_timeout` / `baseline_out_of_memory`. Every byte goes back when it ends
 * (onnxruntime keeps memory across sessions, ort #25325).
 */
export function runModelJob(job: ModelJob, budget: JobBudget, signal?: AbortSignal): Promise<ModelJobResult> {
  const child: ChildProcess = fork(ENTRY, [], {
    execArgv: [`--max-old-space-size=${budget.memoryMb}`],
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  return new Promise<ModelJobResult>((resolve, reject) => {
    let settled = false;
    const finish = (settle: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(watch);
      signal?.removeEventListener('abort', onAbort);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      settle();
    };
    const outOfMemory = (what: string) =>
      new BudgetExceeded(
        'baseline_out_of_memory',
        `the model job needed more than its memory budget of ${budget.memoryMb} MiB (${what}); use a smaller reference set or model, or raise --baseline-memory-mb`,
        { field: 'baseline', budgetMb: budget.memoryMb },
      );
    const timer = setTimeout(() => {
      finish(() =>
        reject(
          new BudgetExceeded(
            'baseline_timeout',
            `the model job was stopped after its time budget of ${budget.timeoutMs} ms; use a smaller reference set, or raise --baseline-timeout-ms`,
            { field: 'baseline', budgetMs: budget.timeoutMs },
          ),
        ),
      );
    }, budget.timeoutMs);
    const watch = setInterval(() => {
      const rssMb = child.pid === undefined ? null : rssMbOf(child.pid);
      if (rssMb !== null && rssMb > budget.memoryMb) {
        finish(() => reject(outOfMemory(`its RSS reached ${Math.round(rssMb)} MiB`)));
      }
    }, 100);
    child.once('message', (message: JobMessage) =>
      finish(() => (message.ok ? resolve(message.result) : reject(revive(message.error)))),
    );
    child.once('error', (error) => finish(() => reject(error)));
    const onAbort = () => finish(() => reject(new Error('model job stopped: the server is closing')));
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    child.once('exit', (code, signal) =>
      finish(() =>
        reject(
          /heap out of memory/i.test(stderr)
            ? outOfMemory('V8 heap limit reached')
            : new Error(
                `model job process exited (${signal ?? `code ${code}`}): ${stderr.trim().slice(-500)}`,
              ),
        ),
      ),
    );
    child.send(job);
  });
}

/** A server's model jobs: at most `concurrency` at once (more answer 503 `baseline_busy`), each within `budget`. */
export class ModelJobs {
  private running = 0;
  private readonly closing = new AbortController();

  constructor(private readonly options: JobBudget & { concurrency: number }) {}

  /** Runs `job` in its own process within the budget; Busy when every slot is taken. */
  async run(job: ModelJob): Promise<ModelJobResult> {
    if (this.running >= this.options.concurrency) {
      throw new Busy(
        `${this.running} model job(s) are running (--baseline-concurrency ${this.options.concurrency}); retry shortly`,
        5,
      );
    }
    this.running++;
    try {
      return await runModelJob(job, this.options, this.closing.signal);
    } finally {
      this.running--;
    }
  }

  /** Kills the jobs that run (their requests fail); a closed server starts no more. */
  close(): void {
    this.closing.abort();
  }
}
