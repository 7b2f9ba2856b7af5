import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Sample } from '@edgefleet/shared/api';
import { CliApi } from './api';
import { COMMON_FLAGS_HELP, onePositional, parseFlags, parsePositiveInt } from './flags';
import { CliError, type CliIo, EXIT, UsageError } from './io';
import { bytes, keyValues, labelText, printable, printJson, table, when } from './output';
import { SAMPLE_FILTER_OPTIONS, sampleFilterOf } from './sample-filter';
import { resolveTarget } from './settings';

// `edgefleet samples …`: review what the fleet captured (list, show, label, get).

export const SAMPLES_USAGE = `Usage: edgefleet samples <command> [flags]

Commands:
  list   [--model NAME] [--version V] [--reason low_confidence|low_margin|out_of_range|random|disagreement]
         [--predicted CLASS] [--label CLASS] [--labelled | --unlabelled] [--device ID] [--app APP]
         [--slice 'line=2'] [--since 24h | --from TIME] [--to TIME] [--limit 100] [--cursor C]
         captures, newest first (TIME: ISO 8601 or epoch ms); --slice selects on the capturing device's labels
  show   SHA256                 every capture of the bytes, and who labelled them when
  label  SHA256 LABEL           set the true class of the bytes; label SHA256 --clear removes it
  get    SHA256 -o FILE         download the bytes (checked against the sha256); --thumb: a JPEG thumbnail,
         --force overwrites FILE
${COMMON_FLAGS_HELP}`;

type Env = Readonly<Record<string, string | undefined>>;

