// Reads an Iceberg table that streamsql wrote with icebird, an independent
// pure-JavaScript Iceberg reader, and prints what it found as one JSON
// object:
//
//   node read.mjs (--metadata URL|PATH | --catalog URL --table NS.NAME)
//                 [--sum COL]... [--nulls COL]... [--minmax COL]...
//
//   {"row_count": N, "sum_COL": S, "nulls_COL": K, "min_COL": …, "max_COL": …, …,
//    "_metadata": "file:///…/00001-….metadata.json", "_data_files": F}
//
// --catalog asks an Iceberg REST catalog (`streamsql catalog serve`) for
// the table's current metadata location; --metadata names it directly.
// Besides reading the rows it checks that they number what the manifests
// and the snapshot summary say. Exit status 1 with a message on stderr on
// any failure.

import { parseArgs } from 'node:util'
import { stat } from 'node:fs/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { fileFetch } from './filefetch.mjs'

// icebird fetches through the global fetch: serve file:// URLs from disk.
globalThis.fetch = fileFetch(globalThis.fetch)
const { icebergManifests, icebergMetadata, icebergRead } = await import('icebird')

// metadataLocation resolves the table's current metadata.json URL.
export async function metadataLocation({ metadata, catalog, table }) {
  if (metadata) {
    return metadata.includes('://') ? metadata : pathToFileURL(metadata).href
  }
  if (!catalog || !table) throw new Error('want --metadata, or --catalog and --table')
  const dot = table.lastIndexOf('.')
  if (dot <= 0 || dot === table.length - 1) throw new Error(`--table ${table}: want NAMESPACE.TABLE`)
  const ns = table.slice(0, dot).split('.').join('\x1f') // the REST multi-level separator
  const url = `${catalog.replace(/\/$/, '')}/v1/namespaces/${encodeURIComponent(ns)}/tables/${encodeURIComponent(table.slice(dot + 1))}`
  const res = await fetch(url)
  if (!res.ok) throw new Error(`loading ${table} from ${catalog}: HTTP ${res.status} ${await res.text()}`)
  const loc = (await res.json())['metadata-location']
  if (!loc) throw new Error(`loading ${table} from ${catalog}: no metadata-location in the answer`)
  return loc
}

// splitLocation splits …/TABLE/metadata/FILE into icebird's tableUrl and
// metadataFileName.
function splitLocation(loc) {
  const i = loc.lastIndexOf('/metadata/')
  if (i < 0) throw new Error(`metadata location ${loc} is not under a metadata/ directory`)
  return { tableUrl: loc.slice(0, i), metadataFileName: loc.slice(i + '/metadata/'.length) }
}

// summarize counts rows and, per column list of want: sum (sum_COL and
// nulls_COL; BIGINT and INTEGER sum exactly, as icebird gives BIGINT as
// BigInt), nulls (nulls_COL), minmax (min_COL, max_COL; timestamps as
// ISO-8601 UTC).
export function summarize(rows, want) {
  const out = { row_count: rows.length }
  const values = col => {
    const vs = []
    for (const row of rows) {
      if (!(col in row)) throw new Error(`the table has no column ${col}`)
      if (row[col] !== null && row[col] !== undefined) vs.push(row[col])
    }
    return vs
  }
  for (const col of want.sum ?? []) {
    const vs = values(col)
    let sum = null
    for (const v of vs) {
      if (typeof v === 'bigint') sum = (sum ?? 0n) + v
      else if (typeof v === 'number') sum = typeof sum === 'bigint' ? Number(sum) + v : (sum ?? 0) + v
      else throw new Error(`column ${col} holds ${typeof v} values, which do not sum`)
    }
    out[`sum_${col}`] = sum
    out[`nulls_${col}`] = rows.length - vs.length
  }
  for (const col of want.nulls ?? []) {
    out[`nulls_${col}`] = rows.length - values(col).length
  }
  for (const col of want.minmax ?? []) {
    let min = null
    let max = null
    for (const v of values(col)) {
      if (typeof v === 'object' && !(v instanceof Date)) throw new Error(`column ${col} holds values with no order`)
      if (min === null || v < min) min = v
      if (max === null || v > max) max = v
    }
    const show = v => (v instanceof Date ? v.toISOString() : v)
    out[`min_${col}`] = show(min)
    out[`max_${col}`] = show(max)
  }
  return out
}

// checkLocalFile fails when a local data file the manifests list is
// missing or not the size they record.
async function checkLocalFile({ file_path: path, file_size_in_bytes: size }) {
  if (!path.startsWith('file:')) return
  let st
  try {
    st = await stat(fileURLToPath(path))
  } catch (err) {
    throw new Error(`data file ${path} is listed in the manifests but cannot be read: ${err.code ?? err.message}`)
  }
  if (BigInt(st.size) !== BigInt(size)) {
    throw new Error(`data file ${path} has ${st.size} bytes, the manifests record ${size}`)
  }
}

// readTable reads the table at loc and checks the row count against the
// manifests and the snapshot summary.
export async function readTable(loc, want) {
  const { tableUrl, metadataFileName } = splitLocation(loc)
  const metadata = await icebergMetadata({ tableUrl, metadataFileName })
  const snapshot = metadata.snapshots?.find(s => s['snapshot-id'] === metadata['current-snapshot-id'])
  if (!snapshot) throw new Error(`${loc}: no current snapshot`)
  let listed = 0n
  let files = 0
  for (const { entries } of await icebergManifests(metadata)) {
    for (const e of entries) {
      if (e.status === 2 || e.data_file.content) continue // deleted entries; delete files
      listed += BigInt(e.data_file.record_count)
      files++
      await checkLocalFile(e.data_file)
    }
  }
  const rows = await icebergRead({ tableUrl, metadata })
  if (BigInt(rows.length) !== listed) {
    throw new Error(`${loc}: read ${rows.length} rows, the manifests list ${listed}`)
  }
  const total = snapshot.summary?.['total-records']
  if (total !== undefined && BigInt(total) !== listed) {
    throw new Error(`${loc}: the manifests list ${listed} rows, the snapshot summary says ${total}`)
  }
  return { ...summarize(rows, want), _metadata: loc, _data_files: files }
}

// toJSON prints BigInt sums as exact JSON integers.
export function toJSON(obj) {
  return JSON.stringify(obj, (_, v) => (typeof v === 'bigint' ? `\u0000${v}` : v)).replace(/"\\u0000(-?\d+)"/g, '$1')
}

async function main() {
  const { values } = parseArgs({
    options: {
      metadata: { type: 'string' },
      catalog: { type: 'string' },
      table: { type: 'string' },
      sum: { type: 'string', multiple: true, default: [] },
      nulls: { type: 'string', multiple: true, default: [] },
      minmax: { type: 'string', multiple: true, default: [] },
    },
  })
  const loc = await metadataLocation(values)
  console.log(toJSON(await readTable(loc, values)))
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch(err => {
    console.error(`read.mjs: ${err.message}`)
    process.exit(1)
  })
}
