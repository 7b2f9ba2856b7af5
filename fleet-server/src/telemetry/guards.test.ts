import { describe, expect, it } from 'vitest';
import { clsReport, clsWindowProfile } from './fixtures';
import { DEFAULT_TELEMETRY_LIMITS, implausibility, TelemetryGuards } from './guards';
import type { ReportEnvelope } from './report-envelope';

const report = (clientId: string, seq: number, inferences = 60) =>
  clsReport(clientId, seq, clsWindowProfile(seq, inferences)) as unknown as ReportEnvelope;

describe('implausibility', () => {
  it('passes honest reports and names what does not add up', () => {
    expect(implausibility(report('c', 1), DEFAULT_TELEMETRY_LIMITS)).toBeNull();
    const r = report('c', 2, 2);
    const profile = r.profile as { inferences: number; shadow: { compared: number } };
    expect(
      implausibility({ ...r, profile: { ...profile, inferences: 3 } }, DEFAULT_TELEMETRY_LIMITS),
    ).toMatch(/inputs\.0 counts 2 values for 3 inferences/);
    expect(
      implausibility(
        { ...r, profile: { ...profile, shadow: { ...profile.shadow, compared: 5 } } },
        DEFAULT_TELEMETRY_LIMITS,
      ),
    ).toMatch(/shadow compared 5 of 2/);
    const long = { ...r, window: { startMs: 0, endMs: 8 * 86_400_000 } };
    expect(implausibility(long, DEFAULT_TELEMETRY_LIMITS)).toMatch(/window of/);
    const dense = report('c', 3, 61);
    expect(implausibility(dense, { ...DEFAULT_TELEMETRY_LIMITS, maxInferencesPerS: 1 })).toMatch(
      /exceed 1\/s/,
    );
  });
});

describe('TelemetryGuards', () => {
  it('holds one client id to its report and inference budgets, refilled over time', () => {
    const clock = { nowMs: 0 };
    const guards = new TelemetryGuards(
      { ...DEFAULT_TELEMETRY_LIMITS, clientReportsPerS: 1, appReportsPerS: 1e6 },
      () => clock.nowMs,
    );
    const source = { scope: 'app' as const, sourceId: 'shop' };
    let accepted = 0;
    for (let seq = 1; seq <= 700; seq++) if (guards.check(source, report('one', seq)).ok) accepted++;
    expect(accepted).toBe(600); // the burst
    expect(guards.check(source, report('other', 1)).ok).toBe(true); // another client has its own
    clock.nowMs += 10_000;
    accepted = 0;
    for (let seq = 701; seq <= 720; seq++) if (guards.check(source, report('one', seq)).ok) accepted++;
    expect(accepted).toBe(10);
    // Inferences: at most maxInferencesPerS × 3600 in hand.
    const tight = new TelemetryGuards(
      { ...DEFAULT_TELEMETRY_LIMITS, maxInferencesPerS: 1 },
      () => clock.nowMs,
    );
    const verdicts = Array.from({ length: 70 }, (_, i) => tight.check(source, report('one', i + 1, 60)));
    expect(verdicts.filter((v) => v.ok)).toHaveLength(60); // 3,600 inferences / 60 per report
    expect(verdicts.at(-1)).toMatchObject({ ok: false, reason: 'rate_limited' });
  });
});
