/**
 * @fileoverview The protobuf wire format, read: just enough to walk a message's fields
 * (https://protobuf.dev/programming-guides/encoding/). Hand-written rather than protobufjs
 * because the runtime reads one small message (SentencePiece's ModelProto) and protobufjs with
 * its dependencies would more than double the runtime's installed size (6 MB against a 5 MB goal);
 * every read is bounds-checked, so a corrupt file ends in an error, never a hang.
 */

/** One field of a message: its number and its value (varint as a number, exact below 2^53, and its
 *  low 32 bits as a signed int32, exact always; bytes as a view). */
export type Field =
  { no: number; wire: 0; value: number; int32: number } | { no: number; wire: 1 | 5; value: DataView } | { no: number; wire: 2; value: Uint8Array };

export class WireError extends Error {}

/** The fields of a message in file order. Throws WireError on malformed or truncated input. */
export function* fields(buf: Uint8Array): Generator<Field> {
  let p = 0;
  let low = 0; // the low 32 bits of the last varint, as protobuf's int32 reads them
  const varint = (): number => {
    let v = 0;
    low = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      if (p >= buf.length) throw new WireError(`truncated varint at byte ${p}`);
      const b = buf[p++];
      v += (b & 0x7f) * 2 ** shift; // exact below 2^53, which every length and count here is
      if (shift < 32) low |= (b & 0x7f) << shift; // JS shifts keep 32 bits: exactly the low word
      if (b < 0x80) return v;
    }
    throw new WireError(`varint longer than 10 bytes at byte ${p}`);
  };
  const take = (n: number): Uint8Array => {
    if (n > buf.length - p) throw new WireError(`field of ${n} bytes runs past the end (byte ${p} of ${buf.length})`);
    const v = buf.subarray(p, p + n);
    p += n;
    return v;
  };
  while (p < buf.length) {
    const key = varint(),
      no = Math.floor(key / 8),
      wire = key % 8;
    if (no === 0) throw new WireError(`field number 0 at byte ${p}`);
    if (wire === 0) yield { no, wire, value: varint(), int32: low };
    else if (wire === 1 || wire === 5) {
      const b = take(wire === 1 ? 8 : 4);
      yield { no, wire, value: new DataView(b.buffer, b.byteOffset, b.byteLength) };
    } else if (wire === 2) yield { no, wire, value: take(varint()) };
    else throw new WireError(`wire type ${wire} (groups or invalid) at byte ${p}`);
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** A string field (UTF-8, refused when invalid). */
export function str(f: Field): string {
  if (f.wire !== 2) throw new WireError(`field ${f.no} should be a string`);
  try {
    return UTF8.decode(f.value);
  } catch {
    throw new WireError(`field ${f.no} is not valid UTF-8`);
  }
}

/** An int32/enum/bool field. */
export function int(f: Field): number {
  if (f.wire !== 0) throw new WireError(`field ${f.no} should be a varint`);
  return f.int32; // int32 (a negative one is ten bytes, sign-extended to 64 bits), enum or bool
}

/** A float field (fixed32, little-endian). */
export function float(f: Field): number {
  if (f.wire !== 5) throw new WireError(`field ${f.no} should be a float`);
  return f.value.getFloat32(0, true);
}

/** An embedded message field. */
export function message(f: Field): Uint8Array {
  if (f.wire !== 2) throw new WireError(`field ${f.no} should be a message`);
  return f.value;
}
