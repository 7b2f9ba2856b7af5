import { createHash } from 'node:crypto';
import {
  type KeyRing,
  type ModelRef,
  type ProfileSpec,
  parseProfileSpec,
  specHash,
  verifyManifest,
} from '@edgefleet/shared';
import { atStep, DeployFailure } from '../errors';
import { downloadArtifact } from '../store/download';
import type { ModelStore, StoredModel } from '../store/model-store';
import { verifyInstalled } from '../store/verify-installed';

/** Where and how to fetch a version's parts. */
export interface FetchContext {
  apiUrl: string;
  deviceToken: string;
  keys: KeyRing;
  store: ModelStore;
  fetchImpl?: typeof fetch;
}

const MAX_SIDE_FILE_BYTES = 16 * 1024 * 1024;

async function fetchBytes(ctx: FetchContext, url: string): Promise<Buffer> {
  const res = await (ctx.fetchImpl ?? fetch)(new URL(url, ctx.apiUrl), {
    headers: { authorization: `Bearer ${ctx.deviceToken}` },
  }).catch((err: Error) => {
    throw new DeployFailure('download', `GET ${url}: ${err.message}`);
  });
  if (res.status !== 200) throw new DeployFailure('download', `GET ${url}: expected 200, got ${res.status}`);
  const bytes = Buffer.from(await res.arrayBuffer());
  if (bytes.length > MAX_SIDE_FILE_BYTES)
    throw new DeployFailure('download', `GET ${url}: over ${MAX_SIDE_FILE_BYTES} bytes`);
  return bytes;
}

/**
 * Makes a version available in the store: verifies the manifest signature against the fleet keys
 * (before any byte is downloaded), downloads the artifact with `Range` resume and checks its sha256,
 * fetches the ProfileSpec (checked against `manifest.specHash`) and the golden pair (checked against
 * `goldenSha256`), and installs all of it by one atomic rename. A version already stored is read back.
 */
export async function fetchVersion(ctx: FetchContext, ref: ModelRef): Promise<StoredModel> {
  const verified = await verifyManifest(ref, ctx.keys);
  if (!verified.ok)
    throw new DeployFailure('verify_signature', `${verified.error.kind}: ${verified.error.message}`);
  const manifest = verified.value;
  const id = { name: manifest.name, version: manifest.version };
  if (ctx.store.has(id)) {
    const stored = await ctx.store.read(id);
    if (stored && stored.ref.manifest.sha256 === manifest.sha256) {
      // Stored earlier is not proof now: check the bytes again; a changed copy is set aside and fetched anew.
      const failure = await verifyInstalled(stored, ctx.keys).then(
        () => null,
        (err: Error) => err,
      );
      if (!failure) return stored;
      await ctx.store.quarantine(id, { step: 'verify_sha256', message: failure.message });
    }
  }
  const partial = ctx.store.partialPath(manifest.sha256);
  await downloadArtifact({
    url: new URL(ref.artifactUrl, ctx.apiUrl).toString(),
    dest: partial,
    sha256: manifest.sha256,
    sizeBytes: manifest.sizeBytes,
    headers: { authorization: `Bearer ${ctx.deviceToken}` },
    ...(ctx.fetchImpl ? { fetchImpl: ctx.fetchImpl } : {}),
  });
  let spec: ProfileSpec;
  try {
    const parsed = parseProfileSpec(JSON.parse((await fetchBytes(ctx, ref.profileSpecUrl)).toString('utf8')));
    if (!parsed.ok) throw new DeployFailure('verify_signature', `profile spec: ${parsed.error.message}`);
    spec = parsed.value;
  } catch (err) {
    if (err instanceof DeployFailure) throw err;
    throw new DeployFailure('download', `profile spec: ${(err as Error).message}`);
  }
  if (specHash(spec) !== manifest.specHash) {
    throw new DeployFailure(
      'verify_signature',
      `profile spec hash ${specHash(spec)} is not the signed ${manifest.specHash}`,
    );
  }
  let golden: unknown;
  if (ref.goldenUrl && manifest.goldenSha256) {
    const bytes = await fetchBytes(ctx, ref.goldenUrl);
    const digest = createHash('sha256').update(bytes).digest('hex');
    if (digest !== manifest.goldenSha256) {
      throw new DeployFailure(
        'verify_sha256',
        `golden file: expected sha256 ${manifest.goldenSha256}, got ${digest}`,
      );
    }
    try {
      golden = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new DeployFailure('golden', 'golden file is not JSON');
    }
  }
  // A full disk fails here (ENOSPC): a download failure with its reason, never a crash.
  return atStep('download', () => ctx.store.install({ ...ref, manifest }, partial, spec, golden));
}
