import {
  type BaselineSample,
  buildBaseline,
  classifierFeatures,
  type HostTensor,
  imageFeatureOptionsFor,
  imageFeatures,
  type PreprocessingSpec,
  type Profile,
  type ProfileSpec,
  preprocessImages,
  type RawImage,
  tensorFromJson,
  tensorJsonSchema,
  vectorFeatures,
} from '@edgefleet/shared';
import type { ModelSignature } from '@edgefleet/shared/api';
import { InvalidInput, UnprocessableContent } from '../../errors';
import type { TarEntry } from '../../tar/reader';
import { modelInputName, type ServerModel } from '../inference';
import { parseNpy } from '../tensors';
import { decodeReferenceImage } from './decode';

/** Bounds of a reference set. */
export const REFERENCE_LIMITS = {
  /** Files in one reference set (tar entries or multipart parts). */
  maxFiles: 10_000,
  /** Bytes of one file. */
  maxFileBytes: 32 * 1024 * 1024,
  /** Samples (images, or batch items of tensors) the baseline is built from. */
  maxSamples: 10_000,
  /** Fewer samples than this make no useful bin edges. */
  minSamples: 8,
} as const;

/** How the baseline is built: bins per feature, class names, which output is the classifier's. */
export interface ReferenceOptions {
  /** Equal-mass bins per feature, 1 … 20 (default 10). */
  bins?: number | undefined;
  /** Class names by output index; default '0' … 'K−1'. */
  classes?: string[] | undefined;
  /** The model output read as class scores; default the first output. */
  outputName?: string | undefined;
}

/** A reference file: its path in the set and its bytes on demand. */
export type ReferenceFile = Pick<TarEntry, 'path' | 'sizeBytes' | 'read'>;

/** A computed baseline and what went into it. */
export interface ReferenceBaseline {
  spec: ProfileSpec;
  profile: Profile;
  samples: number;
  files: number;
  skipped: string[];
}

type Kind = 'image' | 'npy' | 'json' | 'skip';

/** How a reference file is read, by its extension; InvalidInput for anything else. */
export function referenceFileKind(path: string): Kind {
  const base = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  if (base.startsWith('.') || base === '') return 'skip'; // .DS_Store, AppleDouble ._ files
  if (/\.(png|jpe?g)$/.test(base)) return 'image';
  if (base.endsWith('.npy')) return 'npy';
  if (base.endsWith('.json')) return 'json';
  throw new InvalidInput(
    `reference entry '${path}': unsupported file type (expected .png, .jpg, .jpeg, .npy or .json)`,
    { field: 'reference', entry: path },
  );
}

/** Runs reference inputs through the model and turns them into baseline samples. */
class SampleCollector {
  readonly samples: BaselineSample[] = [];
  private readonly pending: RawImage[] = [];
  private readonly pendingPaths: string[] = [];
  private readonly inputName: string;
  private readonly outputName: string;
  private readonly batchSize: number;
  private readonly rank: number;
  classCount = 0;

  constructor(
    private readonly model: ServerModel,
    signature: ModelSignature,
    private readonly preprocessing: PreprocessingSpec,
    outputName: string | undefined,
  ) {
    this.inputName = modelInputName(signature, preprocessing.inputName);
    this.outputName = outputName ?? model.outputNames[0] ?? '';
    if (!model.outputNames.includes(this.outputName)) {
      throw new InvalidInput(
        `baseline.fromReference.outputName '${outputName}' is not an output of the model`,
        {
          field: 'baseline.fromReference.outputName',
          outputs: model.outputNames,
        },
      );
    }
    const shape = signature.inputs.find((i) => i.name === this.inputName)?.shape ?? [];
    this.rank = shape.length;
    this.batchSize = typeof shape[0] === 'number' && shape[0] > 0 ? shape[0] : 16;
  }

