export { betaQuantile, regularizedBeta } from './beta';
export { binomialCdf, binomialTrialsNeeded, clopperPearson } from './binomial';
export {
  type DivergenceInterval,
  type DivergenceOptions,
  jsDistanceInterval,
  psiInterval,
} from './divergence';
export type { Interval } from './interval';
export { moverDifference, moverRatio } from './mover';
export {
  noncentralChiSquareCdf,
  noncentralChiSquareSurvival,
  noncentralityInterval,
} from './noncentral-chi-square';
export { normalCdf, normalQuantile, normalSurvival } from './normal';
export { quantileInterval, quantileRanks, ratioOfIntervals } from './quantile-bounds';
export { createRandom, type Random } from './random';
export { advanceLook, alphaAtLook, LOOK_GROWTH, type LookState, perTestConfidence } from './sequential';
export { binCounts, binProbabilities, exactJsDistance, exactPsi, referenceEdges } from './simulate';
