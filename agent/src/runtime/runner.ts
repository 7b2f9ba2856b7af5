import type { AgentTensor } from './tensor';

/** onnxruntime session options the agent sets explicitly (never left to defaults: see DESIGN pitfalls). */
export interface SessionOptions {
  intraOpNumThreads: number;
  interOpNumThreads: number;
  graphOptimizationLevel: 'disabled' | 'basic' | 'extended' | 'all';
  /** Let intra-op threads spin after a run (lower latency under constant load, more CPU). Default off. */
  allowSpinning?: boolean;
  /**
   * Where `run` executes: `process` (a child process per version), `inline` (the agent's JS thread), or
   * `auto` (default): inline when a warm run measured in the child takes at most {@link inlineMaxMs}.
   */
  placement?: 'auto' | 'process' | 'inline';
  /** `auto` keeps a model inline up to this warm run time (ms). Default {@link DEFAULT_INLINE_MAX_MS}. */
  inlineMaxMs?: number;
  /** A run in the inference process taking longer than this is killed and fails (ms). Default 60 s. */
  hangMs?: number;
}

/**
 * Models up to 4 ms stay on the JS thread: the hop to a child process costs ~0.1–0.3 ms a run (measured on
 * 2 shared cores), 5 % or more of such a model, while the event loop stalls no longer than the 5 ms the
 * agent promises. Slower models (det at 320×320: ~15–50 ms) run in their own process.
 */
export const DEFAULT_INLINE_MAX_MS = 4;

export const DEFAULT_SESSION_OPTIONS: SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
};

/** The names and input shapes a loaded model declares. */
export interface ModelSignature {
  inputNames: readonly string[];
  outputNames: readonly string[];
  /** Declared input shapes; dynamic dims are strings or -1. */
  inputShapes: ReadonlyMap<string, readonly (number | string)[]>;
}

/** Executes a loaded model: on the JS thread ({@link InlineRunner}) or in a child process ({@link ProcessRunner}). */
export interface ModelRunner {
  readonly placement: 'inline' | 'process';
  readonly signature: ModelSignature;
  run(feeds: Record<string, AgentTensor>): Promise<Record<string, AgentTensor>>;
  release(): Promise<void>;
}

/** The onnxruntime-node options object for {@link SessionOptions} (plain data: it also crosses to the child). */
export function ortSessionOptions(options: SessionOptions) {
  return {
    intraOpNumThreads: options.intraOpNumThreads,
    interOpNumThreads: options.interOpNumThreads,
    graphOptimizationLevel: options.graphOptimizationLevel,
    executionMode: 'sequential' as const,
    // No busy-waiting pool threads after a run: on a small shared box they steal the core the
    // JS thread needs for statistics and I/O (and burn power on an idle station).
    extra: { session: { intra_op: { allow_spinning: options.allowSpinning ? '1' : '0' } } },
  };
}
