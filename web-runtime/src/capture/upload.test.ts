import { describe, expect, it } from 'vitest';
import { fitWithin } from './encode';
import { classifyAnswer } from './upload';

describe('classifyAnswer', () => {
  it('deletes what the server stored or already had', () => {
    expect(classifyAnswer(201)).toEqual({ kind: 'delivered', status: 201 });
    expect(classifyAnswer(200)).toEqual({ kind: 'delivered', status: 200 });
  });

  it('drops what can never succeed: refused, too large, undecodable, invalid', () => {
    for (const status of [400, 403, 409, 413, 415, 422])
      expect(classifyAnswer(status, null, 'x')).toEqual({ kind: 'refused', status, reason: 'x' });
  });

  it('keeps and retries "later": budget, space, server errors, network, key or route trouble', () => {
    for (const status of [0, 401, 404, 408, 429, 500, 503, 507])
      expect(classifyAnswer(status).kind).toBe('retry');
    expect(classifyAnswer(429, '30')).toEqual({ kind: 'retry', status: 429, afterMs: 30_000 });
    // Retry-After is bounded to an hour and ignored when it is not a number of seconds.
    expect(classifyAnswer(507, '999999')).toEqual({ kind: 'retry', status: 507, afterMs: 3_600_000 });
    expect(classifyAnswer(503, 'Wed, 21 Oct 2015 07:28:00 GMT')).toEqual({ kind: 'retry', status: 503 });
  });
});

describe('fitWithin', () => {
  it('bounds the longer side, keeps the aspect and never enlarges', () => {
    expect(fitWithin(1280, 720, 640)).toEqual([640, 360]);
    expect(fitWithin(100, 400, 64)).toEqual([16, 64]);
    expect(fitWithin(30, 20, 64)).toEqual([30, 20]);
    expect(fitWithin(5000, 1, 16)).toEqual([16, 1]);
    expect(fitWithin(300, 200, undefined)).toEqual([300, 200]);
  });
});
