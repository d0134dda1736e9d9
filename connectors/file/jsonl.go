package file

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/planner/types"
)

// readBufferSize is the bufio buffer of line-oriented readers.
const readBufferSize = 1 << 20

// lineSource yields the lines of one file, numbered from 1.
type lineSource struct {
	path string
	f    *os.File
	r    *bufio.Reader
	long []byte // assembles lines longer than the buffer
	line int64
}

func (s *lineSource) open(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("opening %s: %w", path, err)
	}
	s.path, s.f, s.line = path, f, 0
	if s.r == nil {
		s.r = bufio.NewReaderSize(f, readBufferSize)
	} else {
		s.r.Reset(f)
	}
	return nil
}

// next returns the next line (valid until the following call), or io.EOF.
func (s *lineSource) next() ([]byte, error) {
	b, err := s.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		s.long = append(s.long[:0], b...)
		for errors.Is(err, bufio.ErrBufferFull) {
			b, err = s.r.ReadSlice('\n')
			s.long = append(s.long, b...)
		}
		b = s.long
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("reading %s: %w", s.path, err)
	}
	if len(b) == 0 {
		return nil, io.EOF
	}
	s.line++
	return b, nil
}

func (s *lineSource) close() {
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
}

// ---- inference ----

// fieldStats tallies the JSON kinds seen for one key.
type fieldStats struct {
	name                              string
	bools, ints, floats, strs, nested int
	notTS, notDate                    bool
}

// kind decides the column type from the tallies.
func (s *fieldStats) kind() types.Kind {
	scalars := s.bools + s.ints + s.floats
	switch {
	case s.nested > 0:
		return types.JSON
	case s.strs > 0 && scalars > 0:
		return types.Varchar
	case s.strs > 0 && !s.notDate:
		return types.Date
	case s.strs > 0 && !s.notTS:
		return types.Timestamp
	case s.strs > 0:
		return types.Varchar
	case s.bools > 0 && s.ints+s.floats > 0:
		return types.Varchar
	case s.bools > 0:
		return types.Boolean
	case s.floats > 0:
		return types.Double
	case s.ints > 0:
		return types.Bigint
	}
	return types.Varchar
}

// noteString records a string sample.
func (s *fieldStats) noteString(v string) {
	s.strs++
	if s.notTS {
		return
	}
	if !types.LooksLikeTimestamp(v) {
		s.notTS, s.notDate = true, true
	} else if len(v) != 10 {
		s.notDate = true
	}
}

// inferJSONL samples the first lines of the files and derives a schema:
// fields in first-seen order, types from the kinds of their values.
// Malformed lines are ignored here; the scan reports or skips them.
func inferJSONL(files []string, sample int) (*arrow.Schema, error) {
	var (
		inf jsonInference
		src lineSource
	)
	defer src.close()
	for _, path := range files {
		if inf.n >= sample {
			break
		}
		if err := src.open(path); err != nil {
			return nil, err
		}
		for inf.n < sample {
			line, err := src.next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, err
			}
			inf.add(line, src.path, src.line)
		}
		src.close()
	}
	return inf.schema()
}

// jsonInference tallies sampled JSONL lines into a schema; inferJSONL and
// the stdin stream share it.
type jsonInference struct {
	stats   []*fieldStats
	byName  map[string]*fieldStats
	n, bad  int // sampled lines (malformed ones too, bounding the work), malformed
	firstEr error
	scratch []byte
}

// add samples one line; path and line name it in errors. Blank lines do
// not count.
func (in *jsonInference) add(line []byte, path string, lineNo int64) {
	if in.byName == nil {
		in.byName = map[string]*fieldStats{}
	}
	blank, err := inferLine(line, &in.scratch, func(key string, c byte, isInt bool, str []byte) {
		s := in.byName[key]
		if s == nil {
			s = &fieldStats{name: key}
			in.byName[key] = s
			in.stats = append(in.stats, s)
		}
		switch {
		case c == 'n':
		case c == 't' || c == 'f':
			s.bools++
		case c == '"':
			s.noteString(string(str))
		case c == '{' || c == '[':
			s.nested++
		case isInt:
			s.ints++
		default:
			s.floats++
		}
	})
	if blank {
		return
	}
	in.n++
	if err != nil {
		in.bad++
		if in.firstEr == nil {
			in.firstEr = fileErr(path, lineNo, err)
		}
	}
}

