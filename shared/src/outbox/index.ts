export {
  COMPACTION_LEVELS_MS,
  type CompactionOptions,
  type CompactionPlan,
  type OutboxEntry,
  planCompaction,
  streamKeyOf,
} from './compaction';
export { type MergedWindows, mergeWindowReports } from './merge-reports';
export { mergeSoftwareMetrics } from './software';