  async addImage(image: RawImage, path: string): Promise<void> {
    if (this.preprocessing.kind !== 'image') {
      throw new InvalidInput(`reference entry '${path}': an image, but the preprocessing kind is 'tensor'`, {
        field: 'reference',
        entry: path,
      });
    }
    this.pending.push(image);
    this.pendingPaths.push(path);
    if (this.pending.length >= this.batchSize) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0 || this.preprocessing.kind !== 'image') return;
    const spec = this.preprocessing;
    const images = this.pending.splice(0);
    const paths = this.pendingPaths.splice(0);
    const features = preprocessImages(images, { ...spec, dtype: 'float32' });
    if (!features.ok)
      throw new InvalidInput(`reference images: ${features.error.message}`, { field: 'reference' });
    let fed = features.value;
    if (spec.dtype !== 'float32') {
      const typed = preprocessImages(images, spec);
      if (!typed.ok)
        throw new InvalidInput(`reference images: ${typed.error.message}`, { field: 'reference' });
      fed = typed.value;
    }
    const input: HostTensor = { dtype: spec.dtype, dims: fed.dims, data: fed.data };
    // Features read what a client reads (shared `imageFeatureOptionsFor`): a uint8 tensor as fed, on 0…255;
    // float32 values otherwise (float16 and int8 tensors are those values, rounded).
    const featureData =
      spec.dtype === 'uint8' ? (fed.data as Uint8Array) : (features.value.data as Float32Array);
    await this.runBatch(input, featureData, paths.join(', '));
  }

  async addTensor(tensor: HostTensor, path: string): Promise<void> {
    await this.flush(); // samples keep file order
    const dims = tensor.dims.length === this.rank - 1 ? [1, ...tensor.dims] : tensor.dims;
    if (this.rank > 0 && dims.length !== this.rank) {
      throw new UnprocessableContent(
        `reference entry '${path}': dims [${tensor.dims}] do not fit input '${this.inputName}' of rank ${this.rank}`,
        { field: 'reference', entry: path },
      );
    }
    const asImage = tensor.data instanceof Float32Array || tensor.data instanceof Uint8Array;
    await this.runBatch(
      { ...tensor, dims },
      asImage ? (tensor.data as Float32Array | Uint8Array) : null,
      path,
    );
  }

  private async runBatch(input: HostTensor, featureData: Float32Array | Uint8Array | null, where: string) {
    const n = input.dims[0] ?? 1;
    if (this.samples.length + n > REFERENCE_LIMITS.maxSamples) {
      throw new InvalidInput(`reference set has more than ${REFERENCE_LIMITS.maxSamples} samples`, {
        field: 'reference',
      });
    }
    const outputs = await this.model.run({ [this.inputName]: input }, `reference (${where.slice(0, 200)})`);
    const output = outputs[this.outputName]!;
    const scores =
      output.data instanceof Float32Array ? output.data : Float32Array.from(output.data as ArrayLike<number>);
    this.classCount = output.dims.length > 1 ? scores.length / (output.dims[0] || 1) : scores.length;
    for (let item = 0; item < n; item++) {
      const outFeatures = classifierFeatures(scores, output.dims, { item });
      if (!outFeatures.ok) {
        throw new UnprocessableContent(
          `output '${this.outputName}' is not classifier scores: ${outFeatures.error.message}`,
          { field: 'baseline.fromReference.outputName' },
        );
      }
      const { top1, confidence, margin } = outFeatures.value;
      this.samples.push({
        inputs: this.inputFeatures(input, featureData, item, where),
        outputs: { confidence, margin },
        label: top1,
      });
    }
  }

  private inputFeatures(
    input: HostTensor,
    featureData: Float32Array | Uint8Array | null,
    item: number,
    where: string,
  ): Record<string, number> {
    const spec = this.preprocessing;
    if (spec.kind === 'image' && featureData && input.dims.length === 4) {
      const result = imageFeatures(featureData, input.dims, spec.layout, {
        item,
        ...imageFeatureOptionsFor(spec),
      });
      if (!result.ok)
        throw new InvalidInput(`reference (${where}): ${result.error.message}`, { field: 'reference' });
      return { ...result.value };
    }
    const size = input.data.length / (input.dims[0] || 1);
    const slice = Array.from(
      input.data.subarray(item * size, (item + 1) * size) as ArrayLike<number | bigint>,
      Number,
    );
    const result = vectorFeatures(slice);
    if (!result.ok)
      throw new InvalidInput(`reference (${where}): ${result.error.message}`, { field: 'reference' });
    return { ...result.value };
  }
}