// schema derives the columns from the samples.
func (in *jsonInference) schema() (*arrow.Schema, error) {
	if len(in.stats) == 0 {
		switch {
		case in.n > in.bad:
			return nil, errors.New("inferring schema: the sampled JSON objects have no fields; declare the columns")
		case in.firstEr != nil:
			return nil, fmt.Errorf("inferring schema: no valid JSON object in the sample: %w", in.firstEr)
		}
		return nil, errors.New("inferring schema: no JSON objects found; declare the columns")
	}
	fields := make([]arrow.Field, len(in.stats))
	for i, s := range in.stats {
		fields[i] = newField(s.name, s.kind())
	}
	return arrow.NewSchema(fields, nil), nil
}

// inferLine validates one line and reports each top-level key with the
// first byte of its value (and the decoded text of strings). Keys are
// reported even if the line later turns out malformed; the caller only
// counts good lines but keeps first-seen order.
func inferLine(line []byte, scratch *[]byte, note func(key string, c byte, isInt bool, str []byte)) (bool, error) {
	i := skipWS(line, 0)
	if i == len(line) {
		return true, nil
	}
	if line[i] != '{' {
		return false, notObject(line, i)
	}
	type kv struct {
		key   string
		c     byte
		isInt bool
		str   []byte
	}
	var kvs []kv
	i = skipWS(line, i+1)
	if i < len(line) && line[i] == '}' {
		i++
	} else {
		for {
			if i >= len(line) || line[i] != '"' {
				return false, errAt(line, i, "looking for beginning of object key string")
			}
			end, _, err := scanString(line, i)
			if err != nil {
				return false, err
			}
			*scratch = unquote((*scratch)[:0], line[i+1:end-1])
			key := string(*scratch)
			i = skipWS(line, end)
			if i >= len(line) || line[i] != ':' {
				return false, errAt(line, i, "after object key")
			}
			i = skipWS(line, i+1)
			e := kv{key: key}
			if i < len(line) {
				e.c = line[i]
			}
			var vend int
			if e.c == '-' || (e.c >= '0' && e.c <= '9') {
				vend, e.isInt, err = scanNumber(line, i)
			} else {
				vend, err = skipValue(line, i, 0)
			}
			if err != nil {
				return false, err
			}
			if e.c == '"' {
				e.str = unquote(nil, line[i+1:vend-1])
			}
			kvs = append(kvs, e)
			i = skipWS(line, vend)
			if i < len(line) && line[i] == ',' {
				i = skipWS(line, i+1)
				continue
			}
			if i < len(line) && line[i] == '}' {
				i++
				break
			}
			return false, errAt(line, i, "after object key:value pair")
		}
	}
	if i = skipWS(line, i); i < len(line) {
		return false, errAt(line, i, "after top-level value")
	}
	for _, e := range kvs {
		note(e.key, e.c, e.isInt, e.str)
	}
	return false, nil
}

// notObject is the error for a line holding something other than an object.
func notObject(line []byte, i int) error {
	switch c := line[i]; {
	case c == '[' || c == '"' || c == '-' || (c >= '0' && c <= '9') || c == 't' || c == 'f' || c == 'n':
		return errors.New("line is not a JSON object")
	}
	return errAt(line, i, "looking for beginning of value")
}

// ---- scanning ----

// jsonDecoder decodes lines into the batch builder's record values.
type jsonDecoder struct {
	bb      *batchBuilder
	names   []string
	kinds   []types.Kind // table column kinds
	index   map[string]int
	fold    map[string]int // lower-cased names
	succ    []int          // column that followed column i-1 (i=0: first) last time, -1 unknown
	scratch []byte
	keybuf  []byte
}

func newJSONDecoder(t *Table, bb *batchBuilder) *jsonDecoder {
	d := &jsonDecoder{bb: bb, index: map[string]int{}, fold: map[string]int{}, succ: make([]int, t.schema.NumFields()+1)}
	for i := range d.succ {
		d.succ[i] = -1
	}
	for i, f := range t.schema.Fields() {
		d.names = append(d.names, f.Name)
		d.kinds = append(d.kinds, kindOf(f))
		d.index[f.Name] = i
		if _, dup := d.fold[strings.ToLower(f.Name)]; !dup {
			d.fold[strings.ToLower(f.Name)] = i
		}
	}
	return d
}

// maxUnknownKeys bounds the negative cache of keys not in the schema.
const maxUnknownKeys = 4096

// lookup maps a key to a table column, -1 for keys not in the schema. prev
// is the column of the previous key of the line (-1 at the start): JSONL
// producers write keys in a stable order, so the column that followed prev
// last time, or the next column of the schema, is usually right.
func (d *jsonDecoder) lookup(prev int, key []byte) int {
	if g := d.succ[prev+1]; g >= 0 && d.names[g] == string(key) {
		return g
	}
	if n := prev + 1; n < len(d.names) && d.names[n] == string(key) {
		d.succ[prev+1] = n
		return n
	}
	col, ok := d.index[string(key)]
	if !ok {
		col = -1
		if c, ok := d.fold[strings.ToLower(string(key))]; ok {
			col = c
		}
		if len(d.index) < len(d.names)+maxUnknownKeys {
			d.index[string(key)] = col
		}
	}
	if col >= 0 {
		d.succ[prev+1] = col
	}
	return col
}

