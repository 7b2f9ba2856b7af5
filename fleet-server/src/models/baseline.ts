import { createHash } from 'node:crypto';
import {
  canonicalJson,
  type ParseError,
  Profile,
  type ProfileJSON,
  type ProfileSpec,
  parseProfileSpec,
  specHash,
} from '@edgefleet/shared';
import { InvalidInput } from '../errors';

/** A validated baseline: the spec clients count into, the baseline profile, and the hashes the manifest signs. */
export interface Baseline {
  spec: ProfileSpec;
  profile: ProfileJSON;
  specHash: string;
  /** sha256 of the canonical JSON of `profile` (keys sorted), as served by the `/baseline` route. */
  baselineSha256: string;
}

const invalidAt = (prefix: string, error: ParseError): InvalidInput =>
  new InvalidInput(`${prefix}: ${error.message}`, [
    { location: 'body', field: error.path ? `${prefix}.${error.path}` : prefix, message: error.message },
  ]);

/** Validates an uploaded baseline (ProfileSpec + Profile JSON) with the shared profile code. */
export function validateBaseline(input: { spec: unknown; profile: unknown }): Baseline {
  const spec = parseProfileSpec(input.spec);
  if (!spec.ok) throw invalidAt('baseline.spec', spec.error);
  const profile = Profile.fromJSON(input.profile, spec.value);
  if (!profile.ok) throw invalidAt('baseline.profile', profile.error);
  const hash = specHash(spec.value);
  if (profile.value.specHash !== hash) {
    throw new InvalidInput('baseline.profile was built for another spec', {
      field: 'baseline.profile.specHash',
      expected: hash,
      got: profile.value.specHash,
    });
  }
  const json = profile.value.toJSON();
  const baselineSha256 = createHash('sha256').update(canonicalJson(json)).digest('hex');
  return { spec: spec.value, profile: json, specHash: hash, baselineSha256 };
}
