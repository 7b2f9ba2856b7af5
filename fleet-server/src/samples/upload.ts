import { createHash } from 'node:crypto';
import type { SampleUploadResult } from '@edgefleet/shared/api';
import {
  admitSample,
  type BudgetRefusal,
  type CaptureDay,
  type CapturePolicy,
  MAX_CAPTURE_BYTES_PER_DAY,
  type SampleMeta,
  sampleMetaSchema,
} from '@edgefleet/shared/capture';
import { eq } from 'drizzle-orm';
import sharp, { type Metadata } from 'sharp';
import type { ArtifactStore } from '../artifacts/store';
import type { ServerContext } from '../context';
import { schema } from '../db';
import {
  BudgetExhausted,
  CaptureDisabled,
  Forbidden,
  InvalidInput,
  SampleStoreFull,
  UnprocessableContent,
  UnsupportedMediaType,
} from '../errors';
import type { Principal } from '../http/env';
import { invalidInputFrom } from '../http/errors';
import { appValueInForce, deviceValuesInForce } from '../model-settings/store';
import type { UploadsInFlight } from './in-flight';
import {
  budgetDayOf,
  captureExists,
  insertCapture,
  type SampleSource,
  sampleExists,
  saveBudgetDay,
  storedSampleBytes,
} from './store';

const DAY_MS = 86_400_000;
/** How far ahead of the server's clock a capture time may be (client clock skew). */
const MAX_CLOCK_AHEAD_MS = 10 * 60_000;
const SHARP_FORMATS: Record<string, string> = {
  'image/jpeg': 'jpeg',
  'image/png': 'png',
  'image/webp': 'webp',
};

/** The parts of an upload as the multipart body carried them. */
export interface UploadParts {
  meta: unknown;
  content: unknown;
}

/** Parses the `meta` part: JSON text (or a JSON file part) checked against sampleMetaSchema; 400 naming the field. */
export async function parseMeta(raw: unknown): Promise<SampleMeta> {
  const text = raw instanceof File ? await raw.text() : raw;
  if (typeof text !== 'string') throw new InvalidInput('expected a part `meta` (JSON)', { field: 'meta' });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new InvalidInput('meta: not JSON', { field: 'meta' });
  }
  const parsed = sampleMetaSchema.safeParse(json);
  if (!parsed.success) throw invalidInputFrom('meta', parsed.error as Parameters<typeof invalidInputFrom>[1]);
  return parsed.data;
}

/** Who the sample belongs to: a device only as itself (403 `forbidden` otherwise), a browser in its key's app. */
function sourceOf(ctx: ServerContext, principal: Principal, meta: SampleMeta): SampleSource {
  if (principal.kind === 'app') return { appId: principal.appId };
  if (principal.kind !== 'device' || meta.clientId !== principal.deviceId)
    throw new Forbidden(`a device uploads samples only as itself (meta.clientId is ${meta.clientId})`, {
      field: 'meta.clientId',
    });
  const d = schema.devices;
  const row = ctx.db.select({ labels: d.labels }).from(d).where(eq(d.id, principal.deviceId)).get();
  return { deviceId: principal.deviceId, labels: row?.labels ?? {} };
}

/** The capture policy in force for this client and model; 403 `capture_disabled` where none reaches. */
function policyOf(ctx: ServerContext, source: SampleSource, model: string): CapturePolicy {
  const policy =
    'deviceId' in source
      ? deviceValuesInForce(ctx.db, 'capture', model, [source.deviceId]).get(source.deviceId)
      : appValueInForce(ctx.db, 'capture', model, source.appId);
  if (!policy)
    throw new CaptureDisabled(`no capture policy of model ${model} reaches this client`, {
      field: 'meta.model',
    });
  return policy;
}

