import { userInfo } from 'node:os';
import { type Lineage, lineageSchema } from '@edgefleet/shared';
import { readJsonArg } from './flags';
import { UsageError } from './io';

// `model push --lineage JSON|@file` or `--lineage-kv k=v …`: where a version came from, checked locally
// with the shared schema before anything is uploaded.

const TEXT_KEYS = new Set(['createdBy', 'trainingDataSha256', 'codeRevision', 'notes']);

/** `params.lr=0.01` → 0.01, `params.aug=true` → true, anything else stays a string. */
function paramValue(text: string): string | number | boolean {
  if (text === 'true' || text === 'false') return text === 'true';
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) ? n : text;
}

/**
 * Lineage from `k=v` pairs: createdBy, createdAt (ms or ISO time), trainingDataSha256, codeRevision, notes,
 * parent=NAME@VERSION, params.NAME=VALUE, metrics.NAME=NUMBER.
 */
export function lineageFromPairs(pairs: readonly string[]): Record<string, unknown> {
  const lineage: Record<string, unknown> = {};
  const params: Record<string, unknown> = {};
  const metrics: Record<string, number> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`--lineage-kv: expected KEY=VALUE, got '${pair}'`);
    const key = pair.slice(0, at);
    const value = pair.slice(at + 1);
    if (TEXT_KEYS.has(key)) lineage[key] = value;
    else if (key === 'createdAt') {
      const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
      if (!Number.isFinite(ms))
        throw new UsageError(`--lineage-kv createdAt: expected ms or an ISO time, got '${value}'`);
      lineage.createdAt = ms;
    } else if (key === 'parent') {
      const [name, version] = value.split('@');
      if (!name || !version)
        throw new UsageError(`--lineage-kv parent: expected NAME@VERSION, got '${value}'`);
      lineage.parent = { name, version };
    } else if (key.startsWith('params.') && key.length > 7) params[key.slice(7)] = paramValue(value);
    else if (key.startsWith('metrics.') && key.length > 8) {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) {
        throw new UsageError(`--lineage-kv ${key}: expected a number, got '${value}'`);
      }
      metrics[key.slice(8)] = n;
    } else {
      throw new UsageError(
        `--lineage-kv: unknown key '${key}' (createdBy, createdAt, trainingDataSha256, codeRevision, notes, parent, params.NAME, metrics.NAME)`,
      );
    }
  }
  if (Object.keys(params).length > 0) lineage.params = params;
  if (Object.keys(metrics).length > 0) lineage.metrics = metrics;
  return lineage;
}

/**
 * The lineage to register: --lineage or --lineage-kv, `createdBy` defaulting to the local user, `trainedOn` from
 * --trained-on (a different `trainedOn` in --lineage is a usage error), schema-checked.
 */
export async function readLineage(
  json: string | undefined,
  pairs: readonly string[] | undefined,
  trainedOn?: string,
): Promise<Lineage> {
  if (json !== undefined && pairs !== undefined)
    throw new UsageError('give --lineage or --lineage-kv, not both');
  const given = json !== undefined ? await readJsonArg(json, '--lineage') : lineageFromPairs(pairs ?? []);
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw new UsageError('--lineage: expected a JSON object');
  }
  const claimed = (given as { trainedOn?: unknown }).trainedOn;
  if (trainedOn !== undefined && claimed !== undefined && claimed !== trainedOn)
    throw new UsageError(`--trained-on ${trainedOn} and --lineage trainedOn ${String(claimed)} differ`);
  const lineage = { createdBy: localUser(), ...given, ...(trainedOn !== undefined ? { trainedOn } : {}) };
  const parsed = lineageSchema.safeParse(lineage);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const flag =
      issue.path[0] === 'trainedOn' && trainedOn !== undefined
        ? '--trained-on'
        : `lineage.${issue.path.join('.')}`;
    throw new UsageError(`${flag}: ${issue.message}`);
  }
  return parsed.data;
}

function localUser(): string {
  try {
    return userInfo().username || 'edgefleet-cli';
  } catch {
    return 'edgefleet-cli';
  }
}
