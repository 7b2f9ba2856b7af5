import { createHash } from 'node:crypto';
import type { SampleUploadResult } from '@edgefleet/shared/api';
import {
  admitSample,
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

/** Spends one sample of a budget, or throws 429 `capture_budget_exhausted` (counted in the day record). */
function spendBudget(
  ctx: ServerContext,
  key: { clientKey: string; model: string },
  budget: CapturePolicy['budget'],
  sample: { sizeBytes: number; label?: string },
  atMs: number,
  what: string,
): void {
  const day = budgetDayOf(ctx.db, key.clientKey, key.model, atMs);
  const admitted = admitSample(budget, day, sample, atMs);
  saveBudgetDay(ctx.db, key.clientKey, key.model, admitted.day);
  if (!admitted.refused) return;
  const retryAfterS = Math.ceil((day.dayMs + DAY_MS - ctx.now()) / 1000);
  throw new BudgetExhausted(
    'capture_budget_exhausted',
    `${what} is exhausted for the day (${admitted.refused})`,
    Math.max(1, retryAfterS),
    { field: 'budget', exhausted: admitted.refused },
  );
}

/**
 * Stores one uploaded sample after every check, cheapest first: meta, credential, dedup (a resend answers
 * `duplicate` at once), opt-in policy, capture time, content (size, hash, decodable), store quota, then the
 * budgets (the policy's per client and day, and for browsers the app's daily cap), spent only by samples
 * that pass everything else.
 */
export async function storeUpload(
  ctx: ServerContext,
  blobs: ArtifactStore,
  principal: Principal,
  parts: UploadParts,
): Promise<SampleUploadResult> {
  const meta = await parseMeta(parts.meta);
  const source = sourceOf(ctx, principal, meta);
  if (captureExists(ctx.db, meta.sha256, meta.clientId)) return { sha256: meta.sha256, status: 'duplicate' };
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
  if (!(parts.content instanceof File))
    throw new InvalidInput('expected a file part `content`', { field: 'content' });
  const bytes = new Uint8Array(await parts.content.arrayBuffer());
  const dims = await verifyContent(meta, bytes);
  const known = sampleExists(ctx.db, meta.sha256);
  if (!known && storedSampleBytes(ctx.db) + meta.sizeBytes > ctx.config.sampleStoreBytes)
    throw new SampleStoreFull(`the sample store is full (${ctx.config.sampleStoreBytes} bytes)`, {
      field: 'store',
      maxBytes: ctx.config.sampleStoreBytes,
    });
  const clientKey = 'deviceId' in source ? `dev:${source.deviceId}` : `app:${source.appId}:${meta.clientId}`;
  const top = meta.top?.[0]?.label;
  const sample = { sizeBytes: meta.sizeBytes, ...(top !== undefined ? { label: top } : {}) };
  if ('appId' in source) {
    const cap = { maxSamplesPerDay: ctx.config.sampleAppDailyCap, maxBytesPerDay: MAX_CAPTURE_BYTES_PER_DAY };
    const budgetKey = { clientKey: `app:${source.appId}`, model: '*' };
    spendBudget(ctx, budgetKey, cap, { sizeBytes: 0 }, now, `the daily sample cap of app ${source.appId}`);
  }
  spendBudget(
    ctx,
    { clientKey, model: meta.model.name },
    policy.budget,
    sample,
    meta.capturedAt,
    'the capture budget',
  );
  if (!known) {
    const received = await blobs.receive(
      (async function* () {
        yield bytes;
      })(),
      bytes.byteLength,
    );
    await received.commit();
  }
  const stored = insertCapture(ctx.db, meta, source, dims, now);
  return { sha256: meta.sha256, status: stored ? 'stored' : 'duplicate' };
}
