import type { DesiredStateInput } from '@edgefleet/shared';
import { type DesiredState, desiredStateSchema, MAX_DESIRED_BYTES } from '@edgefleet/shared';
import { describe, expect, it } from 'vitest';
import { InvalidInput } from '../errors';
import { DesiredTemplate } from './desired-template';

const input: DesiredStateInput = {
  models: { active: null, shadow: null, standby: null },
  telemetry: { windowMs: 60_000, maxInFlight: 8, outboxMaxReports: 10_000 },
  policies: { golden: 'if_present', shadowSampleRate: 0.5 },
};

describe('DesiredTemplate', () => {
  it('stamps exactly the JSON of the full state, which the shared schema accepts', () => {
    const template = DesiredTemplate.of(input, 1_700_000_000_000);
    for (const [deviceId, rev] of [
      ['d1', 1],
      ['station-7.line_3', 123_456],
    ] as const) {
      const { text, payload } = template.stamp(deviceId, rev, 1_700_000_000_123);
      const state: DesiredState = { ...input, v: 1, rev, deviceId, issuedAt: 1_700_000_000_123 };
      expect(text).toBe(JSON.stringify(state));
      expect(payload.toString()).toBe(text);
      expect(desiredStateSchema.parse(JSON.parse(text))).toEqual(state);
      expect(template.stateOf(deviceId, rev, 1_700_000_000_123)).toEqual(state);
    }
  });

  it('refuses an input that fails the schema, naming the field', () => {
    const bad = { ...input, telemetry: { ...input.telemetry, windowMs: 1 } };
    expect(() => DesiredTemplate.of(bad, 1)).toThrow(InvalidInput);
    expect(() => DesiredTemplate.of(bad, 1)).toThrow(/windowMs/);
  });

  it('refuses an invalid device id and an oversized state when stamping', () => {
    const template = DesiredTemplate.of(input, 1);
    expect(() => template.stamp('../d1', 1, 1)).toThrow(/device id/);
    const longId = `d${'x'.repeat(127)}`;
    expect(() => template.stamp(longId, 1, 1)).not.toThrow();
    // Sizes are checked per stamp: a state that fits with a short id can exceed the limit with a long one.
    const base = template.stamp('d', 1, 1).payload.length;
    const padding = ',"note":""'.length;
    const near = DesiredTemplate.of(
      { ...input, note: 'x'.repeat(MAX_DESIRED_BYTES - base - padding) } as DesiredStateInput,
      1,
    );
    expect(near.stamp('d', 1, 1).payload.length).toBe(MAX_DESIRED_BYTES);
    expect(() => near.stamp('d2', 1, 1)).toThrow(/exceeds/);
  });
});
