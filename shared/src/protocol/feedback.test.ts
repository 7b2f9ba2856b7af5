import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Profile } from '../profile';
import { decideRoute } from './automation';
import { desiredStateSchema } from './desired';
import {
  emptyFeedback,
  type FeedbackAggregate,
  labelledTotal,
  MAX_FEEDBACK_CLASSES,
  mergeFeedback,
} from './feedback';
import { sampleDesired, sampleProfileSpec, sampleTelemetry } from './samples';
import { telemetryReportSchema } from './telemetry';

// A report of `inferences` inferences carrying `feedback`.
function reportWith(inferences: number, feedback?: unknown) {
  const profile = new Profile(sampleProfileSpec());
  for (let i = 0; i < inferences; i++) {
    profile.observeInputs({ brightness: 0.5 });
    profile.observeOutputs({ confidence: 0.95 });
  }
  return { ...sampleTelemetry(), profile: profile.toJSON(), ...(feedback ? { feedback } : {}) };
}

// 3 labelled: two `ok` answered `ok` (auto), one `defect` answered `ok` (review); 5 routed.
const valid = (): FeedbackAggregate => ({
  classes: ['ok', 'defect'],
  counts: [
    [2, 0],
    [1, 0],
  ],
  labels: { auto: { labelled: 2, correct: 2 }, review: { labelled: 1, correct: 0 } },
  routed: { auto: 3, review: 2 },
});

const messageOf = (value: unknown) => {
  const r = telemetryReportSchema.safeParse(value);
  return r.success ? 'ok' : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
};

describe('feedback aggregate in a telemetry report', () => {
  it('parses a report with a consistent aggregate, and an old report without one', () => {
    expect(messageOf(reportWith(5, valid()))).toBe('ok');
    expect(messageOf(reportWith(5))).toBe('ok');
  });

  it('refuses forged counts with a clear reason', () => {
    expect(messageOf(reportWith(2, valid()))).toMatch(
      /feedback\.counts: expected feedback labels \(3\) <= the window's inferences \(2\)/,
    );
    expect(messageOf(reportWith(4, valid()))).toMatch(
      /feedback\.routed: expected feedback\.routed\.auto \+ review \(5\) <= the window's inferences \(4\)/,
    );
    const f = valid();
    expect(messageOf(reportWith(5, { ...f, counts: [[2, 0], [1]] }))).toMatch(
      /expected counts to be a 2×2 matrix/,
    );
    expect(
      messageOf(
        reportWith(5, {
          ...f,
          counts: [
            [2, -1],
            [2, 0],
          ],
        }),
      ),
    ).toMatch(/feedback\.counts\.0\.1/);
    expect(
      messageOf(
        reportWith(5, {
          ...f,
          counts: [
            [1.5, 0],
            [1.5, 0],
          ],
        }),
      ),
    ).toMatch(/feedback\.counts\.0\.0/);
    expect(messageOf(reportWith(5, { ...f, classes: ['ok', 'ok'] }))).toMatch(/expected distinct classes/);
    expect(
      messageOf(reportWith(5, { ...f, labels: { ...f.labels, review: { labelled: 2, correct: 0 } } })),
    ).toMatch(/labels\.auto\.labelled \+ labels\.review\.labelled \(4\) to equal the matrix total \(3\)/);
    expect(
      messageOf(reportWith(5, { ...f, labels: { ...f.labels, review: { labelled: 1, correct: 1 } } })),
    ).toMatch(/to equal the matrix diagonal \(2\)/);
    expect(
      messageOf(reportWith(5, { ...f, labels: { ...f.labels, auto: { labelled: 2, correct: 3 } } })),
    ).toMatch(/labels\.auto\.correct <= labelled/);
    expect(messageOf(reportWith(5, { ...f, extra: 1 }))).not.toBe('ok');
    expect(messageOf({ ...reportWith(5, f), role: 'shadow' })).toMatch(
      /expected feedback only in an active report/,
    );
    const many = Array.from({ length: MAX_FEEDBACK_CLASSES + 1 }, (_, i) => `c${i}`);
    expect(messageOf(reportWith(5, emptyFeedback(many)))).toMatch(/feedback\.classes/);
  });

  it('merges by adding, and never across different classes', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(1000), { minLength: 4, maxLength: 4 }), ([a, b, c, d]) => {
        const x = emptyFeedback(['ok', 'defect']);
        x.counts = [
          [a!, b!],
          [c!, d!],
        ];
        const m = mergeFeedback(x, x);
        expect(m.ok && labelledTotal(m.value)).toBe(2 * (a! + b! + c! + d!));
      }),
    );
    expect(mergeFeedback(emptyFeedback(['a', 'b']), emptyFeedback(['b', 'a'])).ok).toBe(false);
  });
});

describe('automation level and decision route', () => {
  const sure = { confidence: 0.97, margin: 0.94 };
  const unsure = { confidence: 0.8, margin: 0.6 };
  const partial = { level: 'partial', minConfidence: 0.9, minMargin: 0.5 } as const;

  it('routes by level, τ and μ', () => {
    expect(decideRoute({ level: 'shadow' }, sure).route).toBe('review');
    expect(decideRoute({ level: 'assist' }, sure).route).toBe('review');
    expect(decideRoute({ level: 'full' }, unsure).route).toBe('auto');
    expect(decideRoute(partial, sure)).toEqual({
      route: 'auto',
      reason: 'partial: confidence 0.97 ≥ τ 0.9, margin 0.94 ≥ μ 0.5',
    });
    expect(decideRoute(partial, unsure).route).toBe('review');
    expect(decideRoute(partial, { confidence: 0.95, margin: 0.4 }).reason).toMatch(/margin 0\.4 < μ 0\.5/);
    expect(decideRoute(partial, undefined).route).toBe('review');
  });

  it('is carried in the desired state; absent still parses; nonsense refused', () => {
    expect(desiredStateSchema.safeParse(sampleDesired()).success).toBe(true);
    expect(desiredStateSchema.safeParse({ ...sampleDesired(), automation: partial }).success).toBe(true);
    expect(
      desiredStateSchema.safeParse({ ...sampleDesired(), automation: { level: 'partial' } }).success,
    ).toBe(false);
    expect(
      desiredStateSchema.safeParse({ ...sampleDesired(), automation: { ...partial, minConfidence: 1.5 } })
        .success,
    ).toBe(false);
    expect(desiredStateSchema.safeParse({ ...sampleDesired(), automation: { level: 'auto' } }).success).toBe(
      false,
    );
  });
});
