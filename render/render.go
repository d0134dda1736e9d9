// Package render prints result batches for people and programs: aligned
// tables, CSV, a JSON array, or JSONL (one object per row, keys in column
// order, NULL as null, timestamps as `YYYY-MM-DD HH:MM:SS[.ffffff]`).
package render

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/operators/expr"
	"github.com/streamsql/streamsql/planner/types"
)

// Formats lists the accepted format names.
var Formats = []string{"table", "csv", "json", "jsonl"}

// Writer renders rows in one format. Call Header once, Batch any number
// of times (batches are borrowed), then Close.
type Writer interface {
	Header(names []string, schema *arrow.Schema) error
	Batch(b arrow.RecordBatch) error
	Close() error
}

// New returns a writer for format, or an error naming the valid ones.
func New(format string, w io.Writer) (Writer, error) {
	switch format {
	case "table":
		return &tableWriter{w: w}, nil
	case "csv":
		return &csvWriter{w: csv.NewWriter(w)}, nil
	case "json":
		return &jsonWriter{w: w, array: true}, nil
	case "jsonl":
		return &jsonWriter{w: w}, nil
	}
	return nil, fmt.Errorf("choosing output format %q: want one of %s", format, strings.Join(Formats, ", "))
}

func columnTypes(s *arrow.Schema) []types.Type {
	ts := make([]types.Type, s.NumFields())
	for i, f := range s.Fields() {
		ts[i], _ = types.FromField(f)
	}
	return ts
}

// Text renders one value as text (NULL as "NULL" in tables, "" in CSV).
func Text(v any, t types.Type) string { return types.FormatValue(v, t) }

type tableWriter struct {
	w     io.Writer
	names []string
	types []types.Type
	rows  [][]string
}

func (t *tableWriter) Header(names []string, s *arrow.Schema) error {
	t.names, t.types = names, columnTypes(s)
	return nil
}

func (t *tableWriter) Batch(b arrow.RecordBatch) error {
	for r := 0; r < int(b.NumRows()); r++ {
		row := make([]string, b.NumCols())
		for c := range row {
			row[c] = Text(expr.ScalarValue(b.Column(c), r), t.types[c])
		}
		t.rows = append(t.rows, row)
	}
	return nil
}

// Close prints the aligned table: numbers right-aligned, the rest left.
func (t *tableWriter) Close() error {
	width := make([]int, len(t.names))
	for i, n := range t.names {
		width[i] = utf8.RuneCountInString(n)
	}
	for _, row := range t.rows {
		for i, v := range row {
			width[i] = max(width[i], utf8.RuneCountInString(v))
		}
	}
	var buf bytes.Buffer
	line := func(cells []string, header bool) {
		for i, v := range cells {
			if i > 0 {
				buf.WriteString(" | ")
			}
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(v))
			if !header && t.types[i].IsNumeric() {
				buf.WriteString(pad + v)
			} else if i == len(cells)-1 {
				buf.WriteString(v)
			} else {
				buf.WriteString(v + pad)
			}
		}
		buf.WriteString("\n")
	}
	line(t.names, true)
	for i, w := range width {
		if i > 0 {
			buf.WriteString("-+-")
		}
		buf.WriteString(strings.Repeat("-", w))
	}
	buf.WriteString("\n")
	for _, row := range t.rows {
		line(row, false)
	}
	if len(t.rows) == 1 {
		buf.WriteString("(1 row)\n")
	} else {
		fmt.Fprintf(&buf, "(%d rows)\n", len(t.rows))
	}
	_, err := t.w.Write(buf.Bytes())
	return err
}

type csvWriter struct {
	w     *csv.Writer
	types []types.Type
}

func (c *csvWriter) Header(names []string, s *arrow.Schema) error {
	c.types = columnTypes(s)
	return c.w.Write(names)
}

func (c *csvWriter) Batch(b arrow.RecordBatch) error {
	row := make([]string, b.NumCols())
	for r := 0; r < int(b.NumRows()); r++ {
		for i := range row {
			v := expr.ScalarValue(b.Column(i), r)
			if v == nil {
				row[i] = ""
			} else {
				row[i] = Text(v, c.types[i])
			}
		}
		if err := c.w.Write(row); err != nil {
			return err
		}
	}
	return nil
}

func (c *csvWriter) Close() error { c.w.Flush(); return c.w.Error() }

type jsonWriter struct {
	w     io.Writer
	array bool
	names []string
	types []types.Type
	n     int
	buf   []byte
}

func (j *jsonWriter) Header(names []string, s *arrow.Schema) error {
	j.names, j.types = names, columnTypes(s)
	if j.array {
		_, err := io.WriteString(j.w, "[")
		return err
	}
	return nil
}

func (j *jsonWriter) Batch(b arrow.RecordBatch) error {
	for r := 0; r < int(b.NumRows()); r++ {
		j.buf = j.buf[:0]
		if j.array && j.n > 0 {
			j.buf = append(j.buf, ",\n"...)
		}
		j.buf = AppendJSONRow(j.buf, j.names, j.types, b, r)
		if !j.array {
			j.buf = append(j.buf, '\n')
		}
		if _, err := j.w.Write(j.buf); err != nil {
			return err
		}
		j.n++
	}
	return nil
}

func (j *jsonWriter) Close() error {
	if j.array {
		_, err := io.WriteString(j.w, "]\n")
		return err
	}
	return nil
}

// AppendJSONRow appends row r of b as a JSON object with keys in column
// order.
func AppendJSONRow(dst []byte, names []string, ts []types.Type, b arrow.RecordBatch, r int) []byte {
	dst = append(dst, '{')
	for c, name := range names {
		if c > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, name)
		dst = append(dst, ':')
		dst = AppendJSONValue(dst, expr.ScalarValue(b.Column(c), r), ts[c])
	}
	return append(dst, '}')
}

// AppendJSONValue appends v as JSON: numbers and booleans as such (NaN and
// infinities as strings), JSON-typed text embedded as JSON, temporal values
// and everything else as strings.
func AppendJSONValue(dst []byte, v any, t types.Type) []byte {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...)
	case bool:
		return strconv.AppendBool(dst, x)
	case int32:
		if t.Kind == types.Date {
			return appendJSONString(dst, types.FormatDate(x))
		}
		return strconv.AppendInt(dst, int64(x), 10)
	case int64:
		if t.Kind == types.Timestamp {
			return appendJSONString(dst, types.FormatTimestamp(x))
		}
		return strconv.AppendInt(dst, x, 10)
	case string:
		if t.Kind == types.JSON && json.Valid([]byte(x)) {
			return append(dst, x...)
		}
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return appendJSONString(dst, types.FormatDouble(x))
		}
		return strconv.AppendFloat(dst, x, 'g', -1, 64)
	}
	return appendJSONString(dst, types.FormatValue(v, t))
}

func appendJSONString(dst []byte, s string) []byte {
	b, _ := json.Marshal(s) // cannot fail for a string
	return append(dst, b...)
}
