import { chiSquareSurvival } from './gamma';
import { assertCounts, assertSameLength } from './validate';

/** Result of a chi-square test; `dof` is the degrees of freedom the p-value was taken at. */
export interface ChiSquareResult {
  statistic: number;
  pValue: number;
  dof: number;
}

/**
 * Pearson chi-square test of homogeneity: did the class mix change between `expected` (baseline counts)
 * and `actual` (current counts)?
 *
 * Both vectors are samples, so this is the 2×k contingency test — equal to
 * `scipy.stats.chi2_contingency([expected, actual], correction=False)` — rather than a goodness-of-fit test
 * (`scipy.stats.chisquare`), which would treat the baseline proportions as exact and overstate
 * significance when the baseline is small. Classes empty in both vectors are dropped first (scipy refuses
 * them); dof = (non-empty classes − 1), and with one non-empty class the result is statistic 0, p-value 1.
 * No Yates correction, so 2-class and k-class results mean the same thing. With fleet-sized counts every
 * difference is "significant": gate on distances, keep this as information.
 * Throws a RangeError on mismatched lengths, negative or non-finite counts, or an all-zero vector.
 *
 * @example chiSquare([50, 50], [30, 70]) // { statistic: 8.333…, pValue: 0.00389…, dof: 1 }
 */
export function chiSquare(expected: ArrayLike<number>, actual: ArrayLike<number>): ChiSquareResult {
  assertSameLength('expected', expected, 'actual', actual);
  const totalE = assertCounts('expected', expected);
  const totalA = assertCounts('actual', actual);
  const total = totalE + totalA;
  let statistic = 0;
  let columns = 0;
  for (let i = 0; i < expected.length; i++) {
    const column = expected[i]! + actual[i]!;
    if (column === 0) continue;
    columns++;
    const fitE = (totalE * column) / total;
    const fitA = (totalA * column) / total;
    statistic += (expected[i]! - fitE) ** 2 / fitE + (actual[i]! - fitA) ** 2 / fitA;
  }
  const dof = columns - 1;
  if (dof === 0) return { statistic: 0, pValue: 1, dof };
  return { statistic, pValue: chiSquareSurvival(statistic, dof), dof };
}