// decode parses one line into the record values. blank is true for
// whitespace-only lines.
func (d *jsonDecoder) decode(line []byte) (blank bool, err error) {
	i := skipWS(line, 0)
	if i == len(line) {
		return true, nil
	}
	if line[i] != '{' {
		return false, notObject(line, i)
	}
	d.bb.reset()
	d.scratch = d.scratch[:0]
	i = skipWS(line, i+1)
	if i < len(line) && line[i] == '}' {
		i++
	} else {
		prev := -1
		for {
			if i >= len(line) || line[i] != '"' {
				return false, errAt(line, i, "looking for beginning of object key string")
			}
			end, flags, err := scanString(line, i)
			if err != nil {
				return false, err
			}
			key := line[i+1 : end-1]
			if flags&strEscaped != 0 {
				d.keybuf = unquote(d.keybuf[:0], key)
				key = d.keybuf
			}
			col := d.lookup(prev, key)
			if col >= 0 {
				prev = col
			}
			i = skipWS(line, end)
			if i >= len(line) || line[i] != ':' {
				return false, errAt(line, i, "after object key")
			}
			i = skipWS(line, i+1)
			switch {
			case col < 0:
				i, err = skipValue(line, i, 0)
			case d.bb.slotOf[col] >= 0:
				i, err = d.value(line, i, col, &d.bb.vals[d.bb.slotOf[col]])
			default:
				i, err = d.check(line, i, col)
			}
			if err != nil {
				return false, err
			}
			i = skipWS(line, i)
			if i < len(line) && line[i] == ',' {
				i = skipWS(line, i+1)
				continue
			}
			if i < len(line) && line[i] == '}' {
				i++
				break
			}
			return false, errAt(line, i, "after object key:value pair")
		}
	}
	if i = skipWS(line, i); i < len(line) {
		return false, errAt(line, i, "after top-level value")
	}
	return false, nil
}

// text returns the decoded content of a scanned string, unescaped and
// UTF-8-sanitised into scratch only when needed.
func (d *jsonDecoder) text(content []byte, flags int) []byte {
	if flags == 0 || (flags == strHigh && utf8.Valid(content)) {
		return content
	}
	start := len(d.scratch)
	d.scratch = unquote(d.scratch, content)
	return d.scratch[start:]
}

// raw returns JSON text as stored in a JSON or VARCHAR column.
func (d *jsonDecoder) raw(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	start := len(d.scratch)
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		d.scratch = utf8.AppendRune(d.scratch, r)
		b = b[size:]
	}
	return d.scratch[start:]
}

// value decodes the value at line[i] into v for table column col.
func (d *jsonDecoder) value(line []byte, i, col int, v *value) (int, error) {
	kind := d.kinds[col]
	if i >= len(line) {
		return i, errEOF
	}
	v.set = false // a repeated key: the last value wins
	switch c := line[i]; {
	case c == 'n':
		return scanLiteral(line, i, "null")
	case c == '"':
		end, flags, err := scanString(line, i)
		if err != nil {
			return end, err
		}
		v.set = true
		switch kind {
		case types.Varchar:
			v.b = d.text(line[i+1:end-1], flags)
		case types.JSON:
			v.b = d.raw(line[i:end])
		case types.Timestamp:
			if v.i, err = parseTimestamp(d.text(line[i+1:end-1], flags)); err != nil {
				return end, d.typeErr(col, line[i:end])
			}
		case types.Date:
			days, err := parseDate(d.text(line[i+1:end-1], flags))
			if err != nil {
				return end, d.typeErr(col, line[i:end])
			}
			v.i = int64(days)
		case types.Interval:
			if v.iv, err = types.ParseInterval(string(d.text(line[i+1:end-1], flags)), ""); err != nil {
				return end, d.typeErr(col, line[i:end])
			}
		default:
			return end, d.typeErr(col, line[i:end])
		}
		return end, nil
	case c == 't' || c == 'f':
		word := "true"
		if c == 'f' {
			word = "false"
		}
		end, err := scanLiteral(line, i, word)
		if err != nil {
			return end, err
		}
		v.set = true
		switch kind {
		case types.Boolean:
			v.i = b2i(c == 't')
		case types.Varchar, types.JSON:
			v.b = line[i:end]
		default:
			return end, d.typeErr(col, line[i:end])
		}
		return end, nil
	case c == '-' || (c >= '0' && c <= '9'):
		end, isInt, err := scanNumber(line, i)
		if err != nil {
			return end, err
		}
		num := line[i:end]
		v.set = true
		ok := true
		switch kind {
		case types.Bigint:
			v.i, ok = parseInt(num)
			ok = ok && isInt
		case types.Integer:
			v.i, ok = parseInt(num)
			ok = ok && isInt && v.i == int64(int32(v.i))
		case types.Double:
			v.f, ok = parseFloat(num, isInt)
		case types.Varchar, types.JSON:
			v.b = num
		default:
			ok = false
		}
		if !ok {
			return end, d.typeErr(col, num)
		}
		return end, nil
	case c == '{' || c == '[':
		end, err := skipValue(line, i, 0)
		if err != nil {
			return end, err
		}
		if kind != types.JSON && kind != types.Varchar {
			return end, d.typeErr(col, line[i:end])
		}
		v.set = true
		v.b = d.raw(line[i:end])
		return end, nil
	}
	return i, errAt(line, i, "looking for beginning of value")
}

