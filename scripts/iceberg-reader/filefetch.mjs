// A fetch that serves file:// URLs from the local disk, for icebird, which
// reads every metadata, manifest and data file by URL through the global
// fetch (Node's fetch has no file: scheme). Other URLs go to the fallback.
//
// It answers as an object store would: 200 with the body, 206 for a
// "Range: bytes=a-b" request (hyparquet reads Parquet footers and column
// chunks by range), 404 for a missing file, 416 for a range outside the
// file. Avro files are served uncompressed (see avro.mjs).

import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { inflateAvro } from './avro.mjs'

// fileFetch returns the fetch function; fallback handles non-file URLs.
export function fileFetch(fallback) {
  return async function fetchFile(input, init = {}) {
    const url = input instanceof Request ? input.url : String(input)
    if (!url.startsWith('file:')) return fallback(input, init)
    const path = fileURLToPath(url)

    let body
    try {
      body = await readFile(path)
    } catch (err) {
      if (err.code === 'ENOENT') return new Response(null, { status: 404, statusText: `no such file ${path}` })
      throw new Error(`reading ${path}: ${err.message}`)
    }
    if (path.endsWith('.avro')) {
      try {
        body = inflateAvro(body)
      } catch (err) {
        throw new Error(`decoding Avro file ${path}: ${err.message}`)
      }
    }

    const headers = new Headers(input instanceof Request ? input.headers : undefined)
    for (const [k, v] of new Headers(init.headers)) headers.set(k, v)
    const range = headers.get('range')
    const method = (init.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase()
    let status = 200
    if (range) {
      const span = parseRange(range, body.length)
      if (!span) {
        return new Response(null, { status: 416, headers: { 'content-range': `bytes */${body.length}` } })
      }
      const [start, end] = span
      body = body.subarray(start, end + 1)
      status = 206
    }
    const respHeaders = { 'content-length': String(body.length) }
    return new Response(method === 'HEAD' ? null : body, { status, headers: respHeaders })
  }
}

// parseRange turns "bytes=a-b", "bytes=a-" or "bytes=-n" into inclusive
// [start, end] within size, or null when unsatisfiable or malformed.
export function parseRange(header, size) {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (!m || (m[1] === '' && m[2] === '')) return null
  let start, end
  if (m[1] === '') {
    const n = Number(m[2])
    if (n === 0) return null
    start = Math.max(size - n, 0)
    end = size - 1
  } else {
    start = Number(m[1])
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1)
  }
  if (start >= size || start > end) return null
  return [start, end]
}
