export {
  type ComparedTensor,
  checkGoldenOutputs,
  type ElementMismatch,
  firstMismatch,
  type GoldenMisfit,
  type GoldenMismatch,
  goldenPairMisfit,
} from './compare';
export {
  DEFAULT_GOLDEN_TOLERANCE,
  type GoldenPair,
  type GoldenPairJson,
  type GoldenTolerance,
  goldenPairSchema,
  MAX_GOLDEN_BYTES,
  MAX_GOLDEN_TENSORS,
  parseGoldenPair,
  validateGoldenPair,
} from './pair';
export {
  type HostTensor,
  MAX_TENSOR_ELEMENTS,
  MAX_TENSOR_RANK,
  TENSOR_FILE_DTYPES,
  type TensorFileDtype,
  type TensorJson,
  tensorFromBytes,
  tensorFromJson,
  tensorJsonSchema,
  tensorValues,
} from './tensor';