const OPTIONS = {
  ...SAMPLE_FILTER_OPTIONS,
  labelled: { type: 'boolean' },
  unlabelled: { type: 'boolean' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
  clear: { type: 'boolean' },
  output: { type: 'string', short: 'o' },
  thumb: { type: 'boolean' },
  force: { type: 'boolean' },
} as const;

const SHA256 = /^[0-9a-f]{64}$/;

/** The one positional SHA256 (lowercased); anything else is a usage error. */
function shaOf(positionals: readonly string[], usage = SAMPLES_USAGE): string {
  const sha = onePositional(positionals.slice(0, 1), 'SHA256', usage).toLowerCase();
  if (!SHA256.test(sha))
    throw new UsageError(`SHA256: expected 64 hex digits, got '${printable(sha.slice(0, 80))}'`, usage);
  return sha;
}

type Values = ReturnType<typeof parseFlags<typeof OPTIONS>>['values'];

/** The list query the flags name. */
export function listQueryOf(values: Values, nowMs: number) {
  if (values.labelled && values.unlabelled) throw new UsageError('give --labelled or --unlabelled, not both');
  const limit = values.limit === undefined ? 100 : parsePositiveInt(values.limit, '--limit');
  if (limit > 1000) throw new UsageError(`--limit: at most 1000, got ${limit}`);
  return {
    ...sampleFilterOf(values, nowMs),
    labelled: values.labelled ? ('true' as const) : values.unlabelled ? ('false' as const) : undefined,
    limit,
    cursor: values.cursor,
  };
}

const source = (s: Sample) => (s.deviceId ? s.deviceId : `${s.appId}/${s.clientId}`);
const predicted = (s: Sample) => (s.top[0] ? `${s.top[0].label} ${s.top[0].confidence.toFixed(2)}` : '-');

/** `edgefleet samples <command>`. */
export async function samplesCommand(command: string, argv: readonly string[], env: Env, io: CliIo) {
  const { values, positionals } = parseFlags(argv, OPTIONS, SAMPLES_USAGE);
  const api = () => resolveTarget(values, env).then((target) => new CliApi(target, io));
  switch (command) {
    case 'list': {
      if (positionals.length > 0)
        throw new UsageError(`unexpected argument '${positionals[0]}'`, SAMPLES_USAGE);
      const query = listQueryOf(values, Date.now());
      const page = await (await api()).call('GET /api/v1/samples', { query });
      if (values.json) return printJson(io, page);
      if (page.samples.length === 0) io.out('no samples match\n');
      else
        io.out(
          table(
            ['SHA256', 'CAPTURED', 'BY', 'MODEL', 'REASONS', 'PREDICTED', 'LABEL', 'SIZE'],
            page.samples.map((s) => [
              s.sha256.slice(0, 12),
              when(s.capturedAt),
              source(s),
              `${s.model.name}@${s.model.version}`,
              s.reasons.join(','),
              predicted(s),
              s.label,
              bytes(s.sizeBytes),
            ]),
          ),
        );
      if (page.nextCursor) io.out(`more: add --cursor ${page.nextCursor}\n`);
      return;
    }
    case 'show': {
      const sha256 = shaOf(positionals);
      const shown = await (await api()).call('GET /api/v1/samples/{sha256}', { params: { sha256 } });
      if (values.json) return printJson(io, shown);
      const first = shown.captures[0]!;
      io.out(
        keyValues([
          ['sha256', first.sha256],
          ['type', first.contentType],
          ['size', bytes(first.sizeBytes)],
          ['pixels', first.width === null ? '-' : `${first.width}×${first.height}`],
          ['label', first.label],
          ['labelled by', first.labelledBy ? `${first.labelledBy} at ${when(first.labelledAt)}` : '-'],
        ]),
      );
      io.out('\ncaptures\n');
      io.out(
        table(
          ['CAPTURED', 'BY', 'DEVICE LABELS', 'MODEL', 'REASONS', 'PREDICTED'],
          shown.captures.map((s) => [
            when(s.capturedAt),
            source(s),
            labelText(s.deviceLabels) || '-',
            `${s.model.name}@${s.model.version}`,
            s.reasons.join(','),
            predicted(s),
          ]),
        ),
      );
      if (shown.labelHistory.length > 0) {
        io.out('\nlabel history\n');
        io.out(
          table(
            ['AT', 'BY', 'LABEL', 'WAS'],
            shown.labelHistory.map((h) => [when(h.at), h.actor, h.label ?? '(cleared)', h.previous]),
          ),
        );
      }
      return;
    }
    case 'label': {
      const sha256 = shaOf(positionals);
      const given = positionals[1];
      if (positionals.length > 2)
        throw new UsageError(`unexpected argument '${positionals[2]}'`, SAMPLES_USAGE);
      if (Boolean(values.clear) === (given !== undefined))
        throw new UsageError('give a LABEL, or --clear (not both)', SAMPLES_USAGE);
      const body = { label: values.clear ? null : given! };
      const stored = await (await api()).call('PUT /api/v1/samples/{sha256}/label', {
        params: { sha256 },
        body,
      });
      if (values.json) return printJson(io, stored);
      io.out(
        stored.label === null
          ? `Cleared the label of ${sha256}\n`
          : `Labelled ${sha256} ${printable(stored.label)} (by ${printable(stored.labelledBy)})\n`,
      );
      return;
    }
    case 'get':
      return getSample(shaOf(positionals), values, await api(), io);
    default:
      throw new UsageError(`unknown command '${command}'`, SAMPLES_USAGE);
  }
}

/** Downloads a sample into a temp file beside `-o`, checks its sha256 (the bytes, not a thumbnail), then renames. */
async function getSample(sha256: string, values: Values, api: CliApi, io: CliIo): Promise<void> {
  const out = values.output;
  if (!out) throw new UsageError('get: -o FILE is required', SAMPLES_USAGE);
  if (!values.force && (await stat(out).catch(() => null)))
    throw new UsageError(`-o: ${out} exists (--force overwrites it)`);
  const res = await api.download('GET /api/v1/samples/{sha256}/content', {
    params: { sha256 },
    query: values.thumb ? { thumb: '1' } : {},
  });
  const partial = `${out}.partial`;
  const hash = createHash('sha256');
  let sizeBytes = 0;
  try {
    const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
    body.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      sizeBytes += chunk.byteLength;
    });
    await pipeline(body, createWriteStream(partial, { mode: 0o600 }));
    const got = hash.digest('hex');
    if (!values.thumb && got !== sha256)
      throw new CliError(`downloaded bytes hash to ${got}, not ${sha256}`, EXIT.serverError);
    await rename(partial, out);
  } catch (error) {
    await rm(partial, { force: true });
    if (error instanceof CliError) throw error;
    // A file system error names its syscall; anything else broke the download itself.
    if ((error as NodeJS.ErrnoException).syscall)
      throw new CliError(`cannot write ${out}: ${(error as Error).message}`, EXIT.usage);
    throw new CliError(`download of ${sha256} interrupted: ${(error as Error).message}`, EXIT.unreachable);
  }
  const type = res.headers.get('content-type') ?? 'application/octet-stream';
  if (values.json) return printJson(io, { sha256, file: out, sizeBytes, contentType: type });
  io.out(`Wrote ${out} (${bytes(sizeBytes)}, ${printable(type)})\n`);
}
