// Tests of the file:// fetch shim: bodies, ranges, HEAD, missing files,
// Avro re-encoding, and the fallback for other schemes.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { fileFetch, parseRange } from '../filefetch.mjs'

const dir = await mkdtemp(join(tmpdir(), 'filefetch-'))
test.after(() => rm(dir, { recursive: true, force: true }))
const file = join(dir, 'data.parquet')
await writeFile(file, 'abcdefghij')
const url = pathToFileURL(file).href
const fetchFile = fileFetch(async u => new Response(`fallback ${u}`))

test('whole file, ranges and HEAD', async () => {
  let res = await fetchFile(url)
  assert.equal(res.status, 200)
  assert.equal(await res.text(), 'abcdefghij')
  res = await fetchFile(url, { headers: { Range: 'bytes=2-4' } })
  assert.equal(res.status, 206)
  assert.equal(await res.text(), 'cde')
  res = await fetchFile(new Request(url, { headers: { Range: 'bytes=-3' } }))
  assert.equal(await res.text(), 'hij')
  res = await fetchFile(url, { method: 'HEAD' })
  assert.equal(res.headers.get('content-length'), '10')
  assert.equal(await res.text(), '')
})

test('unsatisfiable range is 416, missing file 404', async () => {
  let res = await fetchFile(url, { headers: { Range: 'bytes=10-20' } })
  assert.equal(res.status, 416)
  res = await fetchFile(pathToFileURL(join(dir, 'gone.parquet')).href)
  assert.equal(res.status, 404)
  assert.equal(res.ok, false)
})

test('a broken Avro file rejects, naming the file', async () => {
  const avro = join(dir, 'm.avro')
  await writeFile(avro, 'not avro at all')
  await assert.rejects(fetchFile(pathToFileURL(avro).href), /decoding Avro file .*m\.avro: not an Avro/)
})

test('a directory rejects with the read error', async () => {
  await assert.rejects(fetchFile(pathToFileURL(dir).href), /reading .*EISDIR/)
})

test('other schemes go to the fallback', async () => {
  const res = await fetchFile('http://127.0.0.1:1/x')
  assert.equal(await res.text(), 'fallback http://127.0.0.1:1/x')
})

test('parseRange', () => {
  assert.deepEqual(parseRange('bytes=0-', 5), [0, 4])
  assert.deepEqual(parseRange('bytes=3-100', 5), [3, 4])
  assert.deepEqual(parseRange('bytes=-2', 5), [3, 4])
  assert.deepEqual(parseRange('bytes=-9', 5), [0, 4])
  for (const bad of ['bytes=5-', 'bytes=3-2', 'bytes=-', 'bytes=-0', 'items=0-1', 'bytes=a-b']) {
    assert.equal(parseRange(bad, 5), null, bad)
  }
})
