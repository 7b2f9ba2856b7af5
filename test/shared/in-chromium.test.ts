import { fileURLToPath } from 'node:url';
import {
  bucketOf,
  buildBaseline,
  DDSketch,
  exportPublicJwk,
  generateSigningKeyPair,
  imageFeatures,
  importPublicJwk,
  keyIdOf,
  type Manifest,
  Profile,
  signManifest,
  verifyManifest,
} from '@edgefleet/shared';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../browser/chromium';
import { serveFiles } from '../browser/static-server';

// The same shared code must give the same numbers in Chromium as in Node: bucketing
// decides rollout membership on both sides, sketches merge across both, and a manifest
// signed by the server must verify in the browser.

let browser: Browser;
let page: Page;
let closeServer: () => Promise<void>;

beforeAll(async () => {
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL('./browser-entry.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    write: false,
  });
  const js = bundle.outputFiles[0]?.text ?? '';
  // Guard against Node built-ins sneaking into shared: the browser bundle must not need them.
  expect(js).not.toMatch(/from\s*["']node:/);
  const served = await serveFiles({
    '/': { body: '<!doctype html><script type="module" src="/shared.js"></script>', type: 'text/html' },
    '/shared.js': { body: js, type: 'text/javascript' },
  });
  closeServer = served.close;
  browser = await launchChromium();
  page = await browser.newPage();
  await page.goto(served.url);
  await page.waitForFunction(() => window.edgefleetShared !== undefined);
});

afterAll(async () => {
  await browser?.close();
  await closeServer?.();
});

const manifest = (): Manifest => ({
  v: 1,
  fleet: 'acme',
  name: 'defect',
  version: '3.0.0',
  format: 'onnx',
  sha256: 'a'.repeat(64),
  sizeBytes: 583_163,
  preprocessing: { kind: 'tensor', dtype: 'float32' },
  specHash: 'b'.repeat(16),
  baselineSha256: 'c'.repeat(64),
  createdAt: 1_763_900_000_000,
});

describe('@edgefleet/shared in real Chromium', () => {
  it('runs in a secure context with WebCrypto', async () => {
    expect(await page.evaluate(() => window.isSecureContext && !!crypto.subtle)).toBe(true);
  });

  it('buckets every id exactly as Node does, unicode included', async () => {
    const ids = Array.from({ length: 2000 }, (_, i) =>
      i % 7 === 0 ? `stätion-${i}-检查-🙂` : `device-${i}`,
    );
    const salts = ['r-1', 'rollout-2026-11-23', ''];
    const inNode = salts.map((salt) => ids.map((id) => bucketOf(id, salt)));
    const inBrowser = await page.evaluate(
      ({ ids, salts }) => salts.map((salt) => ids.map((id) => window.edgefleetShared.bucketOf(id, salt))),
      { ids, salts },
    );
    expect(inBrowser).toEqual(inNode);
  });

  it('merges a DDSketch built in the browser with one built in Node, byte for byte', async () => {
    const a = Array.from({ length: 5000 }, (_, i) => 0.5 + ((i * 7919) % 1000) / 37);
    const b = Array.from({ length: 3000 }, (_, i) => 3 + ((i * 104729) % 500) / 11);
    const nodeSketch = new DDSketch();
    nodeSketch.addMany(a);
    const fromBrowser = await page.evaluate(
      ({ b, wire }) => {
        const { DDSketch } = window.edgefleetShared;
        const mine = new DDSketch();
        mine.addMany(b);
        const parsed = DDSketch.fromJSON(wire);
        if (!parsed.ok) throw new Error(parsed.error.message);
        return parsed.value.merge(mine).toJSON();
      },
      { b, wire: nodeSketch.toJSON() },
    );
    const expected = new DDSketch();
    expected.addMany([...a, ...b]);
    expect(fromBrowser).toEqual(expected.toJSON());
  });

  it('merges window profiles across Node and the browser', async () => {
    const samples = Array.from({ length: 400 }, (_, i) => ({
      brightness: (i % 97) / 97,
      contrast: (i % 13) / 13,
    }));
    const { spec } = buildBaseline(samples);
    const nodeWindow = new Profile(spec);
    for (const s of samples.slice(0, 200)) nodeWindow.observeInputs(s);
    const merged = await page.evaluate(
      ({ spec, rest, wire }) => {
        const { Profile } = window.edgefleetShared;
        const mine = new Profile(spec);
        for (const s of rest) mine.observeInputs(s);
        const parsed = Profile.fromJSON(wire, spec);
        if (!parsed.ok) throw new Error(parsed.error.message);
        return parsed.value.merge(mine).toJSON();
      },
      { spec, rest: samples.slice(200), wire: nodeWindow.toJSON() },
    );
    const whole = new Profile(spec);
    for (const s of samples) whole.observeInputs(s);
    const parsed = Profile.fromJSON(merged, spec);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.inferences).toBe(whole.inferences);
    expect(parsed.value.inputs.get('brightness')?.histogram.counts).toEqual(
      whole.inputs.get('brightness')?.histogram.counts,
    );
    expect(parsed.value.inputs.get('contrast')?.moments.mean).toBeCloseTo(
      whole.inputs.get('contrast')!.moments.mean,
      12,
    );
  });

  it('extracts the same image features in the browser as in Node', async () => {
    const dims = [1, 3, 48, 192];
    const data = Float32Array.from({ length: 3 * 48 * 192 }, (_, i) => ((i * 2654435761) % 1000) / 1000);
    const inNode = imageFeatures(data, dims, 'NCHW');
    const inBrowser = await page.evaluate(
      ({ values, dims }) => window.edgefleetShared.imageFeatures(Float32Array.from(values), dims, 'NCHW'),
      { values: Array.from(data), dims },
    );
    expect(inNode.ok).toBe(true);
    expect(inBrowser).toEqual(inNode);
  });

  it('verifies in the browser a manifest signed in Node, and refuses a tampered one', async () => {
    const keys = await generateSigningKeyPair();
    const signed = await signManifest(manifest(), keys.privateKey, await keyIdOf(keys.publicKey));
    const jwk = await exportPublicJwk(keys.publicKey);
    const tampered = {
      ...signed,
      manifest: { ...signed.manifest, sizeBytes: signed.manifest.sizeBytes + 1 },
    };
    const verdicts = await page.evaluate(
      async ({ jwk, signed, tampered }) => {
        const { importPublicJwk, verifyManifest } = window.edgefleetShared;
        const key = await importPublicJwk(jwk);
        if (!key.ok) throw new Error(key.error.message);
        const good = await verifyManifest(signed, key.value.key);
        const bad = await verifyManifest(tampered, key.value.key);
        return { good: good.ok, bad: bad.ok ? 'accepted' : bad.error.kind };
      },
      { jwk, signed, tampered },
    );
    expect(verdicts).toEqual({ good: true, bad: 'bad_signature' });
  });

  it('verifies in Node a manifest signed in the browser', async () => {
    const { jwk, signed } = await page.evaluate(async (m) => {
      const s = window.edgefleetShared;
      const pair = await s.generateSigningKeyPair();
      return {
        jwk: await s.exportPublicJwk(pair.publicKey),
        signed: await s.signManifest(m, pair.privateKey, await s.keyIdOf(pair.publicKey)),
      };
    }, manifest());
    const key = await importPublicJwk(jwk);
    expect(key.ok).toBe(true);
    if (!key.ok) return;
    const verdict = await verifyManifest(signed, key.value.key);
    expect(verdict.ok).toBe(true);
  });
});