/** Checks the bytes against the meta (size, sha256) and decodes an image's header; returns its dimensions. */
async function verifyContent(
  meta: SampleMeta,
  bytes: Uint8Array,
): Promise<{ width: number | null; height: number | null }> {
  if (bytes.byteLength !== meta.sizeBytes)
    throw new UnprocessableContent(
      `content has ${bytes.byteLength} bytes, meta.sizeBytes says ${meta.sizeBytes}`,
      {
        field: 'meta.sizeBytes',
      },
    );
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== meta.sha256)
    throw new UnprocessableContent(`content hashes to ${sha256}, meta.sha256 says ${meta.sha256}`, {
      field: 'meta.sha256',
    });
  const format = SHARP_FORMATS[meta.contentType];
  // A raw tensor (application/octet-stream) has no header to decode: its size and hash are what is checked.
  if (!format) return { width: null, height: null };
  let info: Metadata;
  try {
    info = await sharp(bytes, { limitInputPixels: 64 * 1024 * 1024 }).metadata();
  } catch (error) {
    throw new UnprocessableContent(
      `content is not a decodable ${meta.contentType} (${(error as Error).message})`,
      {
        field: 'content',
      },
    );
  }
  if (info.format !== format)
    throw new UnsupportedMediaType(`content is ${info.format}, meta.contentType says ${meta.contentType}`, {
      field: 'meta.contentType',
    });
  return { width: info.width ?? null, height: info.height ?? null };
}

/** One day budget an upload is charged to: whose, which model, the limits and the day it counts in. */
interface BudgetCharge {
  clientKey: string;
  model: string;
  budget: CapturePolicy['budget'];
  sample: { sizeBytes: number; label?: string };
  atMs: number;
  what: string;
}

type Admission =
  | { ok: true; days: CaptureDay[] }
  | { ok: false; charge: BudgetCharge; day: CaptureDay; refused: BudgetRefusal };

/** Admits a sample against every charge in order (the app's cap first); saves nothing. */
function admitAll(ctx: ServerContext, charges: readonly BudgetCharge[]): Admission {
  const days: CaptureDay[] = [];
  for (const charge of charges) {
    const day = budgetDayOf(ctx.db, charge.clientKey, charge.model, charge.atMs);
    const admitted = admitSample(charge.budget, day, charge.sample, charge.atMs);
    if (admitted.refused) return { ok: false, charge, day: admitted.day, refused: admitted.refused };
    days.push(admitted.day);
  }
  return { ok: true, days };
}

/** Counts the refusal in the day of the budget that ran out (the others are left as they were), and throws 429. */
function refuse(ctx: ServerContext, refusal: Extract<Admission, { ok: false }>): never {
  const { charge, day } = refusal;
  saveBudgetDay(ctx.db, charge.clientKey, charge.model, day);
  const retryAfterS = Math.ceil((day.dayMs + DAY_MS - ctx.now()) / 1000);
  throw new BudgetExhausted(
    'capture_budget_exhausted',
    `${charge.what} is exhausted for the day (${refusal.refused})`,
    Math.max(1, retryAfterS),
    { field: 'budget', exhausted: refusal.refused },
  );
}

function storeFull(ctx: ServerContext): SampleStoreFull {
  return new SampleStoreFull(`the sample store is full (${ctx.config.sampleStoreBytes} bytes)`, {
    field: 'store',
    maxBytes: ctx.config.sampleStoreBytes,
  });
}

/** Whether storing a sample of `sizeBytes` (new bytes, unless a sample row has them) passes the store's quota. */
function fitsStore(ctx: ServerContext, sha256: string, sizeBytes: number): boolean {
  return sampleExists(ctx.db, sha256) || storedSampleBytes(ctx.db) + sizeBytes <= ctx.config.sampleStoreBytes;
}

/** The day budgets an upload is charged to: for a browser the app's daily cap first, then the client's policy budget. */
function chargesOf(ctx: ServerContext, source: SampleSource, meta: SampleMeta, policy: CapturePolicy) {
  const charges: BudgetCharge[] = [];
  if ('appId' in source)
    charges.push({
      clientKey: `app:${source.appId}`,
      model: '*',
      budget: { maxSamplesPerDay: ctx.config.sampleAppDailyCap, maxBytesPerDay: MAX_CAPTURE_BYTES_PER_DAY },
      sample: { sizeBytes: 0 },
      atMs: ctx.now(),
      what: `the daily sample cap of app ${source.appId}`,
    });
  const top = meta.top?.[0]?.label;
  charges.push({
    clientKey: 'deviceId' in source ? `dev:${source.deviceId}` : `app:${source.appId}:${meta.clientId}`,
    model: meta.model.name,
    budget: policy.budget,
    sample: { sizeBytes: meta.sizeBytes, ...(top !== undefined ? { label: top } : {}) },
    atMs: meta.capturedAt,
    what: 'the capture budget',
  });
  return charges;
}

