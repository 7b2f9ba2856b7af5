export {
  CLASSIFIER_FEATURES,
  type ClassifierFeatureOptions,
  type ClassifierFeatures,
  type ClassifierScores,
  classifierFeatures,
  PROBABILITY_SUM_TOLERANCE,
} from './classifier';
export { type ImageGeometry, type ImageLayout, imageGeometry } from './dims';
export {
  BT601_RGB,
  type ImageFeatureOptions,
  type ImageFeatures,
  imageFeatures,
} from './image';
export { LUMA_MAX_SIDE } from './luma';
export { IMAGE_SCALAR_FEATURES, imageFeatureNames, MAX_IMAGE_CHANNELS } from './names';
export { MAX_VECTOR_FEATURES, type NumericVector, vectorFeatureNames, vectorFeatures } from './vector';
