import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bufferSource, readTarEntries } from './reader';
import { type TarSource, tarSizeBytes, tarStream } from './writer';

const fileOf = (path: string, bytes: Uint8Array, chunkBytes = 100): TarSource => ({
  path,
  sizeBytes: bytes.byteLength,
  async *open() {
    for (let i = 0; i < bytes.byteLength; i += chunkBytes) yield bytes.subarray(i, i + chunkBytes);
  },
});

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function untar(bytes: Uint8Array) {
  const out: { path: string; bytes: Uint8Array }[] = [];
  for await (const entry of readTarEntries(bufferSource(bytes), { maxEntries: 100, maxEntryBytes: 1 << 20 }))
    out.push({ path: entry.path, bytes: await entry.read() });
  return out;
}

describe('tarStream', () => {
  it('writes archives the tar reader reads back byte for byte, of exactly tarSizeBytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 6 }),
        fc.integer({ min: 1, max: 700 }),
        async (contents, chunkBytes) => {
          const files = contents.map((bytes, i) => fileOf(`dir/f${i}.bin`, bytes, chunkBytes));
          const tar = await collect(tarStream(files, { mtimeMs: 1_763_900_000_000 }));
          expect(tar.byteLength).toBe(tarSizeBytes(contents.map((c) => c.byteLength)));
          expect(tar.byteLength % 512).toBe(0);
          const back = await untar(tar);
          expect(back.map((f) => f.path)).toEqual(files.map((f) => f.path));
          expect(back.map((f) => Buffer.from(f.bytes).toString('hex'))).toEqual(
            contents.map((c) => Buffer.from(c).toString('hex')),
          );
        },
      ),
      { numRuns: 40 },
    );
  });

  it('is read as the consumer pulls: a file is not opened before the reader gets that far', async () => {
    const opened: string[] = [];
    const lazy = (path: string): TarSource => ({
      path,
      sizeBytes: 1024,
      async *open() {
        opened.push(path);
        yield new Uint8Array(1024);
      },
    });
    const reader = tarStream([lazy('a'), lazy('b'), lazy('c')], { mtimeMs: 0 }).getReader();
    await reader.read(); // header of a
    expect(opened).toEqual([]);
    await reader.read(); // a's content
    expect(opened).toEqual(['a']);
    await reader.cancel();
    expect(opened).toEqual(['a']);
  });

  it('errors the stream (never ends short) on a file shorter or longer than its size, or one that fails', async () => {
    const cases: [TarSource, RegExp][] = [
      [{ ...fileOf('short', new Uint8Array(10)), sizeBytes: 11 }, /10 bytes, its header says 11/],
      [{ ...fileOf('long', new Uint8Array(12)), sizeBytes: 11 }, /more than 11 bytes/],
      [
        {
          path: 'gone',
          sizeBytes: 5,
          // biome-ignore lint/correctness/useYield: a file that fails before its first byte
          async *open() {
            throw new Error('ENOENT: gone');
          },
        },
        /ENOENT/,
      ],
    ];
    for (const [file, message] of cases) {
      const errors: unknown[] = [];
      let ended = false;
      const stream = tarStream([fileOf('ok', new Uint8Array(600)), file], {
        mtimeMs: 0,
        onError: (e) => errors.push(e),
        onEnd: () => {
          ended = true;
        },
      });
      await expect(collect(stream)).rejects.toThrow(message);
      expect(errors).toHaveLength(1);
      expect(ended).toBe(false);
    }
  });

  it('refuses a path that does not fit the ustar name field', async () => {
    const stream = tarStream([fileOf('x'.repeat(101), new Uint8Array(1))], { mtimeMs: 0 });
    await expect(collect(stream)).rejects.toThrow(/over 100 bytes/);
  });
});
