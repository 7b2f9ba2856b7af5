import type { ModelSession } from '@edgefleet/agent';
import { preprocessImage } from '@edgefleet/shared';
import sharp from 'sharp';
import type { Orientation } from './images';
import { CLS_PREPROCESSING } from './models';

/** The cls model's answer for an encoded image: the orientation it reads and its top-1 confidence. */
export async function orientationAnswer(
  session: ModelSession,
  bytes: Buffer,
): Promise<{ orientation: Orientation; confidence: number }> {
  const { data, info } = await sharp(bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const tensor = preprocessImage(
    { width: info.width, height: info.height, channels: 4, data: new Uint8ClampedArray(data) },
    CLS_PREPROCESSING,
  );
  if (!tensor.ok) throw new Error(tensor.error.message);
  const out = await session.run({ x: tensor.value as Parameters<ModelSession['run']>[0][string] });
  const [p0, p180] = Object.values(out)[0]!.data as Float32Array;
  return { orientation: p0! >= p180! ? '0' : '180', confidence: Math.max(p0!, p180!) };
}
