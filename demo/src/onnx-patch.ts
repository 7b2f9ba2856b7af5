// Just enough of the ONNX protobuf to change a constant's float values in place (same length, so no length
// prefix changes): how the demo makes a worse candidate out of the real model without any ONNX tooling.

interface Field {
  field: number;
  wire: number;
  start: number;
  end: number;
  value?: number;
}

function varint(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  let scale = 1;
  let p = at;
  for (;;) {
    const b = bytes[p++];
    if (b === undefined) throw new RangeError('truncated varint');
    value += (b & 0x7f) * scale;
    if (!(b & 0x80)) return [value, p];
    scale *= 128;
  }
}

function* fields(bytes: Uint8Array, start: number, end: number): Generator<Field> {
  let p = start;
  while (p < end) {
    const [tag, afterTag] = varint(bytes, p);
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (wire === 0) {
      const [value, next] = varint(bytes, afterTag);
      yield { field, wire, start: afterTag, end: next, value };
      p = next;
    } else if (wire === 2) {
      const [length, body] = varint(bytes, afterTag);
      yield { field, wire, start: body, end: body + length };
      p = body + length;
    } else if (wire === 5 || wire === 1) {
      const size = wire === 5 ? 4 : 8;
      yield { field, wire, start: afterTag, end: afterTag + size };
      p = afterTag + size;
    } else {
      throw new RangeError(`unsupported protobuf wire type ${wire}`);
    }
  }
}

const text = (bytes: Uint8Array, f: Field) => new TextDecoder().decode(bytes.subarray(f.start, f.end));

/**
 * Where the float32 `raw_data` of the Constant node that outputs `name` lies in an ONNX model
 * (ModelProto.graph → NodeProto with output `name` → attribute `value` → TensorProto.raw_data).
 */
export function constantRawData(model: Uint8Array, name: string): { start: number; floats: number } {
  for (const graph of fields(model, 0, model.length)) {
    if (graph.field !== 7 || graph.wire !== 2) continue;
    for (const node of fields(model, graph.start, graph.end)) {
      if (node.field !== 1 || node.wire !== 2) continue;
      const parts = [...fields(model, node.start, node.end)];
      if (!parts.some((p) => p.field === 2 && text(model, p) === name)) continue;
      for (const attribute of parts.filter((p) => p.field === 5)) {
        for (const tensor of fields(model, attribute.start, attribute.end)) {
          if (tensor.field !== 5) continue;
          const raw = [...fields(model, tensor.start, tensor.end)].find((t) => t.field === 9);
          if (raw && (raw.end - raw.start) % 4 === 0)
            return { start: raw.start, floats: (raw.end - raw.start) / 4 };
        }
      }
    }
  }
  throw new Error(`no Constant node with float raw_data outputs ${name}`);
}

/** A copy of `model` with `delta[i]` added to the i-th float of the constant `name`. */
export function shiftConstant(model: Uint8Array, name: string, delta: readonly number[]): Uint8Array {
  const { start, floats } = constantRawData(model, name);
  if (delta.length !== floats)
    throw new RangeError(`${name} holds ${floats} floats, got ${delta.length} deltas`);
  const copy = new Uint8Array(model);
  const view = new DataView(copy.buffer, copy.byteOffset + start, floats * 4);
  for (let i = 0; i < floats; i++) view.setFloat32(i * 4, view.getFloat32(i * 4, true) + delta[i]!, true);
  return copy;
}