// check validates the value of an unprojected column and that its JSON kind
// fits the column type (values themselves are only checked when projected).
func (d *jsonDecoder) check(line []byte, i, col int) (int, error) {
	if i >= len(line) {
		return i, errEOF
	}
	c := line[i]
	isNum := c == '-' || (c >= '0' && c <= '9')
	var (
		end   int
		isInt bool
		err   error
	)
	if isNum {
		end, isInt, err = scanNumber(line, i)
	} else {
		end, err = skipValue(line, i, 0)
	}
	if err != nil {
		return end, err
	}
	ok := true
	switch d.kinds[col] {
	case types.Boolean:
		ok = c == 't' || c == 'f' || c == 'n'
	case types.Bigint, types.Integer:
		ok = (isNum && isInt) || c == 'n'
	case types.Double:
		ok = isNum || c == 'n'
	case types.Timestamp, types.Date, types.Interval:
		ok = c == '"' || c == 'n'
	}
	if !ok {
		return end, d.typeErr(col, line[i:end])
	}
	return end, nil
}

// typeErr reports a JSON value that does not fit its column.
func (d *jsonDecoder) typeErr(col int, tok []byte) error {
	what := "value"
	switch c := tok[0]; {
	case c == '"':
		what = "string"
	case c == 't' || c == 'f':
		what = "boolean"
	case c == '{':
		what = "object"
	case c == '[':
		what = "array"
	default:
		what = "number"
	}
	s := string(tok)
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return fmt.Errorf("column %q: cannot read %s %s as %s", d.names[col], what, s, types.Type{Kind: d.kinds[col]})
}

// jsonlReader is the BatchReader of a JSONL scan.
type jsonlReader struct {
	readerState
	t       *Table
	files   []string
	nextF   int
	opened  int64
	src     lineSource
	bb      *batchBuilder
	dec     *jsonDecoder
	skipped int64
}

func newJSONLReader(t *Table, files []string, proj []int, out *arrow.Schema, mem memory.Allocator, limit int64) *jsonlReader {
	r := &jsonlReader{t: t, files: files, readerState: readerState{limit: limit}}
	r.bb = newBatchBuilder(mem, t.schema, out, proj)
	r.dec = newJSONDecoder(t, r.bb)
	return r
}

// Next returns the next batch of up to 8192 rows, or io.EOF.
func (r *jsonlReader) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if err := r.check(ctx); err != nil {
		return nil, err
	}
	want := r.want()
	for r.bb.n < want {
		if r.src.f == nil {
			if r.nextF >= len(r.files) {
				break
			}
			if err := r.src.open(r.files[r.nextF]); err != nil {
				return nil, r.fail(err)
			}
			r.nextF++
			r.opened++
		}
		line, err := r.src.next()
		if errors.Is(err, io.EOF) {
			r.src.close()
			continue
		}
		if err != nil {
			return nil, r.fail(err)
		}
		blank, err := r.dec.decode(line)
		if blank {
			continue
		}
		if err != nil {
			if r.t.skip {
				r.skipped++
				r.t.skipped.Add(1)
				continue
			}
			return nil, r.fail(fileErr(r.src.path, r.src.line, err))
		}
		r.bb.commit()
	}
	rec := r.bb.flush()
	if rec == nil {
		r.src.close()
		return nil, io.EOF
	}
	r.rows += rec.NumRows()
	return rec, nil
}

// Close releases the reader; it may be called more than once.
func (r *jsonlReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.src.close()
	r.bb.release()
	return nil
}

// Stats reports files read and malformed lines skipped.
func (r *jsonlReader) Stats() map[string]int64 {
	return map[string]int64{"files": r.opened, "skipped": r.skipped}
}
