import { Profile, type ProfileSpec, specHash } from '@edgefleet/shared';
import type { WindowDraft } from '../telemetry/windows';

const spec: ProfileSpec = {
  v: 1,
  inputs: [{ name: 'brightness', edges: [0.2, 0.4, 0.6, 0.8] }],
  outputs: [],
  latency: { relativeAccuracy: 0.01, maxBins: 2048 },
};

/** A small closed window with `inferences` observations (tests). */
export function sampleDraft(inferences = 3, startMs = 1_000, version = '1.0.0'): WindowDraft {
  const profile = new Profile(spec);
  for (let i = 0; i < inferences; i++) profile.observeInputs({ brightness: i / 10 });
  return {
    window: { startMs, endMs: startMs + 60_000 },
    model: { name: 'cls', version },
    role: 'active',
    specHash: specHash(spec),
    spec,
    profile: profile.toJSON(),
    inferences,
  };
}
