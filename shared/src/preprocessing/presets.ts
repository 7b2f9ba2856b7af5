import type { ImagePreprocessing } from '../protocol';

/**
 * PaddleOCR's text-direction classifier (`ch_ppocr_mobile_v2.0_cls_infer.onnx`, input `x` [N,3,48,192]):
 * 48×192 RGB, stretched, NCHW float32, (x/255 − 0.5)/0.5. The demo, the tests and the benchmarks register
 * this model with exactly this spec.
 */
export const PADDLE_OCR_CLS_PREPROCESSING: ImagePreprocessing = {
  kind: 'image',
  inputName: 'x',
  layout: 'NCHW',
  width: 192,
  height: 48,
  resize: 'stretch',
  channelOrder: 'RGB',
  scale: 1 / 255,
  mean: [0.5, 0.5, 0.5],
  std: [0.5, 0.5, 0.5],
  dtype: 'float32',
};
