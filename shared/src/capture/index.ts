export { admitSample, type BudgetRefusal, type CaptureDay, captureDayOf } from './budget';
export {
  type CaptureCounters,
  captureCountersSchema,
  emptyCaptureCounters,
  mergeCaptureCounters,
} from './counters';
export { type CaptureCandidate, captureReasons } from './decide';
export {
  CAPTURE_REASONS,
  type CapturePolicy,
  type CaptureReason,
  capturePolicySchema,
  MAX_CAPTURE_BYTES_PER_DAY,
  MAX_CLASS_QUOTAS,
  MAX_SAMPLE_BYTES,
} from './policy';
export { SAMPLE_CONTENT_TYPES, type SampleContentType, type SampleMeta, sampleMetaSchema } from './sample';
