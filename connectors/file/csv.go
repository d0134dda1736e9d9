package file

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/planner/types"
)

// csvSource reads the records of one CSV file after its header.
type csvSource struct {
	path   string
	f      *os.File
	cr     *csv.Reader
	header []string
}

func openCSV(path string) (*csvSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	cr := csv.NewReader(bufio.NewReaderSize(f, readBufferSize))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		f.Close()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("reading header of %s: file is empty", path)
		}
		return nil, fmt.Errorf("reading header of %s: %w", path, err)
	}
	return &csvSource{path: path, f: f, cr: cr, header: headerNames(header)}, nil
}

// headerNames cleans a header: BOM removed, blanks named column<N>,
// duplicates suffixed _2, _3, ….
func headerNames(h []string) []string {
	out := make([]string, len(h))
	seen := map[string]int{}
	for i, n := range h {
		n = strings.TrimSpace(n)
		if i == 0 {
			n = strings.TrimPrefix(n, "\ufeff")
		}
		if n == "" {
			n = "column" + strconv.Itoa(i+1)
		}
		if k := seen[n]; k > 0 {
			seen[n] = k + 1
			n = n + "_" + strconv.Itoa(k+1)
		}
		seen[n]++
		out[i] = n
	}
	return out
}

// read returns the next record with the line it starts on. A malformed
// record yields a non-nil error other than io.EOF; reading may continue.
func (s *csvSource) read() ([]string, int64, error) {
	rec, err := s.cr.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, int64(pe.StartLine), pe.Err
		}
		if errors.Is(err, io.EOF) {
			return nil, 0, io.EOF
		}
		return nil, 0, fmt.Errorf("reading %s: %w", s.path, err)
	}
	line, _ := s.cr.FieldPos(0)
	if len(rec) != len(s.header) {
		return nil, int64(line), fmt.Errorf("record has %d fields, header has %d", len(rec), len(s.header))
	}
	return rec, int64(line), nil
}

func (s *csvSource) close() {
	if s != nil && s.f != nil {
		s.f.Close()
		s.f = nil
	}
}

// isDecimal reports whether s is a plain decimal number (no NaN, Inf, hex
// or underscores) and whether it is an integer.
func isDecimal(s string) (num, isInt bool) {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	intDigits := i - start
	isInt = true
	if i < len(s) && s[i] == '.' {
		isInt = false
		i++
		f := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if intDigits == 0 && i == f {
			return false, false
		}
	} else if intDigits == 0 {
		return false, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		isInt = false
		i++
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		e := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == e {
			return false, false
		}
	}
	return i == len(s), isInt
}

// inferCSV derives a schema from the header and sampled records: BIGINT
// when every non-empty value is an integer, DOUBLE for numbers, BOOLEAN for
// true/false, DATE/TIMESTAMP for dates and timestamps, VARCHAR otherwise.
func inferCSV(files []string, sample int) (*arrow.Schema, error) {
	var (
		names []string
		stats []*fieldStats
		n     int
	)
	for fi, path := range files {
		if fi > 0 && n >= sample {
			break
		}
		src, err := openCSV(path)
		if err != nil {
			return nil, err
		}
		cols := make([]int, len(src.header))
		for i, h := range src.header {
			if cols[i] = lookupField(names, h); cols[i] < 0 {
				cols[i] = len(names)
				names = append(names, h)
				stats = append(stats, &fieldStats{name: h})
			}
		}
		for n < sample {
			rec, _, err := src.read()
			if errors.Is(err, io.EOF) {
				break
			}
			n++
			if err != nil {
				continue // the scan reports or skips it
			}
			for i, v := range rec {
				noteCSV(stats[cols[i]], v)
			}
		}
		src.close()
	}
	fields := make([]arrow.Field, len(stats))
	for i, s := range stats {
		fields[i] = newField(s.name, s.kind())
	}
	return arrow.NewSchema(fields, nil), nil
}

func noteCSV(s *fieldStats, v string) {
	if v == "" {
		return
	}
	if num, isInt := isDecimal(v); num {
		if _, err := strconv.ParseInt(v, 10, 64); isInt && err == nil {
			s.ints++
		} else {
			s.floats++
		}
		return
	}
	if strings.EqualFold(v, "true") || strings.EqualFold(v, "false") {
		s.bools++
		return
	}
	s.noteString(v)
}

