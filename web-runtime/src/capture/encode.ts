import type { SampleContentType } from '@edgefleet/shared/capture';
import type { InferInput, TensorInput } from '../inference/input';

/** A copy of an inference's input taken when it ran (the caller may reuse or close its own afterwards). */
export type Snapshot =
  | { kind: 'image'; canvas: OffscreenCanvas }
  | { kind: 'tensor'; bytes: Uint8Array<ArrayBuffer> };

/** Encoded sample content with its hash. */
export interface Encoded {
  content: ArrayBuffer;
  contentType: SampleContentType;
  sha256: string;
  width?: number;
  height?: number;
}

const isTensor = (input: InferInput): input is TensorInput =>
  'dims' in input && ArrayBuffer.isView((input as TensorInput).data);

/** Width and height scaled so the longer side is at most `maxSidePx` (aspect kept, never enlarged). */
export function fitWithin(width: number, height: number, maxSidePx: number | undefined): [number, number] {
  const scale = maxSidePx ? Math.min(1, maxSidePx / Math.max(width, height)) : 1;
  return [Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale))];
}

/**
 * Copies the input synchronously: an image drawn (downscaled to `maxSidePx`) into an OffscreenCanvas, a tensor's
 * bytes as they are. Throws when the image cannot be drawn.
 */
export function snapshotInput(input: InferInput, maxSidePx: number | undefined): Snapshot {
  if (isTensor(input)) {
    const { buffer, byteOffset, byteLength } = input.data;
    const bytes = new Uint8Array(byteLength);
    bytes.set(new Uint8Array(buffer, byteOffset, byteLength));
    return { kind: 'tensor', bytes };
  }
  let source: CanvasImageSource;
  let width: number;
  let height: number;
  if (typeof ImageData !== 'undefined' && input instanceof ImageData) {
    const full = new OffscreenCanvas(input.width, input.height);
    full.getContext('2d')!.putImageData(input, 0, 0);
    [source, width, height] = [full, input.width, input.height];
  } else {
    const image = input as Exclude<InferInput, ImageData | TensorInput>;
    width = 'naturalWidth' in image ? image.naturalWidth : image.width;
    height = 'naturalHeight' in image ? image.naturalHeight : image.height;
    source = image as CanvasImageSource;
  }
  const [w, h] = fitWithin(width, height, maxSidePx);
  const canvas = new OffscreenCanvas(w, h);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2d canvas context to copy the image');
  ctx.drawImage(source, 0, 0, w, h);
  return { kind: 'image', canvas };
}

/** Lowercase hex sha256 of `bytes` (WebCrypto: needs a secure context, as https or localhost pages are). */
export async function sha256Hex(bytes: ArrayBuffer): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Encodes a snapshot: an image as JPEG (quality 0.9), a tensor as its raw bytes. */
export async function encodeSnapshot(snapshot: Snapshot): Promise<Encoded> {
  if (snapshot.kind === 'tensor') {
    const content = snapshot.bytes.buffer;
    return { content, contentType: 'application/octet-stream', sha256: await sha256Hex(content) };
  }
  const blob = await snapshot.canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 });
  const content = await blob.arrayBuffer();
  return {
    content,
    contentType: 'image/jpeg',
    sha256: await sha256Hex(content),
    width: snapshot.canvas.width,
    height: snapshot.canvas.height,
  };
}
