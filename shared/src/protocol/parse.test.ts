import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { emptyCaptureCounters } from '../capture/counters';
import { appPlanSchema, percentSchema } from './app-plan';
import { desiredStateSchema } from './desired';
import { MAX_ACK_BYTES, MAX_DESIRED_BYTES, MAX_TELEMETRY_BYTES } from './limits';
import { manifestSchema, modelRefSchema } from './manifest';
import { parseTopicMessage } from './messages';
import { formatPath, parseMessage, serializeMessage } from './parse';
import { presenceSchema, reportedSchema } from './reported';
import {
  sampleAppPlan,
  sampleDesired,
  sampleHello,
  sampleManifest,
  sampleModelRef,
  sampleTelemetry,
} from './samples';
import {
  ackSchema,
  MAX_SOFTWARE_BYTES,
  MAX_SOFTWARE_MS,
  type SoftwareMetrics,
  telemetryReportSchema,
} from './telemetry';
import { appTopic, deviceTopic, parseTopic } from './topics';

const parseDesired = (value: unknown) =>
  parseMessage(desiredStateSchema, JSON.stringify(value), { maxBytes: MAX_DESIRED_BYTES });

describe('parseMessage', () => {
  it('names the nested field at fault', () => {
    const desired = sampleDesired();
    (desired.models.active as { manifest: { sha256: string } }).manifest.sha256 = 'ABC';
    expect(parseDesired(desired)).toMatchObject({
      ok: false,
      error: { kind: 'invalid', path: 'models.active.manifest.sha256' },
    });
    const state = { ...sampleHello(), type: 'state', errors: [{ step: 'explode', message: 'x', at: 1 }] };
    expect(parseMessage(reportedSchema, JSON.stringify(state))).toMatchObject({
      ok: false,
      error: { path: 'errors.0.step' },
    });
  });

  it('rejects non-integer revs, negative seqs and reversed windows', () => {
    expect(parseDesired({ ...sampleDesired(), rev: 7.5 })).toMatchObject({
      ok: false,
      error: { path: 'rev' },
    });
    expect(parseDesired({ ...sampleDesired(), rev: 0 })).toMatchObject({ ok: false, error: { path: 'rev' } });
    expect(parseDesired({ ...sampleDesired(), rev: 2 ** 53 })).toMatchObject({
      ok: false,
      error: { path: 'rev' },
    });
    const telemetry = sampleTelemetry();
    const parseReport = (value: unknown) =>
      parseMessage(telemetryReportSchema, JSON.stringify(value), { maxBytes: MAX_TELEMETRY_BYTES });
    expect(parseReport({ ...telemetry, seq: -1 })).toMatchObject({ ok: false, error: { path: 'seq' } });
    expect(parseReport({ ...telemetry, window: { startMs: 10, endMs: 5 } })).toMatchObject({
      ok: false,
      error: { path: 'window.endMs' },
    });
    expect(parseReport({ ...telemetry, specHash: 'ab'.repeat(8) })).toMatchObject({
      ok: false,
      error: { path: 'profile.specHash' },
    });
  });

  it('takes software metrics and each of their figures as optional, but bounded and finite when present', () => {
    const parseReport = (value: unknown) =>
      parseMessage(telemetryReportSchema, JSON.stringify(value), { maxBytes: MAX_TELEMETRY_BYTES });
    const { software, ...withoutSoftware } = sampleTelemetry();
    expect(software).toBeDefined();
    expect(parseReport(withoutSoftware)).toEqual({ ok: true, value: withoutSoftware });
    // A browser has no process figures: it sends only its capture counters.
    const captureOnly = { ...withoutSoftware, software: { capture: emptyCaptureCounters() } };
    expect(parseReport(captureOnly)).toEqual({ ok: true, value: captureOnly });
    // An older client's counters have no `evicted`: it reads as 0.
    const { evicted: _e, ...olderDropped } = emptyCaptureCounters().dropped;
    const older = {
      ...withoutSoftware,
      software: { capture: { ...emptyCaptureCounters(), dropped: olderDropped } },
    };
    expect(parseReport(older)).toEqual({ ok: true, value: captureOnly });
    const forged = { ...emptyCaptureCounters(), uploaded: -1 };
    expect(parseReport({ ...withoutSoftware, software: { capture: forged } })).toMatchObject({
      ok: false,
      error: { path: 'software.capture.uploaded' },
    });
    for (const field of Object.keys(software!) as (keyof SoftwareMetrics)[]) {
      const { [field]: _left, ...partial } = software!;
      expect(parseReport({ ...withoutSoftware, software: partial }), field).toEqual({
        ok: true,
        value: { ...withoutSoftware, software: partial },
      });
      const tooLarge = field.endsWith('Bytes') ? MAX_SOFTWARE_BYTES + 1 : MAX_SOFTWARE_MS * 2;
      for (const value of [tooLarge, -0.5, null, '1']) {
        expect(
          parseReport({ ...withoutSoftware, software: { ...software, [field]: value } }),
          field,
        ).toMatchObject({
          ok: false,
          error: { path: `software.${field}` },
        });
      }
    }
    expect(parseReport({ ...withoutSoftware, software: null })).toMatchObject({
      ok: false,
      error: { path: 'software' },
    });
  });

  it('does not run refinements on values of the wrong shape', () => {
    const manifest = {
      ...sampleManifest(),
      preprocessing: { ...sampleManifest().preprocessing, mean: 5, std: null },
    };
    expect(manifestSchema.safeParse(manifest).success).toBe(false);
    expect(telemetryReportSchema.safeParse({ ...sampleTelemetry(), window: 'x' }).success).toBe(false);
    expect(appPlanSchema.safeParse({ ...sampleAppPlan(), models: 'x' }).success).toBe(false);
    expect(modelRefSchema.safeParse({ ...sampleModelRef(), manifest: 1 }).success).toBe(false);
  });

  it('checks image preprocessing per channel', () => {
    const manifest = sampleManifest();
    const gray = { ...manifest, preprocessing: { ...manifest.preprocessing, channelOrder: 'GRAY' } };
    expect(manifestSchema.safeParse(gray).success).toBe(false);
    const grayOk = { ...gray, preprocessing: { ...gray.preprocessing, mean: [0.5], std: [0.25] } };
    expect(manifestSchema.safeParse(grayOk).success).toBe(true);
    const zeroStd = { ...manifest, preprocessing: { ...manifest.preprocessing, std: [0.2, 0, 0.2] } };
    expect(manifestSchema.safeParse(zeroStd).success).toBe(false);
  });

  it('rejects unknown manifest fields but ignores unknown message fields', () => {
    expect(manifestSchema.safeParse({ ...sampleManifest(), extra: 1 }).success).toBe(false);
    const desired = parseDesired({ ...sampleDesired(), futureField: 1 });
    expect(desired.ok && 'futureField' in desired.value).toBe(false);
  });

  it('takes percents in steps of 0.01 only', () => {
    for (const p of [0, 0.01, 0.07, 5, 33.33, 100]) expect(percentSchema.safeParse(p).success).toBe(true);
    for (const p of [-1, 0.001, 100.01, 50.005]) expect(percentSchema.safeParse(p).success).toBe(false);
  });

  it('drops __proto__ keys, even escaped ones, from data a schema leaves opaque', () => {
    const opaque = z.object({ data: z.unknown() });
    const text = '{"data":{"\\u005f_proto__":{"admin":true},"__proto__":{"x":1},"keep":[{"__proto__":2}]}}';
    const parsed = parseMessage(opaque, text);
    expect(parsed).toEqual({ ok: true, value: { data: { keep: [{}] } } });
    const plain = parseMessage(opaque, '{"data":{"a":"\\u00e9"}}');
    expect(parsed.ok && plain).toEqual({ ok: true, value: { data: { a: 'é' } } });
  });

  it('formats paths', () => {
    expect(formatPath(['models', 'active', 'manifest', 'sha256'])).toBe('models.active.manifest.sha256');
    expect(formatPath(['errors', 0, 'step'])).toBe('errors.0.step');
    expect(formatPath([])).toBe('');
  });

  it('measures the limit in UTF-8 bytes', () => {
    const at = (payload: string) => parseMessage(ackSchema, payload, { maxBytes: 8 });
    expect(at('"€€"').ok).toBe(false); // 8 bytes: fits, but not an ack
    expect(at('"€€"')).toMatchObject({ error: { kind: 'invalid' } });
    expect(at('"€€€"')).toMatchObject({ error: { kind: 'too_large' } });
    expect(at('"😀😀"')).toMatchObject({ error: { kind: 'too_large' } });
  });
});

