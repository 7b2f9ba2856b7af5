import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Result } from '../result';
import { mergeJsonInto, Profile } from './profile';
import { profileFromJSON } from './profile-json';
import type { ProfileSpec } from './spec';

/** Time for a property test on a busy machine (the default 5 s is a unit test's). */
const PROPERTY_TIMEOUT_MS = 60_000;

// The hand-written reader (profile-wire.ts, profile-delta.ts) against the zod reference
// (profile-json.ts): same merged profile for valid JSON, same verdict (kind and path) for the rest.

const spec: ProfileSpec = {
  v: 1,
  inputs: [
    { name: 'a', edges: [0, 1, 2, 3] },
    { name: 'b', edges: [-1, 0, 1] },
  ],
  outputs: [{ name: 'confidence', edges: [0, 0.5, 1.0000000000000002] }],
  classes: ['ok', 'defect'],
  latency: { relativeAccuracy: 0.01, maxBins: 64 },
};

const withZod = (json: unknown, s?: ProfileSpec): Result<Profile> =>
  profileFromJSON(json, s, (x) => new Profile(x));

interface Event {
  a: number;
  b: number;
  confidence: number | null;
  label: string | number;
  ms: number;
  error: string | null;
  shadow: [boolean, number];
}

const value = fc.oneof(
  fc.double({ min: -3, max: 5 }),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0),
);
const event: fc.Arbitrary<Event> = fc.record({
  a: value,
  b: value,
  confidence: fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
  label: fc.oneof(fc.constantFrom('ok', 'defect', 'cat', 'dog'), fc.integer({ min: 0, max: 3 })),
  ms: fc.oneof(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.constantFrom(0, -1, 1e-300)),
  error: fc.option(fc.constantFrom('timeout', 'infer', 'preprocess')),
  shadow: fc.tuple(fc.boolean(), fc.double({ min: 0, max: 1, noNaN: true })),
});

function observe(events: Event[]): Profile {
  const p = new Profile(spec);
  for (const e of events) {
    p.observeInputs({ a: e.a, b: e.b });
    p.observeOutputs(e.confidence === null ? null : { confidence: e.confidence });
    p.observeClass(e.label);
    p.observeLatency('total', e.ms);
    p.observeLatency('infer', e.ms / 3);
    if (e.error) p.recordError(e.error);
    p.observeShadow(...e.shadow);
  }
  return p;
}

const wire = (p: Profile, includeSpec = false): Record<string, unknown> =>
  JSON.parse(JSON.stringify(p.toJSON({ includeSpec })));

/** Merges `json` into copies of `target` both ways and checks the outcomes agree. */
function expectSameMerge(target: Profile, json: unknown): void {
  const before = JSON.stringify(target.toJSON());
  const fast = mergeJsonInto(target.clone(), json);
  const reference = withZod(json, spec);
  if (reference.ok) {
    expect(fast.ok).toBe(true);
    const expected = target.clone().merge(reference.value).toJSON();
    expect(fast.ok && fast.value.toJSON()).toEqual(expected);
  } else {
    expect(fast.ok).toBe(false);
    if (!fast.ok) {
      expect([fast.error.kind, fast.error.path]).toEqual([reference.error.kind, reference.error.path]);
      expect(fast.error.message).toContain('Profile');
    }
  }
  const untouched = target.clone();
  mergeJsonInto(untouched, json);
  if (!fast.ok) expect(JSON.stringify(untouched.toJSON())).toBe(before);
}

