import type { SampleContentType } from '@edgefleet/shared/capture';
import sharp from 'sharp';
import type { ArtifactStore } from '../artifacts/store';
import { publicReason, UnprocessableContent, UnsupportedMediaType } from '../errors';

/** Longer side of a thumbnail, px. */
export const THUMBNAIL_MAX_PX = 256;
/** Thumbnails kept in memory (a 256 px JPEG is ~5–20 kB: a few MB at most). */
const CACHED_THUMBNAILS = 512;
/** Decodes at a time: a 64-megapixel sample costs ~200 MB while it is decoded. */
const MAX_DECODES = 2;

const EXTENSIONS: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'application/octet-stream': 'bin',
};

/**
 * Headers of sample bytes: the stored type (one of a fixed list, never the client's text), no sniffing, a CSP that
 * sandboxes the answer if a browser ever renders it as a document, and a file name made of the digest only.
 */
export function contentHeaders(
  sha256: string,
  contentType: SampleContentType | 'image/jpeg',
  sizeBytes: number,
  variant?: 'thumb',
): Record<string, string> {
  const image = contentType.startsWith('image/');
  const name = `${sha256}${variant ? `-${variant}` : ''}.${EXTENSIONS[contentType] ?? 'bin'}`;
  return {
    'content-type': contentType,
    'content-length': String(sizeBytes),
    'content-disposition': `${image ? 'inline' : 'attachment'}; filename="${name}"`,
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; sandbox",
    'cross-origin-resource-policy': 'same-origin',
    // Content-addressed, but admin-only: shared caches must not keep it.
    'cache-control': 'private, max-age=86400, immutable',
    etag: `"${sha256}${variant ? `-${variant}` : ''}"`,
  };
}

/** Small JPEG thumbnails of image samples, made on first request and kept in a bounded in-memory LRU. */
export class Thumbnails {
  readonly #cache = new Map<string, Buffer>();
  readonly #making = new Map<string, Promise<Buffer>>();
  #decoding = 0;
  readonly #waiting: (() => void)[] = [];
  /** Thumbnails made (cache misses), for tests and figures. */
  made = 0;

  constructor(private readonly blobs: ArtifactStore) {}

  /** The thumbnail of a stored sample; 415 for a tensor, 422 for bytes that do not decode. */
  async of(sample: { sha256: string; contentType: SampleContentType }): Promise<Buffer> {
    if (!sample.contentType.startsWith('image/'))
      throw new UnsupportedMediaType(`sample ${sample.sha256} is ${sample.contentType}, not an image`, {
        field: 'thumb',
        contentType: sample.contentType,
      });
    const cached = this.#cache.get(sample.sha256);
    if (cached) {
      this.#cache.delete(sample.sha256);
      this.#cache.set(sample.sha256, cached);
      return cached;
    }
    let making = this.#making.get(sample.sha256);
    if (!making) {
      making = this.#make(sample.sha256).finally(() => this.#making.delete(sample.sha256));
      this.#making.set(sample.sha256, making);
    }
    return making;
  }

  /** Forgets a sample's thumbnail (its sample was deleted). */
  forget(sha256: string): void {
    this.#cache.delete(sha256);
  }

  async #make(sha256: string): Promise<Buffer> {
    await this.#slot();
    try {
      const jpeg = await sharp(this.blobs.pathOf(sha256), { limitInputPixels: 64 * 1024 * 1024 })
        .rotate()
        .resize(THUMBNAIL_MAX_PX, THUMBNAIL_MAX_PX, { fit: 'inside', withoutEnlargement: true })
        .flatten({ background: '#ffffff' })
        .jpeg({ quality: 75 })
        .toBuffer();
      this.made += 1;
      this.#cache.set(sha256, jpeg);
      if (this.#cache.size > CACHED_THUMBNAILS) this.#cache.delete(this.#cache.keys().next().value as string);
      return jpeg;
    } catch (error) {
      throw new UnprocessableContent(`sample ${sha256} does not decode (${publicReason(error)})`, {
        field: 'thumb',
      });
    } finally {
      this.#decoding -= 1;
      this.#waiting.shift()?.();
    }
  }

  async #slot(): Promise<void> {
    if (this.#decoding >= MAX_DECODES) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#decoding += 1;
  }
}
