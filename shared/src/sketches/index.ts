export { MAX_STORE_BINS } from './bin-store';
export {
  CategoryCounts,
  type CategoryCountsJSON,
  type CategoryCountsOptions,
  categoryCountsJsonSchema,
  MAX_CATEGORIES,
  MAX_CATEGORY_KEY_LENGTH,
} from './category-counts';
export { DDSketch, type DDSketchJSON, type DDSketchOptions, ddSketchJsonSchema } from './ddsketch';
export { SketchMismatchError } from './errors';
export {
  Histogram,
  type HistogramJSON,
  histogramJsonSchema,
  isValidEdges,
  MAX_HISTOGRAM_EDGES,
} from './histogram';
export {
  Moments,
  type MomentsJSON,
  type MomentsTuple,
  momentsJsonSchema,
  momentsTupleSchema,
} from './moments';
export {
  QuantileSketch,
  type QuantileSketchJSON,
  type QuantileSketchOptions,
  quantileSketchJsonSchema,
} from './quantile-sketch';
