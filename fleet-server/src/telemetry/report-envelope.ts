import {
  checkFeedbackAgainstWindow,
  fail,
  MAX_REPORTS_PER_BATCH,
  type MessageOptions,
  parseMessage,
  type Result,
  type TelemetryReport,
  telemetryReportSchema,
} from '@edgefleet/shared';
import { z } from 'zod';
import { memberText } from './member-text';

/**
 * A telemetry report whose envelope (ids, seq, window, model, runtime, …) passed the shared report schema and
 * whose profile is still unchecked: the ingestor validates it exactly once, with `Profile.fromJSON` under the
 * version's spec (the full report schema would validate it a second time, which doubles the ingest cost).
 */
export type ReportEnvelope = Omit<TelemetryReport, 'profile'> & {
  profile: unknown;
  /** The profile's JSON text as received, when the transport had the payload text (stored as is). */
  profileText?: string;
};

/** The shared report schema with the profile left to `Profile.fromJSON`. */
export const reportEnvelopeSchema = z.object({ ...telemetryReportSchema.shape, profile: z.unknown() });

/** The shared batch schema over envelopes. */
export const envelopeBatchSchema = z.object({
  reports: z.array(reportEnvelopeSchema).min(1).max(MAX_REPORTS_PER_BATCH),
});

/** The shared report schema's cross-field rules, which the envelope schema leaves out. */
export function checkEnvelope(report: ReportEnvelope, path = ''): Result<ReportEnvelope> {
  if (report.window.endMs < report.window.startMs) {
    return fail({
      kind: 'invalid',
      message: 'expected window.endMs >= window.startMs',
      path: `${path}window.endMs`,
    });
  }
  const profile = report.profile;
  if (
    typeof profile !== 'object' ||
    profile === null ||
    (profile as { specHash?: unknown }).specHash !== report.specHash
  ) {
    return fail({
      kind: 'invalid',
      message: 'expected profile.specHash to equal the report specHash',
      path: `${path}profile.specHash`,
    });
  }
  if (report.feedback) {
    if (report.role !== 'active')
      return fail({
        kind: 'invalid',
        message: 'expected feedback only in an active report',
        path: `${path}feedback`,
      });
    // Forged label counts beyond what the window served are refused here, before anything is stored.
    const inferences = (profile as { inferences?: unknown }).inferences;
    const checked = checkFeedbackAgainstWindow(
      report.feedback,
      typeof inferences === 'number' && Number.isSafeInteger(inferences) && inferences >= 0 ? inferences : 0,
    );
    if (!checked.ok) return fail({ ...checked.error, path: `${path}${checked.error.path ?? 'feedback'}` });
  }
  return { ok: true, value: report };
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Parses one report payload (size limit, JSON, protocol version, envelope schema); never throws. */
export function parseReportEnvelope(
  payload: string | Uint8Array,
  options: MessageOptions,
): Result<ReportEnvelope> {
  let text: string | undefined = typeof payload === 'string' ? payload : undefined;
  // Decoded here (limit first) so that the profile's text can be kept as received.
  if (typeof payload !== 'string' && payload.byteLength <= (options.maxBytes ?? Number.POSITIVE_INFINITY)) {
    try {
      text = decoder.decode(payload);
    } catch {
      // not UTF-8: parseMessage says so
    }
  }
  const parsed = parseMessage(reportEnvelopeSchema, text ?? payload, options);
  if (!parsed.ok) return parsed;
  const checked = checkEnvelope(parsed.value as ReportEnvelope);
  if (checked.ok && text !== undefined) checked.value.profileText = memberText(text, 'profile');
  return checked;
}
