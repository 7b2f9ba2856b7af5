import { ApiClient, seg } from './api';
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

interface Model {
  name: string;
  description: string | null;
  createdAt: number;
  versions: number;
  latestCreatedAt: number | null;
}
interface Version {
  name: string;
  version: string;
  sha256: string;
  sizeBytes: number;
  preprocessing: Record<string, unknown>;
  lineage: Record<string, unknown>;
  specHash: string;
  baselineSha256: string;
  goldenSha256: string | null;
  createdBy: string;
  createdAt: number;
  deprecatedAt: number | null;
  deprecationReason: string | null;
}
interface Spec {
  inputs: { name: string; edges: number[] }[];
  outputs: { name: string; edges: number[] }[];
  classes?: string[];
}
interface BaselineJson {
  inferences: number;
  inputs: { m: number[] }[];
  outputs: { m: number[] }[];
}
interface ArtifactMeta {
  signature: { inputs: Tensor[]; outputs: Tensor[] } | null;
}
interface Tensor {
  name: string;
  type: string;
  shape: (number | string | null)[];
}

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
    const api = new ApiClient(await resolveTarget(values, env), io);
    const { models } = await api.get<{ models: Model[] }>('/models');
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
    const api = new ApiClient(await resolveTarget(values, env), io);
    if (ref.version === undefined) return showVersions(api, ref.name, values.json === true, io);
    return showVersion(api, ref.name, ref.version, values.json === true, io);
  }
  if (command === 'deprecate') {
    const ref = parseModelRef(onePositional(positionals, 'NAME@VERSION', MODEL_USAGE), 'deprecate');
    const api = new ApiClient(await resolveTarget(values, env), io);
    const version = await api.post<Version>(
      `/models/${seg(ref.name)}/versions/${seg(ref.version!)}/deprecate`,
      {
        reason: values.reason ?? 'deprecated with the edgefleet CLI',
      },
    );
    if (values.json) return printJson(io, version);
    io.out(`Deprecated ${version.name}@${version.version} (${printable(version.deprecationReason)})\n`);
    return;
  }
  throw new UsageError(`unknown command '${command}'`, MODEL_USAGE);
}

async function showVersions(api: ApiClient, name: string, json: boolean, io: CliIo) {
  const { versions } = await api.get<{ versions: Version[] }>(`/models/${seg(name)}/versions`);
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

async function showVersion(api: ApiClient, name: string, version: string, json: boolean, io: CliIo) {
  const path = `/models/${seg(name)}/versions/${seg(version)}`;
  const v = await api.get<Version>(path);
  const [meta, spec, baseline] = await Promise.all([
    api.get<ArtifactMeta>(`/artifacts/${seg(v.sha256)}/meta`),
    api.get<Spec>(`${path}/spec`),
    api.get<BaselineJson>(`${path}/baseline`),
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
