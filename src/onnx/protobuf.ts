/**
 * A minimal protocol-buffers writer: just the wire types ONNX models use (varint, 32-bit and
 * length-delimited fields), enough to write a ModelProto without a generated schema.
 *
 * Byte fields and nested messages are kept as references to their chunks rather than copied, so a
 * model with hundreds of megabytes of weights is copied once, when it is finished or written out.
 */
export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  private push(bytes: Uint8Array): this {
    this.chunks.push(bytes);
    this.length += bytes.length;
    return this;
  }

  private varint(value: number | bigint): this {
    let remaining = BigInt.asUintN(64, BigInt(value));
    const bytes: number[] = [];
    do {
      let byte = Number(remaining & 0x7fn);
      remaining >>= 7n;
      if (remaining !== 0n) byte |= 0x80;
      bytes.push(byte);
    } while (remaining !== 0n);
    return this.push(Uint8Array.from(bytes));
  }

  private key(field: number, wireType: 0 | 2 | 5): this {
    return this.varint((field << 3) | wireType);
  }

  get byteLength(): number {
    return this.length;
  }

  int(field: number, value: number | bigint): this {
    return this.key(field, 0).varint(value);
  }

  /** A `float` field (wire type 5, little-endian IEEE single). */
  float(field: number, value: number): this {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    return this.key(field, 5).push(bytes);
  }

  bytes(field: number, value: Uint8Array): this {
    return this.key(field, 2).varint(value.length).push(value);
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, write: (writer: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    write(inner);
    this.key(field, 2).varint(inner.length);
    for (const chunk of inner.chunks) this.push(chunk);
    return this;
  }

  /** The encoded bytes in order, without joining them (for streaming to a file). */
  parts(): readonly Uint8Array[] {
    return this.chunks;
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }
}
