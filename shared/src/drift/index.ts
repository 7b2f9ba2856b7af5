export { type ChiSquareResult, chiSquare } from './chi-square';
export { jensenShannonDistance } from './jensen-shannon';
export { ksFromHistograms, ksStatistic } from './ks';
export { psi } from './psi';
export {
  type ClassDrift,
  type DriftReport,
  driftReport,
  type FeatureDrift,
  MISSING_CLASS_LABEL,
  OTHER_CLASS_LABEL,
} from './report';
export {
  DEFAULT_DRIFT_THRESHOLDS,
  type DriftMetric,
  type DriftThresholdOverrides,
  type DriftThresholdPatch,
  type DriftThresholds,
  type DriftVerdict,
  type MetricThresholds,
} from './thresholds';
export { wasserstein1 } from './wasserstein';
