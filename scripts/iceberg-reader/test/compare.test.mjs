// Tests of the answer comparison and of read.mjs's row summary.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { differences, sameValue, timestampMillis } from '../compare.mjs'
import { metadataLocation, summarize, toJSON } from '../read.mjs'

test('sameValue: integers exact, floats within 1e-9 relative', () => {
  assert.ok(sameValue(886, 886))
  assert.ok(!sameValue(886, 887))
  assert.ok(sameValue(39796.46000000003, 39796.46000000001))
  assert.ok(!sameValue(39796.46, 39796.47))
  assert.ok(sameValue(null, null))
  assert.ok(!sameValue(null, 0))
  assert.ok(!sameValue('1', 1))
})

test('timestamps and dates agree across notations, to the millisecond', () => {
  assert.ok(sameValue('2026-03-01 10:00:01.824', '2026-03-01T10:00:01.824Z'))
  assert.ok(sameValue('2026-03-01 10:00:01', '2026-03-01T10:00:01.000Z'))
  assert.ok(sameValue('2026-03-01 10:00:01.824999', '2026-03-01T10:00:01.824Z'))
  assert.ok(!sameValue('2026-03-01 10:00:01.825', '2026-03-01T10:00:01.824Z'))
  assert.ok(!sameValue('2026-03-01 11:00:01.824', '2026-03-01T10:00:01.824Z'))
  assert.ok(sameValue('2026-02-27', '2026-02-27T00:00:00.000Z'))
  assert.ok(!sameValue('2026-02-27', '2026-02-28T00:00:00.000Z'))
  assert.ok(Number.isNaN(timestampMillis('orders')))
  assert.ok(Number.isNaN(timestampMillis('2026-02-27 10:00')))
  assert.ok(!sameValue('orders', 'clicks'))
  assert.ok(sameValue('orders', 'orders'))
})

test('differences names missing and differing keys, ignores extra ones', () => {
  const diffs = differences({ row_count: 3, sum_x: 1.5, nulls_x: 0 }, { row_count: 4, nulls_x: 0, _metadata: 'm' })
  assert.equal(diffs.length, 2)
  assert.match(diffs[0], /row_count: streamsql says 3, icebird read 4/)
  assert.match(diffs[1], /sum_x: .*no such value/)
  assert.deepEqual(differences({ row_count: 3 }, { row_count: 3, extra: 1 }), [])
})

test('summarize sums BigInt exactly and counts NULLs', () => {
  const rows = [{ a: 2n ** 60n, b: 1.5 }, { a: 1n, b: null }, { a: undefined, b: 2.25 }]
  const s = summarize(rows, { sum: ['a', 'b'] })
  assert.deepEqual(s, { row_count: 3, sum_a: 2n ** 60n + 1n, nulls_a: 1, sum_b: 3.75, nulls_b: 1 })
  assert.equal(toJSON(s), `{"row_count":3,"sum_a":${2n ** 60n + 1n},"nulls_a":1,"sum_b":3.75,"nulls_b":1}`)
  assert.deepEqual(summarize([{ a: null }], { sum: ['a'] }), { row_count: 1, sum_a: null, nulls_a: 1 })
})

test('summarize: NULL counts and min/max of strings, numbers and timestamps', () => {
  const rows = [
    { s: 'b', t: new Date('2026-03-01T10:00:00.5Z'), f: false },
    { s: null, t: new Date('2026-03-01T09:00:00Z'), f: null },
    { s: 'a', t: null, f: true },
  ]
  assert.deepEqual(summarize(rows, { nulls: ['s', 'f'], minmax: ['s', 't'] }), {
    row_count: 3, nulls_s: 1, nulls_f: 1, min_s: 'a', max_s: 'b',
    min_t: '2026-03-01T09:00:00.000Z', max_t: '2026-03-01T10:00:00.500Z',
  })
  assert.deepEqual(summarize([{ x: null }], { minmax: ['x'] }), { row_count: 1, min_x: null, max_x: null })
})

test('summarize refuses unknown, non-numeric and unordered columns', () => {
  assert.throws(() => summarize([{ a: 1 }], { sum: ['b'] }), /no column b/)
  assert.throws(() => summarize([{ a: 1 }], { nulls: ['b'] }), /no column b/)
  assert.throws(() => summarize([{ a: 'x' }], { sum: ['a'] }), /string values/)
  assert.throws(() => summarize([{ a: { k: 1 } }], { minmax: ['a'] }), /no order/)
})

test('metadataLocation wants a table or a location', async () => {
  assert.equal(await metadataLocation({ metadata: '/w/t/metadata/1.metadata.json' }), 'file:///w/t/metadata/1.metadata.json')
  assert.equal(await metadataLocation({ metadata: 's3://b/t/metadata/1.metadata.json' }), 's3://b/t/metadata/1.metadata.json')
  await assert.rejects(metadataLocation({ catalog: 'http://127.0.0.1:1' }), /want --metadata/)
  await assert.rejects(metadataLocation({ catalog: 'http://127.0.0.1:1', table: 'plain' }), /NAMESPACE.TABLE/)
})
