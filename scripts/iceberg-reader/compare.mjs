// Compares what streamsql says about a table with what icebird read:
//
//   node compare.mjs LABEL EXPECTED_JSON ACTUAL_JSON
//
// Every key of EXPECTED (streamsql's one-row `query --format jsonl`
// answer) must be in ACTUAL (read.mjs's output) with an equal value:
// integers exactly, other numbers within a relative 1e-9 (floating-point
// sums depend on the order rows are added in), timestamps to the
// millisecond and dates to the day whatever their notation, anything else
// strictly.
// Prints one line on success; on a mismatch prints every difference to
// stderr and exits 1.

import { pathToFileURL } from 'node:url'

const TIMESTAMP = /^(\d{4}-\d\d-\d\d)(?:[ T](\d\d:\d\d:\d\d(?:\.\d+)?)Z?)?$/

// timestampMillis parses streamsql's 'YYYY-MM-DD HH:MM:SS[.ffffff]' (UTC)
// and 'YYYY-MM-DD' (DATE), and ISO-8601 UTC (icebird's Date for both), to
// milliseconds (a Date's precision); NaN when s is no timestamp or date.
export function timestampMillis(s) {
  const m = typeof s === 'string' && TIMESTAMP.exec(s)
  if (!m) return NaN
  const [hms, frac = ''] = (m[2] ?? '00:00:00').split('.')
  return Date.parse(`${m[1]}T${hms}Z`) + Number(frac.padEnd(3, '0').slice(0, 3))
}

// sameValue reports whether two JSON values agree.
export function sameValue(want, got) {
  if (typeof want === 'number' && typeof got === 'number') {
    if (Number.isInteger(want) && Number.isInteger(got)) return want === got
    return Math.abs(want - got) <= 1e-9 * Math.max(1, Math.abs(want), Math.abs(got))
  }
  const [tw, tg] = [timestampMillis(want), timestampMillis(got)]
  if (!Number.isNaN(tw) && !Number.isNaN(tg)) return tw === tg
  return want === got
}

// differences lists, one line each, the keys of want that got lacks or
// holds another value for.
export function differences(want, got) {
  const out = []
  for (const [key, w] of Object.entries(want)) {
    if (!(key in got)) out.push(`${key}: streamsql says ${JSON.stringify(w)}, icebird has no such value`)
    else if (!sameValue(w, got[key])) out.push(`${key}: streamsql says ${JSON.stringify(w)}, icebird read ${JSON.stringify(got[key])}`)
  }
  return out
}

function main() {
  const [label, wantText, gotText] = process.argv.slice(2)
  if (gotText === undefined) {
    console.error('usage: node compare.mjs LABEL EXPECTED_JSON ACTUAL_JSON')
    process.exit(2)
  }
  let want, got
  try {
    want = JSON.parse(wantText)
    got = JSON.parse(gotText)
  } catch (err) {
    console.error(`${label}: parsing the answers: ${err.message}`)
    process.exit(1)
  }
  const diffs = differences(want, got)
  if (diffs.length > 0) {
    console.error(`MISMATCH ${label}: icebird and streamsql disagree on ${got._metadata ?? 'the table'}`)
    for (const d of diffs) console.error(`  ${d}`)
    process.exit(1)
  }
  const shown = Object.entries(want).map(([k, v]) => `${k}=${v}`).join(' ')
  console.log(`ok ${label}: ${shown} (${got._data_files ?? '?'} data files)`)
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) main()
