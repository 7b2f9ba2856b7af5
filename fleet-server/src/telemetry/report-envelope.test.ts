import { emptyFeedback } from '@edgefleet/shared';
import { describe, expect, it } from 'vitest';
import { clsReport, clsWindowProfile } from './fixtures';
import { parseReportEnvelope } from './report-envelope';

const parse = (value: unknown) => parseReportEnvelope(JSON.stringify(value), { maxBytes: 1 << 20 });

describe('feedback in a report envelope', () => {
  const feedback = (labelled: number) => {
    const f = emptyFeedback(['0', '180']);
    f.counts[0]![0] = labelled;
    f.labels.auto = { labelled, correct: labelled };
    f.routed.auto = labelled;
    return f;
  };

  it('accepts an aggregate within the window, and a report without one', () => {
    expect(parse({ ...clsReport('a', 1, clsWindowProfile(1, 10)), feedback: feedback(10) }).ok).toBe(true);
    expect(parse(clsReport('a', 1, clsWindowProfile(1, 10))).ok).toBe(true);
  });

  it('refuses forged label counts beyond the inferences of the window, with the reason', () => {
    const forged = parse({ ...clsReport('a', 1, clsWindowProfile(1, 10)), feedback: feedback(11) });
    expect(forged).toMatchObject({
      ok: false,
      error: {
        message: "expected feedback labels (11) <= the window's inferences (10)",
        path: 'feedback.counts',
      },
    });
    const shadow = parse({
      ...clsReport('a', 1, clsWindowProfile(1, 10)),
      role: 'shadow',
      feedback: feedback(1),
    });
    expect(shadow).toMatchObject({
      ok: false,
      error: { message: 'expected feedback only in an active report' },
    });
    const lopsided = { ...feedback(3), counts: [[3, 0]] };
    expect(parse({ ...clsReport('a', 1, clsWindowProfile(1, 10)), feedback: lopsided }).ok).toBe(false);
  });
});
