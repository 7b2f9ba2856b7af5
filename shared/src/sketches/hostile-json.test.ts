import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Result } from '../result';
import { CategoryCounts } from './category-counts';
import { DDSketch } from './ddsketch';
import { Histogram } from './histogram';
import { Moments } from './moments';
import { QuantileSketch } from './quantile-sketch';

type Json = Record<string, unknown>;
interface Case {
  name: string;
  parse: (json: unknown) => Result<unknown>;
  valid: () => Json;
  /** [path the error must name, mutation of a valid JSON]. */
  bad: [string, (j: Json) => void][];
}

const dd = new DDSketch();
dd.addMany([0, 1, 2, 50, 1000]);
const qs = new QuantileSketch();
qs.addMany([-5, 0, 1, 2, 50]);
const mo = new Moments();
mo.addMany([1, 2, 3]);
const hi = new Histogram([0, 1, 2]);
hi.addMany([-1, 0.5, 1.5, 5]);
const cc = new CategoryCounts({ maxCategories: 4 });
for (const k of ['a', 'b', 'a']) cc.add(k);
const copy = (x: { toJSON(): unknown }) => () => JSON.parse(JSON.stringify(x.toJSON())) as Json;

const cases: Case[] = [
  {
    name: 'DDSketch',
    parse: DDSketch.fromJSON,
    valid: copy(dd),
    bad: [
      [
        'count',
        (j) => {
          j.count = -1;
        },
      ],
      [
        'count',
        (j) => {
          j.count = 'NaN';
        },
      ],
      [
        'count',
        (j) => {
          j.count = (j.count as number) + 1;
        },
      ],
      [
        'sum',
        (j) => {
          j.sum = null;
        },
      ],
      [
        'alpha',
        (j) => {
          j.alpha = 2;
        },
      ],
      [
        'maxBins',
        (j) => {
          j.maxBins = 1e9;
        },
      ],
      [
        'bins',
        (j) => {
          j.bins = new Array(100_000).fill(1);
        },
      ],
      [
        'bins',
        (j) => {
          j.bins = new Array(10).fill(-8192);
        },
      ],
      [
        'bins.0',
        (j) => {
          j.bins = ['1'];
        },
      ],
      [
        'min',
        (j) => {
          j.min = -3;
        },
      ],
      [
        'key0',
        (j) => {
          j.key0 = 1.5;
        },
      ],
    ],
  },
  {
    name: 'QuantileSketch',
    parse: QuantileSketch.fromJSON,
    valid: copy(qs),
    bad: [
      [
        'pos.bins',
        (j) => {
          (j.pos as Json).bins = new Array(9000).fill(0);
        },
      ],
      [
        'neg',
        (j) => {
          j.neg = [];
        },
      ],
      [
        'count',
        (j) => {
          j.count = 0;
        },
      ],
      [
        'min',
        (j) => {
          j.min = 1e9;
        },
      ],
    ],
  },
  {
    name: 'Moments',
    parse: Moments.fromJSON,
    valid: copy(mo),
    bad: [
      [
        'm2',
        (j) => {
          j.m2 = -1;
        },
      ],
      [
        'mean',
        (j) => {
          j.mean = 'NaN';
        },
      ],
      [
        'mean',
        (j) => {
          j.mean = 100;
        },
      ],
      [
        'min',
        (j) => {
          j.min = 10;
        },
      ],
      [
        'nan',
        (j) => {
          j.nan = -2;
        },
      ],
      [
        'n',
        (j) => {
          j.n = 2 ** 60;
        },
      ],
    ],
  },
  {
    name: 'Histogram',
    parse: Histogram.fromJSON,
    valid: copy(hi),
    bad: [
      [
        'edges',
        (j) => {
          j.edges = [0, 0, 2];
        },
      ],
      [
        'edges',
        (j) => {
          j.edges = [];
        },
      ],
      [
        'counts',
        (j) => {
          j.counts = [1, 2];
        },
      ],
      [
        'counts.1',
        (j) => {
          (j.counts as unknown[])[1] = -1;
        },
      ],
      [
        'edges',
        (j) => {
          j.edges = new Array(1e5).fill(0);
        },
      ],
    ],
  },
  {
    name: 'CategoryCounts',
    parse: CategoryCounts.fromJSON,
    valid: copy(cc),
    bad: [
      [
        'c',
        (j) => {
          j.c = [
            ['a', 1],
            ['b', 1],
            ['c', 1],
            ['d', 1],
            ['e', 1],
          ];
        },
      ],
      [
        'c.1.0',
        (j) => {
          j.c = [
            ['a', 1],
            ['a', 2],
          ];
        },
      ],
      [
        'c.0.1',
        (j) => {
          j.c = [['a', -1]];
        },
      ],
      [
        'c.0.0',
        (j) => {
          j.c = [['x'.repeat(1000), 1]];
        },
      ],
      [
        'max',
        (j) => {
          j.max = 0;
        },
      ],
      [
        'other',
        (j) => {
          j.other = 1.5;
        },
      ],
    ],
  },
];

describe.each(cases)('$name.fromJSON on hostile input', ({ name, parse, valid, bad }) => {
  it('accepts its own JSON', () => {
    expect(parse(valid()).ok).toBe(true);
  });

  it.each(bad.map(([path, mutate], i) => [i, path, mutate] as const))(
    'rejects mutation #%i naming %s',
    (_, path, mutate) => {
      const j = valid();
      mutate(j);
      const r = parse(j);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.kind).toBe('invalid');
        expect(r.error.path).toBe(path);
        expect(r.error.message).toContain(name);
      }
    },
  );

  it('rejects wrong types and other versions without throwing', () => {
    for (const j of [null, undefined, 42, 'x', [], true, () => 1]) expect(parse(j).ok).toBe(false);
    const r = parse({ ...valid(), v: 2 });
    expect(!r.ok && r.error.kind).toBe('unsupported_version');
  });

  it('never pollutes prototypes and never throws on __proto__ keys or throwing getters', () => {
    const text = JSON.stringify(valid()).replace(
      '{',
      '{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},',
    );
    parse(JSON.parse(text));
    expect(({} as Json).polluted).toBeUndefined();
    const trap = new Proxy(valid(), {
      get() {
        throw new Error('trap');
      },
    });
    expect(parse(trap).ok).toBe(false);
  });

  it('never throws on arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (j) => {
        parse(j);
      }),
      { numRuns: 50 },
    );
    const keys = Object.keys(valid());
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...keys), fc.jsonValue()), (patch) => {
        parse({ ...valid(), ...patch });
      }),
      { numRuns: 100 },
    );
  });
});
