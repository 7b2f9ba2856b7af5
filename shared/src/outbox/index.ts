export {
  COMPACTION_LEVELS_MS,
  type CompactionOptions,
  type CompactionPlan,
  type OutboxEntry,
  planCompaction,
  streamKeyOf,
} from './compaction';
export { mergeSoftwareMetrics } from './software';
