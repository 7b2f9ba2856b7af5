import { describe, expect, it } from 'vitest';
import {
  exportPrivateJwk,
  exportPublicJwk,
  generateSigningKeyPair,
  importKeyRing,
  importPrivateJwk,
  importPublicJwk,
  jwkThumbprint,
  keyIdOf,
} from './keys';

describe('jwkThumbprint', () => {
  it('matches the RFC 7638 §3.1 example', async () => {
    const jwk = {
      kty: 'RSA',
      n:
        '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn6' +
        '4tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n9' +
        '1CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
      alg: 'RS256',
      kid: '2011-04-29',
    };
    expect(await jwkThumbprint(jwk)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  it('ignores optional members and refuses unknown key types', async () => {
    const { publicKey } = await generateSigningKeyPair();
    const jwk = await exportPublicJwk(publicKey);
    expect(await jwkThumbprint({ ...jwk, kid: 'other', use: 'sig' })).toBe(jwk.kid);
    await expect(jwkThumbprint({ kty: 'XYZ' })).rejects.toThrow(TypeError);
    await expect(jwkThumbprint({ kty: 'EC', crv: 'P-256', x: 'a' })).rejects.toThrow(/member y/);
  });
});

describe('signing keys', () => {
  it('export and import as JWK, keeping the key id', async () => {
    const { publicKey, privateKey } = await generateSigningKeyPair();
    const publicJwk = await exportPublicJwk(publicKey);
    const privateJwk = await exportPrivateJwk(privateKey);
    expect(publicJwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(publicJwk.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(privateJwk.kid).toBe(publicJwk.kid);
    expect(await keyIdOf(publicKey)).toBe(publicJwk.kid);

    const imported = await importPublicJwk(publicJwk);
    expect(imported.ok && imported.value.keyId).toBe(publicJwk.kid);
    const importedPrivate = await importPrivateJwk(privateJwk);
    expect(importedPrivate.ok && importedPrivate.value.key.extractable).toBe(false);
    expect(importedPrivate.ok && importedPrivate.value.key.usages).toEqual(['sign']);
  });

  it('refuses malformed keys, a wrong kid and points off the curve, without throwing', async () => {
    const { publicKey } = await generateSigningKeyPair();
    const jwk = await exportPublicJwk(publicKey);
    expect(await importPublicJwk(null)).toMatchObject({ ok: false, error: { kind: 'invalid' } });
    expect(await importPublicJwk({ ...jwk, crv: 'P-384' })).toMatchObject({
      ok: false,
      error: { path: 'crv' },
    });
    expect(await importPublicJwk({ ...jwk, kid: 'x'.repeat(43) })).toMatchObject({
      ok: false,
      error: { kind: 'mismatch' },
    });
    const offCurve = { ...jwk, kid: undefined, y: jwk.x };
    expect(await importPublicJwk(offCurve)).toMatchObject({ ok: false, error: { kind: 'invalid' } });
    expect(await importPrivateJwk(jwk)).toMatchObject({ ok: false, error: { path: 'd' } });
  });

  it('builds a key ring by key id', async () => {
    const a = await generateSigningKeyPair();
    const b = await generateSigningKeyPair();
    const jwks = [await exportPublicJwk(a.publicKey), await exportPublicJwk(b.publicKey)];
    const ring = await importKeyRing(jwks);
    expect(ring.ok && [...ring.value.keys()]).toEqual(jwks.map((j) => j.kid));
    expect(await importKeyRing([jwks[0], { kty: 'EC' }])).toMatchObject({
      ok: false,
      error: { path: '1.crv' },
    });
  });
});