function defaultClasses(count: number, given: string[] | undefined): string[] {
  const k = count <= 1 ? 2 : count;
  if (given !== undefined) {
    if (given.length !== k) {
      throw new InvalidInput(
        `baseline.fromReference.classes: the model has ${k} classes, got ${given.length} names`,
        {
          field: 'baseline.fromReference.classes',
        },
      );
    }
    return given;
  }
  return Array.from({ length: Math.min(k, 1024) }, (_, i) => String(i));
}

/**
 * Computes a baseline from a reference set the way clients compute telemetry: images are decoded (sharp),
 * preprocessed per the version's spec with the shared `preprocessImages`, run through the model
 * (onnxruntime-node); inputs go through the shared `imageFeatures` (or `vectorFeatures` for tensor
 * models), outputs through `classifierFeatures`, and `buildBaseline` makes the equal-mass edges and the
 * profile. `.npy` and `.json` files are ready tensors (one sample, or a batch along the first dim).
 * Nothing is stored: the caller decides.
 */
export async function computeReferenceBaseline(args: {
  model: ServerModel;
  signature: ModelSignature;
  preprocessing: PreprocessingSpec;
  files: AsyncIterable<ReferenceFile>;
  options?: ReferenceOptions;
}): Promise<ReferenceBaseline> {
  const options = args.options ?? {};
  const collector = new SampleCollector(args.model, args.signature, args.preprocessing, options.outputName);
  let files = 0;
  const skipped: string[] = [];
  for await (const file of args.files) {
    if (++files > REFERENCE_LIMITS.maxFiles) {
      throw new InvalidInput(`reference set has more than ${REFERENCE_LIMITS.maxFiles} files`, {
        field: 'reference',
      });
    }
    const kind = referenceFileKind(file.path);
    if (kind === 'skip') {
      skipped.push(file.path);
      continue;
    }
    const bytes = await file.read();
    if (kind === 'image') await collector.addImage(await decodeReferenceImage(bytes, file.path), file.path);
    else await collector.addTensor(readTensorFile(kind, bytes, file.path), file.path);
  }
  await collector.flush();
  const samples = collector.samples.length;
  if (samples < REFERENCE_LIMITS.minSamples) {
    throw new InvalidInput(
      `reference set has ${samples} samples; a baseline needs at least ${REFERENCE_LIMITS.minSamples}`,
      { field: 'reference', samples },
    );
  }
  const classes = defaultClasses(collector.classCount, options.classes);
  const built = buildBaseline(collector.samples, { bins: options.bins ?? 10, classes });
  return { spec: built.spec, profile: built.profile, samples, files, skipped };
}

function readTensorFile(kind: 'npy' | 'json', bytes: Uint8Array, path: string): HostTensor {
  const field = `reference:${path}`;
  if (kind === 'npy') return parseNpy(bytes, field);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new InvalidInput(`reference entry '${path}' is not JSON`, { field: 'reference', entry: path });
  }
  const parsed = tensorJsonSchema.safeParse(json);
  if (!parsed.success) {
    throw new InvalidInput(
      `reference entry '${path}': expected a tensor { dtype, dims, data | base64 }: ${parsed.error.issues[0]?.message}`,
      { field: 'reference', entry: path },
    );
  }
  const tensor = tensorFromJson(parsed.data, field);
  if (!tensor.ok) throw new InvalidInput(tensor.error.message, { field });
  return tensor.value;
}
