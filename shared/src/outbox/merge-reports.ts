import type { ProfileSpec } from '../profile';
import { mergeJsonInto, Profile } from '../profile';
import { type FeedbackAggregate, mergeFeedback } from '../protocol/feedback';
import type { TelemetryReport } from '../protocol/telemetry';
import { fail, type Result } from '../result';
import { mergeSoftwareMetrics } from './software';

/** Fields of one report made of several adjacent windows (the caller stamps ids and overflow counters). */
export type MergedWindows = Pick<
  TelemetryReport,
  'window' | 'model' | 'role' | 'specHash' | 'profile' | 'runtime'
> &
  Pick<TelemetryReport, 'software' | 'feedback'> & { inferences: number };

/**
 * Merges the reports of one stream (oldest first, as {@link planCompaction} groups them) into one window:
 * profiles by `Profile` merge under `spec`, the window from the first start to the last end, the newest
 * report's runtime, software metrics by {@link mergeSoftwareMetrics}. Never throws; an unreadable profile
 * fails the whole merge (the caller then drops the group, and counts it).
 * @example const merged = mergeWindowReports(group.map(readReport), spec); if (merged.ok) append(merged.value);
 */
export function mergeWindowReports(
  reports: readonly TelemetryReport[],
  spec: ProfileSpec,
): Result<MergedWindows> {
  const [first] = reports;
  if (!first) return fail({ kind: 'invalid', message: 'expected at least one report' });
  try {
    const profile = Profile.fromJSON(first.profile, spec);
    if (!profile.ok) return profile;
    let software = first.software;
    let feedback: FeedbackAggregate | undefined = first.feedback;
    let endMs = first.window.endMs;
    for (const report of reports.slice(1)) {
      const merged = mergeJsonInto(profile.value, report.profile);
      if (!merged.ok) return merged;
      if (report.feedback) {
        const sum = feedback
          ? mergeFeedback(feedback, report.feedback)
          : { ok: true as const, value: report.feedback };
        if (!sum.ok) return sum;
        feedback = sum.value;
      }
      software = mergeSoftwareMetrics(software, report.software);
      endMs = Math.max(endMs, report.window.endMs);
    }
    const newest = reports.at(-1)!;
    return {
      ok: true,
      value: {
        window: { startMs: first.window.startMs, endMs },
        model: first.model,
        role: first.role,
        specHash: first.specHash,
        profile: profile.value.toJSON() as TelemetryReport['profile'],
        runtime: newest.runtime,
        ...(software ? { software } : {}),
        ...(feedback ? { feedback } : {}),
        inferences: profile.value.inferences,
      },
    };
  } catch (error) {
    // A report read back from storage may be anything: never a crash.
    return fail({ kind: 'invalid', message: `reports could not be merged: ${String(error)}` });
  }
}
