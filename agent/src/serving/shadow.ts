import type { AgentTensor } from '../runtime/tensor';

/** Outcome of comparing the active and shadow outputs of one input. */
export interface ShadowComparison {
  agreed: boolean;
  maxAbsDiff: number;
}

function argmaxRow(data: ArrayLike<number | bigint>, from: number, to: number): number {
  let best = from;
  for (let i = from + 1; i < to; i++) if (Number(data[i]) > Number(data[best])) best = i;
  return best - from;
}

/**
 * Compares the first outputs: agreement is the same top-1 in every batch row (`[N, K]`, K = last
 * dims multiplied), max abs diff is over every element. Different shapes disagree with diff Infinity.
 */
export function compareOutputs(a: AgentTensor | undefined, b: AgentTensor | undefined): ShadowComparison {
  if (!a || !b || a.data.length !== b.data.length || a.data.length === 0) {
    return { agreed: false, maxAbsDiff: Number.POSITIVE_INFINITY };
  }
  let maxAbsDiff = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs(Number(a.data[i]) - Number(b.data[i]));
    if (d > maxAbsDiff || Number.isNaN(d)) maxAbsDiff = d;
  }
  const rows = a.dims.length > 1 ? a.dims[0]! : 1;
  const k = a.data.length / Math.max(rows, 1);
  let agreed = true;
  for (let r = 0; r < rows && agreed; r++) {
    agreed = argmaxRow(a.data, r * k, (r + 1) * k) === argmaxRow(b.data, r * k, (r + 1) * k);
  }
  return { agreed, maxAbsDiff };
}