describe('serializeMessage', () => {
  it('round-trips every sample', () => {
    const text = serializeMessage(desiredStateSchema, sampleDesired(), { maxBytes: MAX_DESIRED_BYTES });
    expect(text.ok && parseDesired(JSON.parse(text.value))).toEqual({ ok: true, value: sampleDesired() });
  });

  it('refuses invalid or oversized messages before they are sent', () => {
    expect(serializeMessage(ackSchema, { v: 1, clientId: 'a', epoch: 0, seq: -1 })).toMatchObject({
      ok: false,
      error: { path: 'seq' },
    });
    expect(serializeMessage(telemetryReportSchema, sampleTelemetry(), { maxBytes: 100 })).toMatchObject({
      ok: false,
      error: { kind: 'too_large' },
    });
  });

  it('round-trips arbitrary acks and presences (property)', () => {
    const counter = fc.nat({ max: Number.MAX_SAFE_INTEGER });
    const id = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/);
    fc.assert(
      fc.property(id, counter, counter, (clientId, epoch, seq) => {
        const ack = { v: 1 as const, clientId, epoch, seq };
        const text = serializeMessage(ackSchema, ack, { maxBytes: MAX_ACK_BYTES });
        expect(text.ok && parseMessage(ackSchema, text.value, { maxBytes: MAX_ACK_BYTES })).toEqual({
          ok: true,
          value: ack,
        });
      }),
    );
    fc.assert(
      fc.property(fc.constantFrom('online', 'offline' as const), counter, fc.nat(), (status, epoch, at) => {
        const presence = { v: 1 as const, status, epoch, at };
        const text = serializeMessage(presenceSchema, presence);
        expect(text.ok && parseMessage(presenceSchema, text.value)).toEqual({ ok: true, value: presence });
      }),
    );
  });

  it('round-trips telemetry reports with arbitrary counters and windows (property)', () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.nat(),
        fc.nat({ max: 1e12 }),
        fc.nat({ max: 1e9 }),
        fc.constantFrom('active' as const, 'shadow' as const),
        (epoch, seq, startMs, lengthMs, role) => {
          const report = {
            ...sampleTelemetry(),
            epoch,
            seq,
            role,
            window: { startMs, endMs: startMs + lengthMs },
          };
          const text = serializeMessage(telemetryReportSchema, report, { maxBytes: MAX_TELEMETRY_BYTES });
          expect(text.ok).toBe(true);
          if (!text.ok) return;
          const parsed = parseMessage(telemetryReportSchema, text.value, { maxBytes: MAX_TELEMETRY_BYTES });
          expect(parsed).toEqual({ ok: true, value: JSON.parse(text.value) });
        },
      ),
    );
  });
});

