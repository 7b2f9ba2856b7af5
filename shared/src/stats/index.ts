export { betaQuantile, regularizedBeta } from './beta';
export { binomialCdf, binomialTrialsNeeded, clopperPearson } from './binomial';
export {
  type AccuracyEstimates,
  type CalibrationCheck,
  type CalibrationCounts,
  checkCalibration,
  type EstimateInterval,
  estimateAccuracy,
} from './calibration-estimate';
export {
  binomialInnovation,
  ChangeDetector,
  type ChangeDetectorOptions,
  type ChangeStreamKind,
  type ChangeStreamView,
  countAbove,
  histogramInnovation,
  streamCount,
  summarizeProfile,
  type WindowSummary,
  wilsonHilferty,
} from './change-streams';
export {
  CONCEPT_DRIFT_WINDOWS_PER_DAY,
  ConceptDriftDetector,
  type ConceptDriftOptions,
  type ConceptDriftView,
} from './concept-drift';
export {
  simulateConceptDriftDelays,
  simulateConceptDriftFalseAlarms,
  simulateConceptDriftRun,
} from './concept-drift-simulation';
export {
  CUSUM_START,
  type CusumDesign,
  type CusumDesignInput,
  type CusumParameters,
  type CusumState,
  cusumAverageRunLength,
  cusumStep,
  cusumThreshold,
  designCusum,
} from './cusum';
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
export { inferencesToDecide, PLAN_MAX_INFERENCES, type PlannedGate, type PlanOptions } from './plan';
export { quantileInterval, quantileRanks, ratioOfIntervals } from './quantile-bounds';
export { createRandom, type Random } from './random';
export {
  advanceLook,
  alphaAtLook,
  breachLevel,
  LOOK_GROWTH,
  type LookState,
  passLevel,
  perTestConfidence,
} from './sequential';
export { binCounts, binProbabilities, exactJsDistance, exactPsi, referenceEdges } from './simulate';
export { type Stratum, stratifiedProportion } from './stratified';
