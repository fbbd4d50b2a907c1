/**
 * The smallest ONNX model (one Identity node on a float[1]), encoded here so that a provider can be started without
 * a model package: `--version` and the GPU check use it to say which providers start on this host. Pure.
 */

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/** A protobuf field: varint (wire type 0) for numbers, length-delimited (wire type 2) for strings and messages. */
function field(no: number, value: number | string | number[]): number[] {
  if (typeof value === 'number') return [...varint(no * 8), ...varint(value)];
  const bytes = typeof value === 'string' ? [...Buffer.from(value, 'utf8')] : value;
  return [...varint(no * 8 + 2), ...varint(bytes.length), ...bytes];
}

const FLOAT = 1;

function floatVector(name: string): number[] {
  const dim = field(1, 1); // Dimension.dim_value = 1
  const shape = field(1, dim); // TensorShapeProto.dim
  const tensorType = [...field(1, FLOAT), ...field(2, shape)]; // TypeProto.Tensor: elem_type, shape
  return [...field(1, name), ...field(2, field(1, tensorType))]; // ValueInfoProto: name, type.tensor_type
}

/** ModelProto bytes: ir_version 7, opset 13, graph "probe" with y = Identity(x). */
export function identityModel(): Uint8Array {
  const node = [...field(1, 'x'), ...field(2, 'y'), ...field(4, 'Identity')];
  const graph = [...field(1, node), ...field(2, 'probe'), ...field(11, floatVector('x')), ...field(12, floatVector('y'))];
  return Uint8Array.from([...field(1, 7), ...field(7, graph), ...field(8, field(2, 13))]);
}
