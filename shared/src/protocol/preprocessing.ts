import { z } from 'zod';

/** Element types a model input tensor may have. */
export const TENSOR_DTYPES = ['float32', 'float16', 'uint8', 'int8'] as const;

const channelValues = z.array(z.number()).min(1).max(4);

const channelsOf = (order: 'RGB' | 'BGR' | 'GRAY'): number => (order === 'GRAY' ? 1 : 3);

/**
 * How an image becomes the model's input tensor: resize to `width`×`height` (by `resize`), reorder
 * channels to `channelOrder`, then per channel `value = (pixel * scale - mean[c]) / std[c]`, laid out as
 * `layout` in `dtype`. `mean` and `std` have one entry per channel (3 for RGB/BGR, 1 for GRAY).
 */
export const imagePreprocessingSchema = z
  .strictObject({
    kind: z.literal('image'),
    inputName: z.string().min(1).max(128).optional(),
    layout: z.enum(['NCHW', 'NHWC']),
    width: z.int().min(1).max(8192),
    height: z.int().min(1).max(8192),
    resize: z.enum(['stretch', 'letterbox', 'center_crop']),
    channelOrder: z.enum(['RGB', 'BGR', 'GRAY']),
    scale: z.number().positive(),
    mean: channelValues,
    std: z.array(z.number().positive()).min(1).max(4),
    dtype: z.enum(TENSOR_DTYPES),
  })
  .refine((spec) => spec.mean.length === channelsOf(spec.channelOrder), {
    message: 'expected one mean per channel',
    path: ['mean'],
  })
  .refine((spec) => spec.std.length === channelsOf(spec.channelOrder), {
    message: 'expected one std per channel',
    path: ['std'],
  });

/** Inputs that reach the model as they are (feature vectors): only the tensor's name and type are fixed. */
export const tensorPreprocessingSchema = z.strictObject({
  kind: z.literal('tensor'),
  inputName: z.string().min(1).max(128).optional(),
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
