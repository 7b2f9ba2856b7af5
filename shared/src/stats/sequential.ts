/**
 * Sequential looks by alpha spending. A gate is re-evaluated at every controller tick, but the error budget α is
 * spent per *look*, and a new look starts only once the candidate's sample grew by {@link LOOK_GROWTH}× since the
 * previous one (ticks in between re-test data that grew by less than half, strongly correlated with the last
 * look's, at that look's level; a pass takes effect only at the tick that opens a pass look, since a pass allowed
 * on any of those re-tests errs more often than the look's α). Look k gets α·6/(π²k²), so all looks together never
 * spend more than α (Σ 1/k² = π²/6); early looks get the most, so strong evidence decides early and weak evidence
 * waits. The
 * seeded simulation (`gates.false_rollback_rate`) measures the whole stage's error rate with a look every tick.
 */

/** Growth of the sample that opens a new look. */
export const LOOK_GROWTH = 1.5;

/** Where the looks stand: the current look (1-based; 0 before the first) and the sample size that opened it. */
export interface LookState {
  look: number;
  n: number;
}

/** α spent at look `k` (1-based) of a budget `alpha`: α·6/(π²k²). */
export function alphaAtLook(alpha: number, look: number): number {
  if (!(look >= 1)) throw new RangeError(`look: expected an integer >= 1, got ${look}`);
  return (alpha * 6) / (Math.PI ** 2 * look * look);
}

/** The look for a sample of `n`: the same look until n reached LOOK_GROWTH× the n that opened it, then the next. */
export function advanceLook(state: LookState | null, n: number): LookState {
  if (!state || state.look === 0) return { look: 1, n };
  return n >= state.n * LOOK_GROWTH ? { look: state.look + 1, n } : state;
}

/**
 * The confidence of each single interval so that `tests` tests at look `look` together err with at most
 * `(1 − confidence)·6/(π²·look²)` (Bonferroni over the family, alpha spending over looks).
 * @example perTestConfidence(0.99, 1, 20) // 1 − 0.01·0.6079/20 ≈ 0.999696
 */
export function perTestConfidence(confidence: number, look: number, tests: number): number {
  if (!(confidence > 0 && confidence < 1))
    throw new RangeError(`confidence: expected a number in (0, 1), got ${confidence}`);
  return 1 - alphaAtLook(1 - confidence, Math.max(1, look)) / Math.max(1, tests);
}

/**
 * The two-sided level whose one tail is a one-sided test's error: a breach looks only at the bound on the far side
 * of the threshold, a pass only at the near one, so each test errs on one tail, not two.
 */
function oneSided(level: number): number {
  return 1 - 2 * (1 - level);
}

/**
 * Level of each gate's breach test at breach look `look` among `tests` gates: any one breach acts, so the look's
 * α is split over the gates (Bonferroni); one-sided (the bound past the threshold).
 * @example breachLevel(0.99, 1, 10) // two-sided 0.99878…: one tail of 0.00061
 */
export function breachLevel(confidence: number, look: number, tests: number): number {
  return oneSided(perTestConfidence(confidence, look, tests));
}

/**
 * Level of each gate's pass test at pass look `look`: a stage passes only when every gate passes, so a wrong pass
 * needs a wrong pass of a gate that is truly past its threshold and each pass test keeps the look's whole α
 * (intersection-union); one-sided (the bound on the near side). Pass looks are counted only where a pass can
 * advance the stage (after its minimum duration).
 * @example passLevel(0.99, 1) // two-sided 0.98784…: one tail of 0.00608
 */
export function passLevel(confidence: number, look: number): number {
  return oneSided(perTestConfidence(confidence, look, 1));
}
