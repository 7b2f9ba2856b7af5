import { z } from '../zod';

/** Element types a model input tensor may have. */
export const TENSOR_DTYPES = ['float32', 'float16', 'uint8', 'int8'] as const;

const channelValues = z.array(z.number()).check(z.minLength(1), z.maxLength(4));

const channelsOf = (order: 'RGB' | 'BGR' | 'GRAY'): number => (order === 'GRAY' ? 1 : 3);

/**
 * How an image becomes the model's input tensor: resize to `width`×`height` (by `resize`), reorder
 * channels to `channelOrder`, then per channel `value = (pixel * scale - mean[c]) / std[c]`, laid out as
 * `layout` in `dtype`. `mean` and `std` have one entry per channel (3 for RGB/BGR, 1 for GRAY).
 */
export const imagePreprocessingSchema = z
  .strictObject({
    kind: z.literal('image'),
    inputName: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
    layout: z.enum(['NCHW', 'NHWC']),
    width: z.int().check(z.gte(1), z.lte(8192)),
    height: z.int().check(z.gte(1), z.lte(8192)),
    resize: z.enum(['stretch', 'letterbox', 'center_crop']),
    channelOrder: z.enum(['RGB', 'BGR', 'GRAY']),
    scale: z.number().check(z.positive()),
    mean: channelValues,
    std: z.array(z.number().check(z.positive())).check(z.minLength(1), z.maxLength(4)),
    dtype: z.enum(TENSOR_DTYPES),
  })
  .check(
    z.refine((spec) => spec.mean.length === channelsOf(spec.channelOrder), {
      message: 'expected one mean per channel',
      path: ['mean'],
    }),
    z.refine((spec) => spec.std.length === channelsOf(spec.channelOrder), {
      message: 'expected one std per channel',
      path: ['std'],
    }),
  );

/** Inputs that reach the model as they are (feature vectors): only the tensor's name and type are fixed. */
export const tensorPreprocessingSchema = z.strictObject({
  kind: z.literal('tensor'),
  inputName: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
  dtype: z.enum(TENSOR_DTYPES),
});

/** Preprocessing of a model version; part of its signed manifest so clients cannot be fed a different one. */
export const preprocessingSpecSchema = z.discriminatedUnion('kind', [
  imagePreprocessingSchema,
  tensorPreprocessingSchema,
]);
/** Preprocessing of a model version (see {@link preprocessingSpecSchema}). */
export type PreprocessingSpec = z.infer<typeof preprocessingSpecSchema>;
/** Image preprocessing (see {@link imagePreprocessingSchema}). */
export type ImagePreprocessing = z.infer<typeof imagePreprocessingSchema>;
