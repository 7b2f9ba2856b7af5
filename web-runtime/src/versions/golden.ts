import {
  checkGoldenOutputs,
  type GoldenPair,
  goldenPairMisfit,
  MAX_GOLDEN_BYTES,
  type Manifest,
  type ModelRef,
  parseGoldenPair,
  sha256Hex,
} from '@edgefleet/shared';
import { messageOf, RuntimeError } from '../errors';
import type { InputDtype, TensorData } from '../inference/protocol';
import type { WorkerSession } from '../inference/session';
import { getMeta, type Store, setMeta } from '../storage/db';

/** The plan's golden policy: `required` refuses a version without a pair; `if_present` checks one when named. */
export type GoldenPolicy = 'required' | 'if_present';

/**
 * The version's golden pair, verified against the signed `manifest.goldenSha256` and parsed with the shared
 * reader; undefined when the version names none. Cached in IndexedDB by sha256, so an offline start can check
 * it too. Throws `golden_mismatch` (policy `required` without a pair, unreadable pair), `integrity` or `network`.
 */
export async function loadGoldenPair(
  ref: ModelRef,
  manifest: Manifest,
  o: { server: string; key: string; store: Store; policy: GoldenPolicy },
): Promise<GoldenPair | undefined> {
  const label = `${manifest.name}@${manifest.version}`;
  const sha256 = manifest.goldenSha256;
  if (!sha256 || !ref.goldenUrl) {
    if (o.policy === 'required')
      throw new RuntimeError(
        'golden_mismatch',
        `${label}: the plan requires a golden pair; the version has none`,
      );
    return undefined;
  }
  const cacheKey = `golden:${sha256}`;
  let text = await getMeta<string>(o.store, cacheKey);
  if (typeof text !== 'string') {
    const bytes = await fetchGolden(new URL(ref.goldenUrl, o.server).toString(), o.key, label);
    const digest = await sha256Hex(bytes);
    if (digest !== sha256)
      throw new RuntimeError(
        'integrity',
        `golden pair of ${label}: expected sha256 ${sha256}, got ${digest}`,
      );
    text = new TextDecoder().decode(bytes);
    await setMeta(o.store, cacheKey, text);
  }
  const pair = parseGoldenPair(text);
  if (!pair.ok) throw new RuntimeError('golden_mismatch', `golden pair of ${label}: ${pair.error.message}`);
  return pair.value;
}

async function fetchGolden(url: string, key: string, label: string): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
  } catch (error) {
    throw new RuntimeError('network', `golden pair of ${label}: ${messageOf(error)}`);
  }
  if (!response.ok) throw new RuntimeError('network', `golden pair of ${label}: HTTP ${response.status}`);
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > MAX_GOLDEN_BYTES)
    throw new RuntimeError(
      'integrity',
      `golden pair of ${label}: ${declared} bytes, at most ${MAX_GOLDEN_BYTES}`,
    );
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.byteLength > MAX_GOLDEN_BYTES)
    throw new RuntimeError('integrity', `golden pair of ${label}: over ${MAX_GOLDEN_BYTES} bytes`);
  return bytes;
}

const RUNNABLE: readonly string[] = ['float32', 'float16', 'uint8', 'int8', 'int32', 'int64', 'float64'];

/**
 * Runs the golden inputs on the freshly loaded (and warmed-up) Worker session and compares the outputs with the
 * shared `checkGoldenOutputs`; throws `golden_mismatch` naming the first element that differs.
 */
export async function checkGoldenPair(
  session: WorkerSession,
  pair: GoldenPair,
  label: string,
): Promise<void> {
  const info = session.info!;
  const misfit = goldenPairMisfit(pair, { inputNames: info.inputNames, outputNames: info.outputNames });
  if (misfit) throw new RuntimeError('golden_mismatch', `golden pair of ${label}: ${misfit.message}`);
  const inputs: Record<string, TensorData> = {};
  for (const [name, t] of Object.entries(pair.inputs)) {
    if (!RUNNABLE.includes(t.dtype))
      throw new RuntimeError(
        'golden_mismatch',
        `golden pair of ${label}: input ${name} has dtype ${t.dtype}`,
      );
    inputs[name] = { data: t.data as TensorData['data'], dims: t.dims, dtype: t.dtype as InputDtype };
  }
  let outputs: Awaited<ReturnType<WorkerSession['run']>>['outputs'];
  try {
    ({ outputs } = await session.run(inputs));
  } catch (error) {
    throw new RuntimeError('golden_mismatch', `golden input of ${label} failed to run: ${messageOf(error)}`);
  }
  const miss = checkGoldenOutputs(pair, outputs);
  if (miss) throw new RuntimeError('golden_mismatch', `golden pair of ${label}: ${miss.message}`);
}