/** Every path (object keys, array indices) of a JSON value, parents before children. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out = [prefix];
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) out.push(...pathsOf(v, [...prefix, i]));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...prefix, k]));
  }
  return out;
}

type Mutation = (old: unknown) => unknown;
const DELETE = Symbol('delete');
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.jsonValue().map((v) => () => v),
  fc
    .constantFrom(-1, 0, -0, 1, 0.5, 2 ** 53, 2 ** 60, 1e9, -8193, Number.NaN, Number.POSITIVE_INFINITY)
    .map((v) => () => v),
  fc.constantFrom<Mutation>(
    (x) => (typeof x === 'number' ? x + 1 : x),
    (x) => (typeof x === 'number' ? x - 1 : x),
    (x) => (typeof x === 'number' ? -x : x),
    (x) => (typeof x === 'number' ? x * 2 + 0.25 : x),
    (x) => (Array.isArray(x) ? [...x, 1] : x),
    (x) => (Array.isArray(x) ? x.slice(1) : x),
    (x) => (Array.isArray(x) ? [...x, ...x] : x),
    (x) => (typeof x === 'string' ? `${x}0` : x),
    () => DELETE,
    () => undefined,
    () => null,
    () => new Array(600).fill(0),
  ),
);

function mutate(json: unknown, path: (string | number)[], m: Mutation): unknown {
  if (path.length === 0) {
    const v = m(json);
    return v === DELETE ? undefined : v;
  }
  const [head, ...rest] = path;
  const copy = (Array.isArray(json) ? [...json] : { ...(json as object) }) as Record<
    string | number,
    unknown
  >;
  const v = mutate(copy[head!], rest, m);
  if (rest.length === 0 && m(copy[head!]) === DELETE) delete copy[head!];
  else copy[head!] = v;
  return copy;
}

describe('Profile JSON fast reader vs the zod reference', () => {
  it('merges random valid profiles exactly as merge(fromJSON) does', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 15 }), fc.array(event, { maxLength: 30 }), (prior, events) => {
        const json = wire(observe(events));
        expectSameMerge(observe(prior), json);
        const parsed = Profile.fromJSON(json, spec);
        const reference = withZod(json, spec);
        expect(parsed.ok && reference.ok).toBe(true);
        expect(parsed.ok && parsed.value.toJSON()).toEqual(reference.ok && reference.value.toJSON());
        const embedded = wire(observe(events), true);
        const fromEmbedded = Profile.fromJSON(embedded);
        expect(fromEmbedded.ok && fromEmbedded.value.toJSON()).toEqual(parsed.ok && parsed.value.toJSON());
      }),
      { numRuns: 200 },
    );
  });

  // A property, not a speed target: hundreds of profiles through two readers take seconds on a loaded machine.
  it(
    'accepts a mutated profile identically or rejects it like zod, never throwing',
    () => {
      const base = fc.array(event, { minLength: 1, maxLength: 12 }).map((events) => wire(observe(events)));
      fc.assert(
        fc.property(
          base,
          fc.array(fc.tuple(fc.nat(), mutation), { minLength: 1, maxLength: 3 }),
          fc.array(event, { maxLength: 5 }),
          (json, mutations, prior) => {
            let mutated: unknown = json;
            for (const [pick, m] of mutations) {
              const paths = pathsOf(mutated);
              mutated = mutate(mutated, paths[pick % paths.length]!, m);
            }
            expectSameMerge(observe(prior), mutated);
            const fast = Profile.fromJSON(mutated);
            const reference = withZod(mutated);
            expect([fast.ok, !fast.ok && fast.error.path]).toEqual([
              reference.ok,
              !reference.ok && reference.error.path,
            ]);
          },
        ),
        { numRuns: 1500 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it('agrees on arbitrary JSON and on wrong types', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (j) => expectSameMerge(new Profile(spec), j)),
      { numRuns: 200 },
    );
    for (const j of [null, undefined, 42, 'x', [], true, () => 1, { v: 2 }, { v: 1 }]) {
      expectSameMerge(new Profile(spec), j);
    }
  });

  it('refuses without throwing on throwing getters, leaving the target untouched', () => {
    const json = wire(observe([]));
    const trap = new Proxy(json, {
      get(t, k) {
        if (k === 'latency') throw new Error('trap');
        return Reflect.get(t, k);
      },
    });
    const target = observe([]);
    const r = mergeJsonInto(target, trap);
    expect(!r.ok && r.error.message).toContain('unreadable');
    expect(target.toJSON()).toEqual(observe([]).toJSON());
  });
});
