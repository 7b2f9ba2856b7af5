import fc from 'fast-check';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { MAX_ARTIFACT_BYTES, type Manifest, manifestSchema, type SignedManifest } from '../protocol/manifest';
import { sampleManifest, sampleModelRef } from '../protocol/samples';
import { exportPublicJwk, generateSigningKeyPair, importKeyRing, type KeyRing } from './keys';
import { signManifest, verifyManifest } from './manifest';

let keys: CryptoKeyPair;
let keyId: string;
let ring: KeyRing;
let signed: SignedManifest;

beforeAll(async () => {
  keys = await generateSigningKeyPair();
  keyId = (await exportPublicJwk(keys.publicKey)).kid!;
  const imported = await importKeyRing([await exportPublicJwk(keys.publicKey)]);
  if (!imported.ok) throw new Error(imported.error.message);
  ring = imported.value;
  signed = await signManifest(sampleManifest(), keys.privateKey, keyId);
});

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const leavesOf = (value: Json, path: (string | number)[] = []): (string | number)[][] => {
  if (value === null || typeof value !== 'object') return [path];
  const entries: [string | number, Json][] = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : Object.entries(value);
  return entries.flatMap(([k, v]) => leavesOf(v, [...path, k]));
};

const setAt = <T>(root: T, path: (string | number)[], value: Json): T => {
  const copy = structuredClone(root) as Record<string | number, Json>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, Json>;
  node[path[path.length - 1]!] = value;
  return copy as T;
};

/** Another value for a leaf that still passes the manifest schema, so only the signature can catch it. */
const validVariant = (manifest: Manifest, path: (string | number)[], value: Json): Manifest | undefined => {
  const candidates: Json[] =
    typeof value === 'number'
      ? [value + 1, value * 2, value / 2]
      : typeof value === 'string'
        ? [
            `${value}1`,
            value.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a')),
            'NHWC',
            'letterbox',
            'BGR',
            'uint8',
            'tensor',
          ]
        : [];
  for (const candidate of candidates) {
    const changed = setAt(manifest, path, candidate);
    if (candidate !== value && manifestSchema.safeParse(changed).success) return changed;
  }
  return undefined;
};

