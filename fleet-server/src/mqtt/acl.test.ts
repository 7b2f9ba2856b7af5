import { describe, expect, it } from 'vitest';
import { canPublish, canSubscribe } from './acl';
import type { Principal } from './principal';

const fleet = 'f1';
const d1: Principal = { kind: 'device', deviceId: 'd1' };
const web: Principal = { kind: 'app', appId: 'web' };
const server: Principal = { kind: 'server' };
const dev = (id: string, kind: string) => `ef/v1/${fleet}/dev/${id}/${kind}`;
const app = (id: string, kind: string) => `ef/v1/${fleet}/app/${id}/${kind}`;

describe('canPublish', () => {
  it('lets a device publish only its own reported, presence and telemetry', () => {
    for (const kind of ['reported', 'presence', 'telemetry'])
      expect(canPublish(d1, dev('d1', kind), fleet)).toBe(true);
    for (const kind of ['desired', 'ack']) expect(canPublish(d1, dev('d1', kind), fleet)).toBe(false);
    expect(canPublish(d1, dev('d2', 'telemetry'), fleet)).toBe(false);
    expect(canPublish(d1, `ef/v1/other/dev/d1/telemetry`, fleet)).toBe(false);
    expect(canPublish(d1, app('web', 'telemetry'), fleet)).toBe(false);
    expect(canPublish(d1, '$SYS/x', fleet)).toBe(false);
    expect(canPublish(d1, `${dev('d1', 'telemetry')}/extra`, fleet)).toBe(false);
  });

  it('lets a device retain only its presence', () => {
    expect(canPublish(d1, dev('d1', 'presence'), fleet, { retain: true })).toBe(true);
    expect(canPublish(d1, dev('d1', 'telemetry'), fleet, { retain: true })).toBe(false);
  });

  it('lets an app key write only its own telemetry', () => {
    expect(canPublish(web, app('web', 'telemetry'), fleet)).toBe(true);
    expect(canPublish(web, app('web', 'desired'), fleet)).toBe(false);
    expect(canPublish(web, app('shop', 'telemetry'), fleet)).toBe(false);
    expect(canPublish(web, dev('web', 'telemetry'), fleet)).toBe(false);
  });

  it('lets the server do anything', () => {
    expect(canPublish(server, dev('d1', 'desired'), fleet, { retain: true })).toBe(true);
  });
});

describe('canSubscribe', () => {
  it('lets a device read only its own desired and ack, without wildcards', () => {
    expect(canSubscribe(d1, dev('d1', 'desired'), fleet)).toBe(true);
    expect(canSubscribe(d1, dev('d1', 'ack'), fleet)).toBe(true);
    expect(canSubscribe(d1, dev('d1', 'telemetry'), fleet)).toBe(false);
    expect(canSubscribe(d1, dev('d2', 'desired'), fleet)).toBe(false);
    expect(canSubscribe(d1, `ef/v1/${fleet}/dev/+/desired`, fleet)).toBe(false);
    expect(canSubscribe(d1, `ef/v1/${fleet}/dev/d1/#`, fleet)).toBe(false);
    expect(canSubscribe(d1, '#', fleet)).toBe(false);
    expect(canSubscribe(d1, '$SYS/#', fleet)).toBe(false);
  });

  it('lets an app key read only its own plan', () => {
    expect(canSubscribe(web, app('web', 'desired'), fleet)).toBe(true);
    expect(canSubscribe(web, app('web', 'telemetry'), fleet)).toBe(false);
    expect(canSubscribe(web, app('shop', 'desired'), fleet)).toBe(false);
    expect(canSubscribe(web, `ef/v1/${fleet}/app/+/desired`, fleet)).toBe(false);
  });

  it('lets the server subscribe to wildcards', () => {
    expect(canSubscribe(server, `ef/v1/${fleet}/dev/+/telemetry`, fleet)).toBe(true);
  });
});
