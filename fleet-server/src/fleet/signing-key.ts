import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  exportPrivateJwk,
  generateSigningKeyPair,
  importPrivateJwk,
  type Manifest,
  type PublicJwk,
  type SignedManifest,
  signManifest,
} from '@edgefleet/shared';

/** Signs manifests with the fleet's key; `publicJwk` goes to devices at enrollment. */
export interface FleetSigner {
  keyId: string;
  publicJwk: PublicJwk;
  signManifest(manifest: Manifest): Promise<SignedManifest>;
}

/** Path of the fleet's private signing key inside the data dir. */
export const signingKeyPath = (dataDir: string): string => join(dataDir, 'keys', 'fleet-signing-key.jwk');

/**
 * Loads the fleet's ECDSA P-256 signing key, creating it on first start. The private JWK lives in
 * `<dataDir>/keys/fleet-signing-key.jwk` (file 0600, directory 0700), not in the database: a copied or
 * backed-up database does not carry the key, and replicas get the file mounted as a secret.
 * `expectedKeyId` (recorded at the previous start) turns a lost key file into an error instead of a new key.
 */
export async function loadOrCreateSigner(
  dataDir: string,
  expectedKeyId: string | null = null,
): Promise<{ signer: FleetSigner; created: boolean }> {
  const path = signingKeyPath(dataDir);
  let created = false;
  if (!existsSync(path)) {
    // A silently new key would make every enrolled client reject every new manifest.
    if (expectedKeyId !== null) {
      throw new Error(
        `the fleet signing key ${expectedKeyId} is missing: restore ${path} from backup ` +
          '(or delete the fleet_settings row signing.publicJwk to start a new key that clients must re-trust)',
      );
    }
    mkdirSync(join(dataDir, 'keys'), { recursive: true, mode: 0o700 });
    const pair = await generateSigningKeyPair();
    const tempPath = `${path}.tmp`;
    writeFileSync(tempPath, `${JSON.stringify(await exportPrivateJwk(pair.privateKey))}\n`, { mode: 0o600 });
    renameSync(tempPath, path);
    created = true;
  }
  const jwk: unknown = JSON.parse(readFileSync(path, 'utf8'));
  const imported = await importPrivateJwk(jwk, { extractable: true });
  if (!imported.ok) throw new Error(`${path}: ${imported.error.message}`);
  const { key, keyId } = imported.value;
  const { d: _d, ...publicMembers } = jwk as Record<string, unknown>;
  const publicJwk: PublicJwk = {
    kty: 'EC',
    crv: 'P-256',
    x: String(publicMembers.x),
    y: String(publicMembers.y),
    kid: keyId,
    alg: 'ES256',
    use: 'sig',
  };
  const signer: FleetSigner = {
    keyId,
    publicJwk,
    signManifest: (manifest) => signManifest(manifest, key, keyId),
  };
  return { signer, created };
}