describe('signManifest / verifyManifest', () => {
  it('round-trips with a single key and with a key ring', async () => {
    expect(signed.signature).toMatchObject({ alg: 'ES256', keyId });
    expect(signed.signature.value).toMatch(/^[A-Za-z0-9_-]{86}$/);
    expect(await verifyManifest(signed, keys.publicKey)).toEqual({ ok: true, value: sampleManifest() });
    expect(await verifyManifest(signed, ring)).toEqual({ ok: true, value: sampleManifest() });
    const wire = JSON.parse(JSON.stringify(signed));
    expect((await verifyManifest(wire, ring)).ok).toBe(true);
  });

  it('verifies the manifest inside a model ref', async () => {
    const ref = { ...sampleModelRef(), ...signed };
    expect((await verifyManifest(ref, ring)).ok).toBe(true);
  });

  it('fails when any manifest field is changed', async () => {
    const leaves = leavesOf(signed.manifest as Json);
    let tampered = 0;
    for (const path of leaves) {
      const changed = validVariant(
        signed.manifest,
        path,
        path.reduce<Json>((n, k) => (n as Record<string, Json>)[k]!, signed.manifest as Json),
      );
      const name = path.join('.');
      if (changed === undefined) {
        // Literals and the discriminator have no other valid value on their own.
        expect(['v', 'format', 'preprocessing.kind'], name).toContain(name);
        continue;
      }
      const result = await verifyManifest({ ...signed, manifest: changed }, ring);
      expect(result, name).toMatchObject({ ok: false, error: { kind: 'bad_signature' } });
      tampered++;
    }
    expect(tampered).toBe(leaves.length - 3);
    const tensor = {
      ...signed.manifest,
      preprocessing: { kind: 'tensor' as const, dtype: 'float32' as const },
    };
    expect(await verifyManifest({ ...signed, manifest: tensor }, ring)).toMatchObject({
      ok: false,
      error: { kind: 'bad_signature' },
    });
  });

  it('fails when an optional field is removed or added', async () => {
    const { goldenSha256: _golden, ...withoutGolden } = signed.manifest;
    expect(await verifyManifest({ ...signed, manifest: withoutGolden }, ring)).toMatchObject({
      ok: false,
      error: { kind: 'bad_signature' },
    });
    const extra = { ...signed.manifest, note: 'x' };
    expect(await verifyManifest({ ...signed, manifest: extra }, ring)).toMatchObject({
      ok: false,
      error: { kind: 'malformed' },
    });
  });

  it('fails when the signature is changed anywhere', async () => {
    const value = signed.signature.value;
    for (let i = 0; i < value.length; i++) {
      const flipped = value.slice(0, i) + (value[i] === 'A' ? 'B' : 'A') + value.slice(i + 1);
      const result = await verifyManifest(
        { ...signed, signature: { ...signed.signature, value: flipped } },
        ring,
      );
      expect(result.ok, `char ${i}`).toBe(false);
      if (!result.ok) expect(['bad_signature', 'malformed']).toContain(result.error.kind);
    }
    // The last char carries 2 unused bits: no other char may decode to the same signature.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (const last of alphabet.replace(value[value.length - 1]!, '')) {
      const changed = { ...signed.signature, value: value.slice(0, -1) + last };
      expect((await verifyManifest({ ...signed, signature: changed }, ring)).ok, last).toBe(false);
    }
  });

  it('fails when the key id or alg is changed', async () => {
    const otherId = `${keyId.slice(0, -1)}${keyId.endsWith('A') ? 'B' : 'A'}`;
    const renamed = { ...signed, signature: { ...signed.signature, keyId: otherId } };
    expect(await verifyManifest(renamed, keys.publicKey)).toMatchObject({
      ok: false,
      error: { kind: 'bad_signature' },
    });
    expect(await verifyManifest(renamed, ring)).toMatchObject({
      ok: false,
      error: { kind: 'unknown_key', path: 'signature.keyId' },
    });
    const otherAlg = { ...signed, signature: { ...signed.signature, alg: 'ES384' } };
    expect(await verifyManifest(otherAlg, ring)).toMatchObject({
      ok: false,
      error: { kind: 'malformed', path: 'signature.alg' },
    });
  });

  it('fails with another key', async () => {
    const other = await generateSigningKeyPair();
    expect(await verifyManifest(signed, other.publicKey)).toMatchObject({
      ok: false,
      error: { kind: 'bad_signature' },
    });
    const forged = await signManifest(sampleManifest(), other.privateKey, keyId);
    expect(await verifyManifest(forged, ring)).toMatchObject({ ok: false, error: { kind: 'bad_signature' } });
  });

  it('answers malformed input and unusable keys with an error, never a throw', async () => {
    for (const input of [
      null,
      'x',
      42,
      [],
      {},
      { manifest: signed.manifest },
      { signature: signed.signature },
    ]) {
      expect(await verifyManifest(input, ring)).toMatchObject({ ok: false, error: { kind: 'malformed' } });
    }
    const short = { ...signed, signature: { ...signed.signature, value: 'abc' } };
    expect(await verifyManifest(short, ring)).toMatchObject({
      ok: false,
      error: { kind: 'malformed', path: 'signature.value' },
    });
    const bad = { ...signed, manifest: { ...signed.manifest, sha256: 'nope' } };
    expect(await verifyManifest(bad, ring)).toMatchObject({
      ok: false,
      error: { kind: 'malformed', path: 'manifest.sha256' },
    });
    expect(await verifyManifest(signed, keys.privateKey)).toMatchObject({
      ok: false,
      error: { kind: 'unusable_key' },
    });
    const hmac = await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
    expect(await verifyManifest(signed, hmac)).toMatchObject({ ok: false, error: { kind: 'unusable_key' } });
  });

  it('says so when WebCrypto is missing (a page outside a secure context)', async () => {
    vi.stubGlobal('crypto', {});
    try {
      expect(await verifyManifest(signed, ring)).toMatchObject({ ok: false, error: { kind: 'unavailable' } });
      expect(
        await importKeyRing([
          await Promise.resolve({ kty: 'EC', crv: 'P-256', x: 'x'.repeat(43), y: 'y'.repeat(43) }),
        ]),
      ).toMatchObject({
        ok: false,
        error: { message: expect.stringMatching(/secure context/) },
      });
      await expect(generateSigningKeyPair()).rejects.toThrow(/secure context/);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('refuses to sign an invalid manifest or key id', async () => {
    const invalid = { ...sampleManifest(), sizeBytes: -1 };
    await expect(signManifest(invalid, keys.privateKey, keyId)).rejects.toThrow(/sizeBytes/);
    await expect(signManifest(sampleManifest(), keys.privateKey, 'bad id')).rejects.toThrow(TypeError);
  });

  it('signs a manifest whose optional fields are explicitly undefined like one without them', async () => {
    const { goldenSha256: _golden, ...without } = sampleManifest();
    const withUndefined = await signManifest({ ...without, goldenSha256: undefined }, keys.privateKey, keyId);
    expect('goldenSha256' in withUndefined.manifest).toBe(false);
    expect((await verifyManifest({ ...withUndefined, manifest: without }, ring)).ok).toBe(true);
  });

  it('round-trips arbitrary valid manifests (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.stringMatching(/^[0-9][0-9.]{0,10}$/),
        fc.integer({ min: 1, max: MAX_ARTIFACT_BYTES }),
        fc.nat({ max: 4_000_000_000_000 }),
        async (version, sizeBytes, createdAt) => {
          const manifest = { ...sampleManifest(), version, sizeBytes, createdAt };
          const result = await verifyManifest(
            JSON.parse(JSON.stringify(await signManifest(manifest, keys.privateKey, keyId))),
            ring,
          );
          expect(result).toEqual({ ok: true, value: manifest });
        },
      ),
      { numRuns: 25 },
    );
  });
});
