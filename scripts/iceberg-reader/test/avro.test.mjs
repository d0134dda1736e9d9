// Tests of the deflate → null Avro re-encoding, on containers built here
// by the Avro spec (raw RFC 1951 blocks) the way Go's compress/flate ends
// them (iceberg-go writes through twmb/avro, which uses it): with an empty
// stored final block. That block is what trips icebird's own inflater.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { constants, deflateRawSync } from 'node:zlib'
import { avroMetadata, avroRead } from 'icebird'
import { codecOf, inflateAvro } from '../avro.mjs'

const schema = JSON.stringify({
  type: 'record', name: 'r',
  fields: [{ name: 'id', type: 'long' }, { name: 'name', type: 'string' }],
})
const sync = Buffer.alloc(16, 7)

function zz(n) { // zig-zag varint of a BigInt
  let z = n >= 0n ? n << 1n : (-n << 1n) - 1n
  const out = []
  do { let b = Number(z & 0x7fn); z >>= 7n; if (z) b |= 0x80; out.push(b) } while (z)
  return Buffer.from(out)
}
const str = s => Buffer.concat([zz(BigInt(Buffer.byteLength(s))), Buffer.from(s)])
const record = (id, name) => Buffer.concat([zz(id), str(name)])

// goDeflate compresses as Go's flate.Writer does on Flush then Close: the
// data, an empty stored block, and an empty stored final block.
function goDeflate(raw) {
  const body = deflateRawSync(raw, { finishFlush: constants.Z_SYNC_FLUSH })
  return Buffer.concat([body, Buffer.from([0x01, 0x00, 0x00, 0xff, 0xff])])
}

// container builds an Avro file of blocks (each a list of [id, name]).
function container(codec, blocks, { badSync = false, truncate = 0, corrupt = false } = {}) {
  const parts = [Buffer.from('Obj\x01', 'latin1'), zz(2n), str('avro.schema'), str(schema), str('avro.codec'), str(codec), zz(0n), sync]
  for (const rows of blocks) {
    const raw = Buffer.concat(rows.map(([id, name]) => record(id, name)))
    let data = codec === 'deflate' ? goDeflate(raw) : raw
    if (corrupt) data = Buffer.from([0xff, 0xff, 0xff, 0xff]) // block type 11: reserved
    parts.push(zz(BigInt(rows.length)), zz(BigInt(data.length)), data, badSync ? Buffer.alloc(16, 9) : sync)
  }
  const buf = Buffer.concat(parts)
  return buf.subarray(0, buf.length - truncate)
}

function parse(buf) {
  const reader = { view: new DataView(buf.buffer, buf.byteOffset, buf.byteLength), offset: 0 }
  const { metadata, syncMarker } = avroMetadata(reader)
  return avroRead({ reader, metadata, syncMarker })
}

// 5000 rows, so a block inflates past any small initial buffer.
const big = Array.from({ length: 5000 }, (_, i) => [BigInt(i) * 1_000_000_007n, `row-${i}`])

test('deflate containers re-encode to null codec with the same records', () => {
  const blocks = [[[1n, 'a'], [-2n, 'b']], big, [[2n ** 62n, 'big id']]]
  const out = inflateAvro(container('deflate', blocks))
  assert.equal(codecOf(out), 'null')
  const rows = parse(out)
  assert.equal(rows.length, 2 + big.length + 1)
  assert.deepEqual(rows[0], { id: 1n, name: 'a' })
  assert.deepEqual(rows[1], { id: -2n, name: 'b' })
  assert.deepEqual(rows[2 + 4999], { id: 4999n * 1_000_000_007n, name: 'row-4999' })
  assert.deepEqual(rows.at(-1), { id: 2n ** 62n, name: 'big id' })
})

test('icebird alone fails on the same deflate container (why the shim exists)', () => {
  assert.throws(() => parse(container('deflate', [big])), RangeError)
  // …while Node's zlib reads that block as the spec says.
  assert.equal(parse(inflateAvro(container('deflate', [big]))).length, big.length)
})

test('null containers pass through untouched', () => {
  const buf = container('null', [[[5n, 'x']]])
  assert.equal(inflateAvro(buf), buf)
})

test('faults name the problem', () => {
  assert.throws(() => inflateAvro(Buffer.from('PAR1xxxxxxxx')), /bad magic/)
  assert.throws(() => inflateAvro(container('snappy', [[[1n, 'a']]])), /unsupported Avro codec "snappy"/)
  assert.throws(() => inflateAvro(container('deflate', [[[1n, 'a']]], { badSync: true })), /sync marker mismatch/)
  assert.throws(() => inflateAvro(container('deflate', [big], { truncate: 20 })), /truncated/)
  const garbage = container('null', [[[1n, 'a']]])
  const corrupt = Buffer.from(garbage)
  corrupt[corrupt.indexOf('null', 0, 'latin1')] = 'd'.charCodeAt(0) // "dull"
  assert.throws(() => inflateAvro(corrupt), /unsupported Avro codec "dull"/)
})

test('a corrupt deflate block fails with its block number', () => {
  const good = container('deflate', [[[1n, 'a']]])
  const bad = container('deflate', [[[1n, 'a']]], { corrupt: true })
  const twoBlocks = Buffer.concat([good, bad.subarray(bad.indexOf(sync) + 16)]) // good's block, then bad's
  assert.throws(() => inflateAvro(twoBlocks), /block 1: inflating/)
})
