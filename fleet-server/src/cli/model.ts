import type { ProfileJSON, ProfileSpec } from '@edgefleet/shared';
import type { TensorSignature as Tensor } from '@edgefleet/shared/api';
import { CliApi } from './api';
import { COMMON_FLAGS_HELP, noArguments, onePositional, parseFlags, parseModelRef } from './flags';
import { type CliIo, UsageError } from './io';
import { bytes, keyValues, num, printable, printJson, table, when } from './output';
import { resolveTarget } from './settings';

// `edgefleet model …`: push, list, show and deprecate model versions.

export const MODEL_USAGE = `Usage: edgefleet model <command> [flags]

Commands:
  push        FILE.onnx --name NAME --version VERSION --preprocessing JSON|@file --baseline DIR …  (see 'model push --help')
  list        models with their version count
  show        NAME            the versions of a model
  show        NAME@VERSION    lineage, IO signature, preprocessing, baseline summary, deprecation
  deprecate   NAME@VERSION [--reason TEXT]
${COMMON_FLAGS_HELP}`;

type Env = Readonly<Record<string, string | undefined>>;

type Spec = ProfileSpec;
type BaselineJson = ProfileJSON;

const OPTIONS = { reason: { type: 'string' } } as const;

/** `edgefleet model <command>`. */
export async function modelCommand(command: string, argv: readonly string[], env: Env, io: CliIo) {
  if (command === 'push') {
    // Loaded on demand: push needs the shared schemas (and, for --baseline, onnxruntime and sharp).
    const { modelPush, PUSH_USAGE } = await import('./model-push');
    if (argv.includes('--help') || argv.includes('-h')) return io.out(PUSH_USAGE);
    return modelPush(argv, env, io);
  }
  const { values, positionals } = parseFlags(argv, OPTIONS, MODEL_USAGE);
  if (command === 'list') {
    noArguments(positionals, MODEL_USAGE);
    const api = new CliApi(await resolveTarget(values, env), io);
    const { models } = await api.call('GET /api/v1/models', {});
    if (values.json) return printJson(io, { models });
    io.out(
      table(
        ['NAME', 'VERSIONS', 'LATEST', 'DESCRIPTION'],
        models.map((m) => [m.name, m.versions, when(m.latestCreatedAt), m.description]),
      ),
    );
    return;
  }
  if (command === 'show') {
    const ref = parseModelRef(onePositional(positionals, 'NAME or NAME@VERSION', MODEL_USAGE), 'show', true);
    const api = new CliApi(await resolveTarget(values, env), io);
    if (ref.version === undefined) return showVersions(api, ref.name, values.json === true, io);
    return showVersion(api, ref.name, ref.version, values.json === true, io);
  }
  if (command === 'deprecate') {
    const ref = parseModelRef(onePositional(positionals, 'NAME@VERSION', MODEL_USAGE), 'deprecate');
    const api = new CliApi(await resolveTarget(values, env), io);
    const version = await api.call('POST /api/v1/models/{name}/versions/{version}/deprecate', {
      params: { name: ref.name, version: ref.version! },
      body: { reason: values.reason ?? 'deprecated with the edgefleet CLI' },
    });
    if (values.json) return printJson(io, version);
    io.out(`Deprecated ${version.name}@${version.version} (${printable(version.deprecationReason)})\n`);
    return;
  }
  throw new UsageError(`unknown command '${command}'`, MODEL_USAGE);
}

async function showVersions(api: CliApi, name: string, json: boolean, io: CliIo) {
  const { versions } = await api.call('GET /api/v1/models/{name}/versions', { params: { name } });
  if (json) return printJson(io, { versions });
  io.out(
    table(
      ['VERSION', 'SHA256', 'CREATED', 'BY', 'DEPRECATED'],
      versions.map((v) => [
        v.version,
        v.sha256.slice(0, 12),
        when(v.createdAt),
        v.lineage.createdBy ?? v.createdBy,
        v.deprecatedAt === null ? '-' : `${when(v.deprecatedAt)} ${v.deprecationReason ?? ''}`,
      ]),
    ),
  );
}

async function showVersion(api: CliApi, name: string, version: string, json: boolean, io: CliIo) {
  const params = { name, version };
  const v = await api.call('GET /api/v1/models/{name}/versions/{version}', { params });
  const [meta, spec, baseline] = await Promise.all([
    api.call('GET /api/v1/artifacts/{sha256}/meta', { params: { sha256: v.sha256 } }),
    api.call('GET /api/v1/models/{name}/versions/{version}/spec', { params }),
    api.call('GET /api/v1/models/{name}/versions/{version}/baseline', { params }),
  ]);
  const features = baselineFeatures(spec, baseline);
  if (json) {
    return printJson(io, {
      ...v,
      signature: meta.signature,
      baseline: { samples: baseline.inferences, classes: spec.classes ?? [], features },
    });
  }
  const tensor = (t: Tensor) => `${t.name} ${t.type} [${t.shape.map((d) => d ?? '?').join(',')}]`;
  io.out(
    keyValues([
      ['version', `${v.name}@${v.version}`],
      ['sha256', v.sha256],
      ['size', `${bytes(v.sizeBytes)} (${v.sizeBytes} bytes)`],
      ['created', `${when(v.createdAt)} by ${v.createdBy}`],
      ['deprecated', v.deprecatedAt === null ? 'no' : `${when(v.deprecatedAt)}: ${v.deprecationReason}`],
      ['inputs', meta.signature?.inputs.map(tensor).join('; ')],
      ['outputs', meta.signature?.outputs.map(tensor).join('; ')],
      ['preprocessing', JSON.stringify(v.preprocessing)],
      ['lineage', JSON.stringify(v.lineage)],
      ['golden', v.goldenSha256 ?? '-'],
      [
        'baseline',
        `${baseline.inferences} samples, ${spec.inputs.length} input and ${spec.outputs.length} output features, classes ${(spec.classes ?? []).join(',') || '-'} (spec ${v.specHash})`,
      ],
    ]),
  );
  io.out(
    table(
      ['  FEATURE', 'KIND', 'COUNT', 'MEAN', 'STD', 'MIN', 'MAX', 'BINS'],
      features.map((f) => [
        `  ${f.name}`,
        f.kind,
        f.count,
        num(f.mean),
        num(f.std),
        num(f.min),
        num(f.max),
        f.bins,
      ]),
    ),
  );
}

/** Per-feature moments of the baseline (`m` is `[n, mean, m2, min, max, …]`). */
function baselineFeatures(spec: Spec, baseline: BaselineJson) {
  const side = (kind: 'input' | 'output', defs: Spec['inputs'], stats: BaselineJson['inputs']) =>
    defs.map((def, i) => {
      const [n = 0, mean = 0, m2 = 0, min = null, max = null] = stats[i]?.m ?? [];
      return {
        name: def.name,
        kind,
        count: n,
        mean: n > 0 ? mean : null,
        std: n > 1 ? Math.sqrt(m2 / n) : null,
        min,
        max,
        bins: def.edges.length + 1,
      };
    });
  return [...side('input', spec.inputs, baseline.inputs), ...side('output', spec.outputs, baseline.outputs)];
}