describe('parseTopicMessage', () => {
  it('refuses a payload naming another device or app than its topic', () => {
    const on = (topic: string) => {
      const parsed = parseTopic(topic);
      if (!parsed.ok) throw new Error(parsed.error.message);
      return parsed.value;
    };
    const other = on(deviceTopic('acme', 'station-8', 'telemetry'));
    expect(parseTopicMessage(other, JSON.stringify(sampleTelemetry()))).toMatchObject({
      ok: false,
      error: { kind: 'mismatch', path: 'clientId' },
    });
    const reported = on(deviceTopic('acme', 'station-8', 'reported'));
    expect(parseTopicMessage(reported, JSON.stringify(sampleHello()))).toMatchObject({
      ok: false,
      error: { kind: 'mismatch', path: 'deviceId' },
    });
    expect(
      parseTopicMessage(on(deviceTopic('acme', 'station-7', 'reported')), JSON.stringify(sampleHello())).ok,
    ).toBe(true);
    const plan = on(appTopic('acme', 'other-app', 'desired'));
    expect(parseTopicMessage(plan, JSON.stringify(sampleAppPlan()))).toMatchObject({
      error: { path: 'appId' },
    });
    const browserReport = on(appTopic('acme', 'shop', 'telemetry'));
    expect(parseTopicMessage(browserReport, JSON.stringify(sampleTelemetry())).ok).toBe(true);
  });

  it('picks the schema and limit of the topic', () => {
    const topic = parseTopic(deviceTopic('acme', 'station-7', 'telemetry'));
    expect(topic.ok).toBe(true);
    if (!topic.ok) return;
    const parsed = parseTopicMessage(topic.value, JSON.stringify(sampleTelemetry()));
    expect(
      parsed.ok &&
        parsed.value.scope === 'dev' &&
        parsed.value.kind === 'telemetry' &&
        parsed.value.message.seq,
    ).toBe(42);
    expect(parsed.ok && parsed.value.topic).toEqual({
      scope: 'dev',
      fleet: 'acme',
      deviceId: 'station-7',
      kind: 'telemetry',
    });
    expect(parseTopicMessage(topic.value, JSON.stringify(sampleDesired())).ok).toBe(false);
    const ack = parseTopic(deviceTopic('acme', 'station-7', 'ack'));
    if (ack.ok) {
      expect(
        parseTopicMessage(
          ack.value,
          JSON.stringify({ v: 1, clientId: 'a', epoch: 1, seq: 1, pad: 'x'.repeat(2000) }),
        ),
      ).toMatchObject({
        ok: false,
        error: { kind: 'too_large' },
      });
    }
  });
});