/**
 * Stores one uploaded sample after every check, cheapest first: meta, credential, dedup (a resend answers
 * `duplicate` at once), opt-in policy, capture time, content (size, hash, decodable), store quota, the budgets
 * (for browsers the app's daily cap, then the policy's per client and day). The bytes are written next; then, in one
 * synchronous transaction, dedup, quota and budgets are checked again and the budgets charged with the capture row:
 * a refused upload charges no budget (a refusal is counted in the day that refused), and of two identical uploads
 * at once only the one that stores is charged. The digest is held from the start (`inFlight`), so the collector
 * never removes bytes between their write and their row.
 */
export async function storeUpload(
  ctx: ServerContext,
  blobs: ArtifactStore,
  inFlight: UploadsInFlight,
  principal: Principal,
  parts: UploadParts,
): Promise<SampleUploadResult> {
  const meta = await parseMeta(parts.meta);
  const source = sourceOf(ctx, principal, meta);
  const release = inFlight.hold(meta.sha256);
  try {
    return await storeHeld(ctx, blobs, source, meta, parts.content);
  } finally {
    release();
  }
}

async function storeHeld(
  ctx: ServerContext,
  blobs: ArtifactStore,
  source: SampleSource,
  meta: SampleMeta,
  content: unknown,
): Promise<SampleUploadResult> {
  const duplicate = { sha256: meta.sha256, status: 'duplicate' } as const;
  if (captureExists(ctx.db, meta.sha256, meta.clientId)) return duplicate;
  const policy = policyOf(ctx, source, meta.model.name);
  const now = ctx.now();
  if (
    meta.capturedAt > now + MAX_CLOCK_AHEAD_MS ||
    meta.capturedAt < now - (policy.clientRetentionDays + 1) * DAY_MS
  )
    throw new UnprocessableContent(
      `meta.capturedAt is outside the policy's retention (${policy.clientRetentionDays} days) or in the future`,
      { field: 'meta.capturedAt' },
    );
  if (!(content instanceof File))
    throw new InvalidInput('expected a file part `content`', { field: 'content' });
  const bytes = new Uint8Array(await content.arrayBuffer());
  const dims = await verifyContent(meta, bytes);
  if (!fitsStore(ctx, meta.sha256, meta.sizeBytes)) throw storeFull(ctx);
  const charges = chargesOf(ctx, source, meta, policy);
  const precheck = admitAll(ctx, charges);
  if (!precheck.ok) refuse(ctx, precheck);
  if (!sampleExists(ctx.db, meta.sha256)) {
    const received = await blobs.receive(
      (async function* () {
        yield bytes;
      })(),
      bytes.byteLength,
    );
    await received.commit();
  }
  // From here on nothing awaits: checks, charges and the row are one step for every other request.
  const outcome = ctx.db.transaction(() => {
    if (captureExists(ctx.db, meta.sha256, meta.clientId)) return 'duplicate' as const;
    if (!fitsStore(ctx, meta.sha256, meta.sizeBytes)) return 'full' as const;
    const admitted = admitAll(ctx, charges);
    if (!admitted.ok) return admitted;
    charges.forEach((c, i) => {
      saveBudgetDay(ctx.db, c.clientKey, c.model, admitted.days[i]!);
    });
    return insertCapture(ctx.db, meta, source, dims, now) ? ('stored' as const) : ('duplicate' as const);
  });
  if (outcome === 'full') throw storeFull(ctx);
  if (typeof outcome === 'object') refuse(ctx, outcome);
  return outcome === 'stored' ? { sha256: meta.sha256, status: 'stored' } : duplicate;
}
