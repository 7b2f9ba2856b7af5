import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { idSchema, isValidId } from './primitives';
import {
  APP_TOPIC_KINDS,
  appTopic,
  appTopicFilter,
  DEVICE_TOPIC_KINDS,
  deviceTopic,
  deviceTopicFilter,
  parseTopic,
  sharedSubscription,
} from './topics';

const idArbitrary = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/);

describe('topics', () => {
  it('builds the documented layout', () => {
    expect(deviceTopic('acme', 'station-7', 'desired')).toBe('ef/v1/acme/dev/station-7/desired');
    expect(appTopic('acme', 'shop', 'telemetry')).toBe('ef/v1/acme/app/shop/telemetry');
    expect(deviceTopicFilter('acme', 'telemetry')).toBe('ef/v1/acme/dev/+/telemetry');
    expect(appTopicFilter('acme', 'telemetry')).toBe('ef/v1/acme/app/+/telemetry');
    expect(sharedSubscription('ingest', 'ef/v1/acme/dev/+/telemetry')).toBe(
      '$share/ingest/ef/v1/acme/dev/+/telemetry',
    );
  });

  it('parses every device and app topic it builds', () => {
    fc.assert(
      fc.property(idArbitrary, idArbitrary, fc.constantFrom(...DEVICE_TOPIC_KINDS), (fleet, id, kind) => {
        expect(parseTopic(deviceTopic(fleet, id, kind))).toEqual({
          ok: true,
          value: { scope: 'dev', fleet, deviceId: id, kind },
        });
      }),
    );
    fc.assert(
      fc.property(idArbitrary, idArbitrary, fc.constantFrom(...APP_TOPIC_KINDS), (fleet, id, kind) => {
        expect(parseTopic(appTopic(fleet, id, kind))).toEqual({
          ok: true,
          value: { scope: 'app', fleet, appId: id, kind },
        });
      }),
    );
  });

  it.each([
    'a+b',
    'a#',
    'a/b',
    'a\u0000b',
    '',
    'x'.repeat(129),
    '-lead',
    '.hidden',
    '..',
    '$SYS',
    'a b',
    'é',
  ])('refuses the id %j in builders, parser and schema', (id) => {
    expect(isValidId(id)).toBe(false);
    expect(idSchema.safeParse(id).success).toBe(false);
    expect(() => deviceTopic('acme', id, 'desired')).toThrow(RangeError);
    expect(() => appTopic(id, 'shop', 'desired')).toThrow(RangeError);
    const parsed = parseTopic(`ef/v1/acme/dev/${id}/desired`);
    expect(parsed.ok).toBe(false);
  });

  it('names what is wrong with a topic', () => {
    expect(parseTopic('ef/v1/acme/dev/+/desired')).toMatchObject({
      ok: false,
      error: { kind: 'invalid', path: 'deviceId' },
    });
    expect(parseTopic('ef/v1/ac#me/dev/a/desired')).toMatchObject({ ok: false, error: { path: 'fleet' } });
    expect(parseTopic('ef/v1/acme/app/shop/ack')).toMatchObject({ ok: false, error: { path: 'kind' } });
    expect(parseTopic('ef/v1/acme/dev/a/commands')).toMatchObject({ ok: false, error: { path: 'kind' } });
    expect(parseTopic('ef/v1/acme/usr/a/desired')).toMatchObject({ ok: false, error: { path: 'scope' } });
    expect(parseTopic('ef/v1/acme/dev/a/desired/extra')).toMatchObject({
      ok: false,
      error: { path: 'topic' },
    });
    expect(parseTopic('ef/v1/acme/dev/a')).toMatchObject({ ok: false, error: { path: 'topic' } });
    expect(parseTopic('other/v1/acme/dev/a/desired')).toMatchObject({ ok: false, error: { path: 'topic' } });
    expect(parseTopic('ef/v2/acme/dev/a/desired')).toMatchObject({
      ok: false,
      error: { kind: 'unsupported_version' },
    });
    expect(parseTopic(`ef/v1/acme/dev/${'a'.repeat(10_000_000)}/desired`)).toMatchObject({
      ok: false,
      error: { kind: 'too_large' },
    });
    expect(parseTopic(42 as unknown as string)).toMatchObject({ ok: false, error: { kind: 'invalid' } });
  });

  it('never throws on arbitrary topics', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string(), idArbitrary, fc.constantFrom('ef', 'v1', 'dev', 'app', '+', '#'))),
        (parts) => {
          expect(typeof parseTopic(parts.join('/')).ok).toBe('boolean');
        },
      ),
    );
  });
});
