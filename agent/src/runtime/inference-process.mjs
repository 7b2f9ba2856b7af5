// The inference process: one onnxruntime-node session per process, started by process-runner.ts.
// Plain ESM with no workspace imports, so the same file runs from the sources and from dist/ (copied by
// scripts/build.mjs) without tsx. Control messages go over the IPC channel; tensor bytes go through the
// shared file on fd 4 (a tmpfs file the parent already unlinked): the parent writes the inputs at the
// offsets it names, this process writes the outputs from `outOffset` on.
import { readSync, writeSync } from 'node:fs';
import * as ort from 'onnxruntime-node';

const SHARED_FD = 4;

const ARRAYS = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  uint8: Uint8Array,
  bool: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
};

/** @type {ort.InferenceSession | undefined} */
let session;
/** Input buffers reused across runs, by feed name: onnxruntime reads them only during the run. */
const inputBuffers = new Map();

function readFully(view, position) {
  let done = 0;
  while (done < view.byteLength) {
    const n = readSync(SHARED_FD, view, done, view.byteLength - done, position + done);
    if (n === 0) throw new Error(`shared buffer ended at ${position + done}`);
    done += n;
  }
}

function writeFully(view, position) {
  let done = 0;
  while (done < view.byteLength)
    done += writeSync(SHARED_FD, view, done, view.byteLength - done, position + done);
}

function inputTensor(feed) {
  const Ctor = ARRAYS[feed.dtype];
  if (!Ctor) throw new Error(`unsupported input dtype ${feed.dtype}`);
  let buffer = inputBuffers.get(feed.name);
  if (!buffer || buffer.byteLength < feed.bytes) {
    buffer = new ArrayBuffer(feed.bytes);
    inputBuffers.set(feed.name, buffer);
  }
  const bytes = new Uint8Array(buffer, 0, feed.bytes);
  readFully(bytes, feed.offset);
  const data = new Ctor(buffer, 0, feed.bytes / Ctor.BYTES_PER_ELEMENT);
  return new ort.Tensor(feed.dtype, data, feed.dims);
}

function align8(n) {
  return Math.ceil(n / 8) * 8;
}

async function runAndAnswer(message) {
  const feeds = {};
  for (const feed of message.feeds) feeds[feed.name] = inputTensor(feed);
  const t0 = performance.now();
  const out = await session.run(feeds);
  const runMs = performance.now() - t0;
  const outputs = [];
  let offset = message.outOffset;
  for (const name of session.outputNames) {
    const t = out[name];
    if (!ARRAYS[t.type]) throw new Error(`unsupported output dtype ${t.type} of ${name}`);
    const data = t.data;
    writeFully(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), offset);
    outputs.push({ name, dtype: t.type, dims: [...t.dims], offset, bytes: data.byteLength });
    offset = align8(offset + data.byteLength);
  }
  process.send({ t: 'result', id: message.id, outputs, runMs });
}

function shapes(metadata) {
  return metadata.map((m) => ({ name: m.name, shape: m.isTensor ? [...m.shape] : [] }));
}

process.on('message', async (message) => {
  if (message.t === 'init') {
    try {
      session = await ort.InferenceSession.create(message.modelPath, message.options);
      process.send({
        t: 'ready',
        inputNames: [...session.inputNames],
        outputNames: [...session.outputNames],
        inputs: shapes(session.inputMetadata),
      });
    } catch (err) {
      process.send({ t: 'load_error', message: err.message }, () => process.exit(1));
    }
  } else if (message.t === 'run') {
    try {
      await runAndAnswer(message);
    } catch (err) {
      process.send({ t: 'error', id: message.id, message: err.message });
    }
  } else if (message.t === 'close') {
    await session?.release();
    process.exit(0);
  }
});
// The agent went away (or closed the channel): nothing is left to serve.
process.on('disconnect', () => process.exit(0));