// parseBool reads the usual spellings of a boolean.
func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "true", "t", "yes", "y", "1":
		return true, true
	case "false", "f", "no", "n", "0":
		return false, true
	}
	return false, false
}

// csvValue converts one field into v.
func csvValue(kind types.Kind, s string, v *value) bool {
	*v = value{}
	if s == "" {
		return true
	}
	v.set = true
	var err error
	switch kind {
	case types.Bigint:
		v.i, err = strconv.ParseInt(s, 10, 64)
	case types.Integer:
		v.i, err = strconv.ParseInt(s, 10, 32)
	case types.Double:
		v.f, err = strconv.ParseFloat(s, 64)
	case types.Boolean:
		b, ok := parseBool(s)
		if !ok {
			return false
		}
		if b {
			v.i = 1
		}
	case types.Timestamp:
		v.i, err = parseTimestamp(s)
	case types.Date:
		var d int32
		d, err = parseDate(s)
		v.i = int64(d)
	case types.Interval:
		v.iv, err = types.ParseInterval(s, "")
	default:
		v.str, v.isS = s, true
	}
	return err == nil
}

// csvReader is the BatchReader of a CSV scan.
type csvReader struct {
	readerState
	t       *Table
	files   []string
	nextF   int
	opened  int64
	src     *csvSource
	fieldOf []int // projected slot → record field, -1 if the file lacks it
	colOf   []int // projected slot → table column
	bb      *batchBuilder
	skipped int64
}

func newCSVReader(t *Table, files []string, proj []int, out *arrow.Schema, mem memory.Allocator, limit int64) *csvReader {
	r := &csvReader{t: t, files: files, readerState: readerState{limit: limit}}
	r.bb = newBatchBuilder(mem, t.schema, out, proj)
	r.colOf = make([]int, len(r.bb.cols))
	for c, s := range r.bb.slotOf {
		if s >= 0 {
			r.colOf[s] = c
		}
	}
	return r
}

func (r *csvReader) open(path string) error {
	src, err := openCSV(path)
	if err != nil {
		return err
	}
	r.src = src
	r.fieldOf = make([]int, len(r.colOf))
	for s, c := range r.colOf {
		r.fieldOf[s] = lookupField(src.header, r.t.schema.Field(c).Name)
	}
	return nil
}

// Next returns the next batch of up to 8192 rows, or io.EOF.
func (r *csvReader) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if err := r.check(ctx); err != nil {
		return nil, err
	}
	want := r.want()
	for r.bb.n < want {
		if r.src == nil {
			if r.nextF >= len(r.files) {
				break
			}
			if err := r.open(r.files[r.nextF]); err != nil {
				return nil, r.fail(err)
			}
			r.nextF++
			r.opened++
		}
		rec, line, err := r.src.read()
		if errors.Is(err, io.EOF) {
			r.src.close()
			r.src = nil
			continue
		}
		if err == nil {
			err = r.convert(rec)
		}
		if err != nil {
			if line == 0 { // an I/O error, not a bad record
				return nil, r.fail(err)
			}
			if r.t.skip {
				r.skipped++
				r.t.skipped.Add(1)
				continue
			}
			return nil, r.fail(fileErr(r.src.path, line, err))
		}
		r.bb.commit()
	}
	rec := r.bb.flush()
	if rec == nil {
		r.src.close()
		r.src = nil
		return nil, io.EOF
	}
	r.rows += rec.NumRows()
	return rec, nil
}

// convert decodes the projected fields of a record into the builder's
// values.
func (r *csvReader) convert(rec []string) error {
	for s, fi := range r.fieldOf {
		v := &r.bb.vals[s]
		if fi < 0 {
			*v = value{}
			continue
		}
		kind := r.bb.kindOf(s)
		if !csvValue(kind, rec[fi], v) {
			return fmt.Errorf("column %q: cannot read %q as %s", r.t.schema.Field(r.colOf[s]).Name, rec[fi], types.Type{Kind: kind})
		}
	}
	return nil
}

// Close releases the reader; it may be called more than once.
func (r *csvReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.src.close()
	r.src = nil
	r.bb.release()
	return nil
}

// Stats reports files read and malformed records skipped.
func (r *csvReader) Stats() map[string]int64 {
	return map[string]int64{"files": r.opened, "skipped": r.skipped}
}
