// Re-encodes deflate-compressed Avro object container files as
// uncompressed ones, block by block.
//
// Why: iceberg-go writes manifests and manifest lists with Avro's "deflate"
// codec, which the Avro spec defines as a raw RFC 1951 stream. icebird
// decodes it with hyparquet-compressors' gunzip (1.1.1, and 1.1.2 alike),
// which mistakes the unused tail of its growing output buffer for a second
// gzip member and restarts decoding from byte 0 ("RangeError: offset is out
// of bounds"). Node's zlib inflates the same blocks correctly, so the fetch
// shim hands icebird the container with codec "null" instead; every record
// byte icebird parses is still iceberg-go's.

import { inflateRawSync } from 'node:zlib'

const MAGIC = Buffer.from([0x4f, 0x62, 0x6a, 0x01]) // "Obj" 1
const SYNC_BYTES = 16

// AvroReader walks the binary encoding, failing on truncation instead of
// reading past the end.
class AvroReader {
  constructor(buf) {
    this.buf = buf
    this.pos = 0
  }

  atEnd() {
    return this.pos >= this.buf.length
  }

  // long reads a zig-zag varint. Counts and sizes fit a double easily; a
  // value beyond 2^53 means a corrupt file.
  long() {
    let result = 0n
    let shift = 0n
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error('truncated varint')
      const byte = this.buf[this.pos++]
      result |= BigInt(byte & 0x7f) << shift
      if (!(byte & 0x80)) break
      shift += 7n
      if (shift > 63n) throw new Error('varint longer than 64 bits')
    }
    const value = (result >> 1n) ^ -(result & 1n)
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new Error(`length ${value} out of range`)
    }
    return Number(value)
  }

  take(n) {
    if (n < 0 || this.pos + n > this.buf.length) {
      throw new Error(`truncated: want ${n} bytes at offset ${this.pos}, file has ${this.buf.length}`)
    }
    const out = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return out
  }
}

// writeLong appends n's zig-zag varint to out (an array of byte chunks).
function writeLong(out, n) {
  let z = n >= 0 ? BigInt(n) << 1n : (-BigInt(n) << 1n) - 1n
  const bytes = []
  do {
    let b = Number(z & 0x7fn)
    z >>= 7n
    if (z) b |= 0x80
    bytes.push(b)
  } while (z)
  out.push(Buffer.from(bytes))
}

// readHeader parses magic, the metadata map (string keys, bytes values) and
// the sync marker.
function readHeader(r) {
  if (!r.take(MAGIC.length).equals(MAGIC)) throw new Error('not an Avro object container file (bad magic)')
  const meta = new Map()
  for (let count = r.long(); count !== 0; count = r.long()) {
    if (count < 0) {
      count = -count
      r.long() // the block's byte size, not needed
    }
    for (let i = 0; i < count; i++) {
      const key = r.take(r.long()).toString('utf8')
      meta.set(key, Buffer.from(r.take(r.long())))
    }
  }
  const sync = r.take(SYNC_BYTES)
  return { meta, sync }
}

// codecOf is the container's codec; a missing entry means "null".
export function codecOf(buf) {
  const { meta } = readHeader(new AvroReader(buf))
  return meta.get('avro.codec')?.toString('utf8') ?? 'null'
}

// inflateAvro returns buf as an uncompressed ("null" codec) container: buf
// itself when it is one already, a re-encoded copy when it is "deflate".
// Other codecs (snappy, zstandard, …), a bad magic, a truncated block or a
// sync marker mismatch throw, naming the problem.
export function inflateAvro(buf) {
  const r = new AvroReader(buf)
  const { meta, sync } = readHeader(r)
  const codec = meta.get('avro.codec')?.toString('utf8') ?? 'null'
  if (codec === 'null') return buf
  if (codec !== 'deflate') throw new Error(`unsupported Avro codec ${JSON.stringify(codec)}`)

  meta.set('avro.codec', Buffer.from('null'))
  const out = [MAGIC]
  writeLong(out, meta.size)
  for (const [key, value] of meta) {
    const k = Buffer.from(key, 'utf8')
    writeLong(out, k.length)
    out.push(k)
    writeLong(out, value.length)
    out.push(value)
  }
  writeLong(out, 0)
  out.push(sync)

  for (let block = 0; !r.atEnd(); block++) {
    const count = r.long()
    const compressed = r.take(r.long())
    if (!r.take(SYNC_BYTES).equals(sync)) throw new Error(`block ${block}: sync marker mismatch`)
    let data
    try {
      data = inflateRawSync(compressed)
    } catch (err) {
      throw new Error(`block ${block}: inflating: ${err.message}`)
    }
    writeLong(out, count)
    writeLong(out, data.length)
    out.push(data, sync)
  }
  return Buffer.concat(out)
}
