import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { type KeyRing, specHash, verifyManifest } from '@edgefleet/shared';
import { DeployFailure } from '../errors';
import type { StoredModel } from './model-store';

/**
 * Checks an installed version again before it is served (at restore, and when a desired state names a version
 * the store has): the manifest signature against the fleet keys (when enrolled), the model file's size and
 * sha256 against the signed manifest, and the profile spec against its signed hash. A byte flipped on disk
 * (bit rot, a bad flash cell, someone with write access to the store) fails here, never in front of a camera.
 */
export async function verifyInstalled(stored: StoredModel, keys: KeyRing | undefined): Promise<void> {
  const label = `${stored.ref.manifest.name}@${stored.ref.manifest.version}`;
  if (keys) {
    const verified = await verifyManifest(stored.ref, keys);
    if (!verified.ok) {
      throw new DeployFailure(
        'verify_signature',
        `installed ${label}: ${verified.error.kind}: ${verified.error.message}`,
      );
    }
  }
  const { sha256, sizeBytes } = stored.ref.manifest;
  const size = await stat(stored.modelPath).then(
    (s) => s.size,
    () => -1,
  );
  const digest = size === sizeBytes ? await sha256Of(stored.modelPath) : null;
  if (size !== sizeBytes || digest !== sha256) {
    throw new DeployFailure(
      'verify_sha256',
      `installed ${label} changed on disk: expected ${sizeBytes} bytes with sha256 ${sha256}, got ` +
        (size < 0 ? 'no model file' : digest === null ? `${size} bytes` : `sha256 ${digest}`),
    );
  }
  if (specHash(stored.spec) !== stored.ref.manifest.specHash) {
    throw new DeployFailure('verify_signature', `installed ${label}: profile spec is not the signed one`);
  }
}

function sha256Of(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}
