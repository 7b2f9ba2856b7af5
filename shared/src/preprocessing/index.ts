export { allocTensorData, convertInto, type TensorData, type TensorDtype, toFloat16Bits } from './dtype';
export { imageFeatureOptionsFor, preprocessedRange } from './feature-options';
export { type AxisTaps, axisTaps, planResize, type ResizePlan } from './geometry';
export {
  type InputTensor,
  imageTensorDims,
  MAX_SOURCE_PIXELS,
  preprocessImage,
  preprocessImages,
  type RawImage,
  specChannels,
} from './image';
export { PADDLE_OCR_CLS_PREPROCESSING } from './presets';
