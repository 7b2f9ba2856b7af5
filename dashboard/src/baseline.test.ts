import { Profile, type ProfileJSON, type ProfileSpec } from '@edgefleet/shared';
import { describe, expect, it } from 'vitest';
import {
  baselineClassMix,
  baselineConfidenceMean,
  baselineHistograms,
  binLabels,
  outputShares,
} from './baseline';

const spec: ProfileSpec = {
  v: 1,
  inputs: [{ name: 'brightness', edges: [0.2, 0.4] }],
  outputs: [{ name: 'confidence', edges: [0.5] }],
  classes: ['0', '180'],
  latency: { relativeAccuracy: 0.01, maxBins: 256 },
};
const empty = new Profile(spec).toJSON();
const profile: ProfileJSON = {
  ...empty,
  inferences: 10,
  inputs: [{ m: [10, 0.35, 1, 0, 1], h: [2, 5, 3] }],
  outputs: [{ m: [10, 0.8, 1, 0.5, 1], h: [0, 10] }],
  classes: {
    ...empty.classes,
    c: [
      ['0', 6],
      ['180', 4],
    ],
    other: 0,
  },
};

describe('baseline views', () => {
  it('labels bins with under- and overflow', () => {
    expect(binLabels([0.2, 0.4])).toEqual(['<0.2', '0.2–0.4', '≥0.4']);
    expect(binLabels([])).toEqual(['all']);
  });

  it('turns a profile into one histogram per feature, with class shares and the confidence mean', () => {
    const histograms = baselineHistograms(spec, profile);
    expect(histograms.map((h) => [h.side, h.name, h.counts, h.mean])).toEqual([
      ['input', 'brightness', [2, 5, 3], 0.35],
      ['output', 'confidence', [0, 10], 0.8],
    ]);
    expect(baselineClassMix(profile)).toEqual({ '0': 0.6, '180': 0.4 });
    expect(baselineConfidenceMean(spec, profile)).toBe(0.8);
  });

  it('does not throw on malformed or hostile profiles', () => {
    const hostile = {
      inferences: 'many',
      inputs: [{ m: 'x', h: [1, Number.NaN, 'y', 4, 5, 6] }],
      outputs: [null],
      classes: { c: [['0', -3], 'junk', [1, 2], ['180', Number.POSITIVE_INFINITY]], other: 'z' },
    } as unknown as ProfileJSON;
    const histograms = baselineHistograms(spec, hostile);
    expect(histograms).toHaveLength(1);
    expect(histograms[0]!.counts).toEqual([1, 0, 0]);
    expect(histograms[0]!.mean).toBeNull();
    expect(baselineClassMix(hostile)).toBeNull();
    expect(baselineConfidenceMean(spec, hostile)).toBeNull();
    expect(baselineHistograms({} as ProfileSpec, {} as ProfileJSON)).toEqual([]);
    expect(binLabels(['a', 1] as unknown as number[])).toEqual(['bin 0', 'bin 1', 'bin 2']);
  });

  it('gives the confidence histogram as shares, and null without data', () => {
    expect(outputShares(spec, profile)).toEqual({ bins: ['<0.5', '≥0.5'], shares: [0, 1] });
    expect(outputShares(spec, null)).toBeNull();
    expect(outputShares(spec, { ...profile, outputs: [{ m: [0], h: [0, 0] }] })).toBeNull();
    const hostile = { ...profile, outputs: [{ m: [], h: [-5, Number.NaN, 'x'] }] } as unknown as ProfileJSON;
    expect(outputShares(spec, hostile)).toBeNull();
  });
});
