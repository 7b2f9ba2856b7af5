// Image feature names, separate from the extraction so profile specs can list them up front.

/** Features after the per-channel ones, in output order. */
export const IMAGE_SCALAR_FEATURES = [
  'brightness',
  'contrast',
  'sharpness',
  'clipped',
  'nan',
  'inf',
  'min',
  'max',
] as const;

/** Most channels `imageFeatures` accepts: more is almost always a wrong layout, and 3 features
 * per channel would outgrow a window report. */
export const MAX_IMAGE_CHANNELS = 64;

const namesByChannels: (readonly string[])[] = [];

/**
 * Feature names `imageFeatures` returns for `channels` channels (1..{@link MAX_IMAGE_CHANNELS};
 * others give the scalar names only), in output order, so a profile spec can be built before the first
 * inference. Cached and frozen.
 */
export function imageFeatureNames(channels: number): readonly string[] {
  const c = Number.isSafeInteger(channels) && channels > 0 && channels <= MAX_IMAGE_CHANNELS ? channels : 0;
  let names = namesByChannels[c];
  if (!names) {
    const list: string[] = [];
    for (let i = 0; i < c; i++) list.push(`ch${i}.mean`, `ch${i}.std`, `ch${i}.rel`);
    list.push(...IMAGE_SCALAR_FEATURES);
    names = Object.freeze(list);
    namesByChannels[c] = names;
  }
  return names;
}
