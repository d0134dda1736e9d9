//go:build !js && !wasip1

package file

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/apache/arrow-go/v18/parquet/schema"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

// parquetSchema reads a file's schema and maps it to native types.
func parquetSchema(path string) (*arrow.Schema, error) {
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		return nil, fmt.Errorf("reading metadata of %s: %w", path, err)
	}
	s, err := fr.Schema()
	if err != nil {
		return nil, fmt.Errorf("reading schema of %s: %w", path, err)
	}
	fields := make([]arrow.Field, s.NumFields())
	for i, f := range s.Fields() {
		if rendered, isJSON := renderedAs(f.Type); rendered {
			fields[i] = renderedField(f.Name, isJSON)
			continue
		}
		dt, err := nativeType(f.Type)
		if err != nil {
			return nil, fmt.Errorf("reading column %q of %s: %w", f.Name, path, err)
		}
		fields[i] = nativeField(f.Name, dt, f.Metadata)
	}
	return arrow.NewSchema(fields, nil), nil
}

// parquetReader is the BatchReader of a Parquet scan: files in turn, row
// groups pruned with column statistics, only the projected columns read.
type parquetReader struct {
	readerState
	ctx     context.Context
	t       *Table
	files   []string
	nextF   int
	proj    []int
	out     *arrow.Schema
	mem     memory.Allocator
	filters []catalog.Predicate
	// consts[f] maps table columns to the value every row of file f holds
	// (nil or short: none); those columns are filled in, not read.
	consts []map[int]any
	// fieldIDs[f] are the Iceberg field ids of the table columns for file
	// f (nil or short: match columns by name).
	fieldIDs [][]int

	// the open file
	fileConsts map[int]any              // of the open file
	constArr   map[constKey]arrow.Array // cached constant columns, across files
	pf         *file.Reader
	rr         pqarrow.RecordReader
	srcOf      []int   // output position → record column, -1 for NULL
	pending    []int64 // rows left per kept row group, when no column is read

	opened, rowGroups, pruned int64
	part, parts               int   // this reader's share of the row groups
	seen                      int64 // row groups met so far, across files
}

func newParquetReader(ctx context.Context, t *Table, files []string, req catalog.ScanRequest, out *arrow.Schema, mem memory.Allocator, limit int64) *parquetReader {
	return &parquetReader{
		readerState: readerState{limit: limit},
		ctx:         ctx, t: t, files: files, proj: req.Columns, out: out, mem: mem, filters: req.Filters,
		part: req.Partition, parts: req.Partitions,
	}
}

// open opens the next file, prunes its row groups and starts reading the
// survivors. With nothing left to read it leaves no file open.
func (r *parquetReader) open(path string) error {
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return fmt.Errorf("opening %s: %w", path, err)
	}
	props := pqarrow.ArrowReadProperties{BatchSize: int64(r.want())}
	// Strings are read as dictionaries and expanded in bulk (expandDict):
	// much cheaper than decoding dictionary pages value by value.
	for i, sc := 0, pf.MetaData().Schema; i < sc.NumColumns(); i++ {
		if sc.Column(i).PhysicalType() == parquet.Types.ByteArray && isText(sc.Column(i).LogicalType()) {
			props.SetReadDict(i, true)
		}
	}
	fr, err := pqarrow.NewFileReader(pf, props, r.mem)
	if err != nil {
		pf.Close()
		return fmt.Errorf("reading metadata of %s: %w", path, err)
	}
	fs, err := fr.Schema()
	if err != nil {
		pf.Close()
		return fmt.Errorf("reading schema of %s: %w", path, err)
	}
	r.opened++
	names := make([]string, fs.NumFields())
	for i, f := range fs.Fields() {
		names[i] = f.Name
	}
	var wantIDs []int
	if f := r.nextF - 1; f < len(r.fieldIDs) {
		wantIDs = r.fieldIDs[f]
	}
	byID := fieldsByID(fs)
	// table column → parquet leaf column, -1 when the file lacks it
	leafOf := make([]int, r.t.schema.NumFields())
	fieldOf := make([]int, len(leafOf)) // table column → file field
	sameKind := make([]bool, len(leafOf))
	for c, f := range r.t.schema.Fields() {
		leafOf[c], fieldOf[c] = -1, -1
		fi := -1
		switch {
		case wantIDs != nil && byID != nil:
			if i, ok := byID[wantIDs[c]]; ok && wantIDs[c] > 0 {
				fi = i
			}
		default:
			fi = lookupField(names, f.Name)
		}
		if fi < 0 {
			continue
		}
		fieldOf[c] = fi
		sf := &fr.Manifest.Fields[fi]
		if !sf.IsLeaf() {
			leafOf[c] = -2 // nested: read whole, as JSON; not prunable
			continue
		}
		leafOf[c] = sf.ColIndex
		nt, err := nativeType(fs.Field(fi).Type)
		rendered, _ := renderedAs(fs.Field(fi).Type)
		sameKind[c] = err == nil && !rendered && arrow.TypeEqual(nt, f.Type)
	}

	r.srcOf = make([]int, len(r.proj))
	r.fileConsts = nil
	if f := r.nextF - 1; f < len(r.consts) {
		r.fileConsts = r.consts[f]
	}
	// The record reader returns one column per file field, in the order
	// their first leaves are asked for; a nested field needs all its leaves.
	var leaves []int
	pos := map[int]int{} // file field → record column
	for i, c := range r.proj {
		r.srcOf[i] = -1
		if _, ok := r.fileConsts[c]; ok {
			r.srcOf[i] = srcConst
			continue
		}
		fi := fieldOf[c]
		if fi < 0 {
			continue // not in this file: NULL
		}
		p, ok := pos[fi]
		if !ok {
			p = len(pos)
			pos[fi] = p
			leaves = appendLeaves(leaves, &fr.Manifest.Fields[fi])
		}
		r.srcOf[i] = p
	}

	md := pf.MetaData()
	var keep []int
	for rg := 0; rg < md.NumRowGroups(); rg++ {
		r.seen++
		if r.parts > 1 && int((r.seen-1)%int64(r.parts)) != r.part {
			continue // another partition's row group
		}
		r.rowGroups++
		if keepRowGroup(md.RowGroup(rg), r.filters, leafOf, sameKind) {
			keep = append(keep, rg)
		} else {
			r.pruned++
		}
	}
	if len(keep) == 0 {
		pf.Close()
		return nil
	}
	if len(leaves) == 0 {
		r.pf = pf
		for _, rg := range keep {
			if n := md.RowGroup(rg).NumRows(); n > 0 {
				r.pending = append(r.pending, n)
			}
		}
		return nil
	}
	rr, err := fr.GetRecordReader(r.ctx, leaves, keep)
	if err != nil {
		pf.Close()
		return fmt.Errorf("reading %s: %w", path, err)
	}
	r.pf, r.rr = pf, rr
	return nil
}

func (r *parquetReader) closeFile() {
	if r.rr != nil {
		r.rr.Release()
		r.rr = nil
	}
	if r.pf != nil {
		r.pf.Close()
		r.pf = nil
	}
	r.pending = nil
}

// Next returns the next batch, or io.EOF.
func (r *parquetReader) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if err := r.check(ctx); err != nil {
		return nil, err
	}
	want := r.want()
	for want > 0 {
		if r.pf == nil {
			if r.nextF >= len(r.files) {
				break
			}
			path := r.files[r.nextF]
			r.nextF++
			if err := r.open(path); err != nil {
				return nil, r.fail(err)
			}
			continue
		}
		if r.rr == nil { // no column to read: rows from metadata
			if len(r.pending) == 0 {
				r.closeFile()
				continue
			}
			n := min(int64(want), r.pending[0])
			r.pending[0] -= n
			if r.pending[0] == 0 {
				r.pending = r.pending[1:]
			}
			return r.emit(nil, n)
		}
		if !r.rr.Next() {
			if err := r.rr.Err(); err != nil {
				return nil, r.fail(fmt.Errorf("reading %s: %w", r.files[r.nextF-1], err))
			}
			r.closeFile()
			continue
		}
		rec := r.rr.RecordBatch()
		if rec.NumRows() == 0 {
			continue
		}
		return r.emit(rec, min(int64(want), rec.NumRows()))
	}
	r.closeFile()
	return nil, io.EOF
}

// emit builds the output batch of n rows from rec (nil when no column is
// read), converting columns to the table types.
func (r *parquetReader) emit(rec arrow.RecordBatch, n int64) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, 0, len(r.srcOf))
	release := func() {
		for _, c := range cols {
			c.Release()
		}
	}
	for i, src := range r.srcOf {
		to := r.out.Field(i).Type
		if src == srcConst {
			c, err := r.constColumn(i, n)
			if err != nil {
				release()
				return nil, r.fail(fmt.Errorf("filling column %q of %s: %w", r.out.Field(i).Name, r.files[r.nextF-1], err))
			}
			cols = append(cols, c)
			continue
		}
		if src < 0 {
			cols = append(cols, array.MakeArrayOfNull(r.mem, to, int(n)))
			continue
		}
		in := rec.Column(src)
		if int64(in.Len()) > n {
			in = array.NewSlice(in, 0, n)
		} else {
			in.Retain()
		}
		conv, err := convertArray(r.mem, in, to)
		in.Release()
		if err != nil {
			release()
			return nil, r.fail(fmt.Errorf("reading column %q of %s: %w", r.out.Field(i).Name, r.files[r.nextF-1], err))
		}
		cols = append(cols, conv)
	}
	out := array.NewRecordBatch(r.out, cols, n)
	release()
	r.rows += n
	return out, nil
}

// Close releases the reader; it may be called more than once.
func (r *parquetReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.closeFile()
	for k, a := range r.constArr {
		a.Release()
		delete(r.constArr, k)
	}
	return nil
}

// Stats reports row groups seen and pruned (and files opened).
func (r *parquetReader) Stats() map[string]int64 {
	return map[string]int64{"files": r.opened, "row_groups": r.rowGroups, "row_groups_pruned": r.pruned}
}

// convertArray returns arr in type to (retained as is when it already is).
func convertArray(mem memory.Allocator, arr arrow.Array, to arrow.DataType) (arrow.Array, error) {
	from := arr.DataType()
	if arrow.TypeEqual(from, to) {
		arr.Retain()
		return arr, nil
	}
	if rendered, _ := renderedAs(from); rendered && to.ID() == arrow.STRING {
		return renderArray(mem, arr)
	}
	switch {
	case from.ID() == arrow.NULL:
		return array.MakeArrayOfNull(mem, to, arr.Len()), nil
	case from.ID() == arrow.TIMESTAMP && to.ID() == arrow.TIMESTAMP:
		return convertTimestamp(mem, arr, from.(*arrow.TimestampType).Unit, to), nil
	case to.ID() == arrow.STRING && from.ID() != arrow.LARGE_STRING && from.ID() != arrow.STRING_VIEW && from.ID() != arrow.DICTIONARY:
		// other values as their SQL text (declared VARCHAR over, say,
		// numbers); also sidesteps compute's number-to-string casts.
		nt, err := nativeType(from)
		if err != nil {
			return nil, fmt.Errorf("converting %s to %s: %w", from, to, err)
		}
		native, err := convertArray(mem, arr, nt)
		if err != nil {
			return nil, err
		}
		defer native.Release()
		return formatArray(mem, native), nil
	}
	if d, ok := arr.(*array.Dictionary); ok && to.ID() == arrow.STRING {
		if out, ok := expandDict(mem, d); ok {
			return out, nil
		}
	}
	ctx := compute.WithAllocator(context.Background(), mem)
	out, err := compute.CastArray(ctx, arr, compute.SafeCastOptions(to))
	if err != nil {
		return nil, fmt.Errorf("converting %s to %s: %w", from, to, err)
	}
	return out, nil
}

// formatArray renders a native array as text, the way values print.
func formatArray(mem memory.Allocator, arr arrow.Array) arrow.Array {
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.Reserve(arr.Len())
	for i := 0; i < arr.Len(); i++ {
		if arr.IsNull(i) {
			b.AppendNull()
			continue
		}
		switch a := arr.(type) {
		case *array.Int64:
			b.Append(strconv.FormatInt(a.Value(i), 10))
		case *array.Int32:
			b.Append(strconv.FormatInt(int64(a.Value(i)), 10))
		case *array.Float64:
			b.Append(types.FormatDouble(a.Value(i)))
		case *array.Boolean:
			b.Append(strconv.FormatBool(a.Value(i)))
		case *array.Timestamp:
			b.Append(types.FormatTimestamp(int64(a.Value(i))))
		case *array.Date32:
			b.Append(types.FormatDate(int32(a.Value(i))))
		case *array.MonthDayNanoInterval:
			v := a.Value(i)
			b.Append(types.FormatInterval(types.IntervalValue{Months: v.Months, Days: v.Days, Micros: v.Nanoseconds / 1000}))
		default:
			b.Append(arr.ValueStr(i))
		}
	}
	return b.NewArray()
}

// convertTimestamp rescales timestamps to µs (rounding nanoseconds down, as
// time.Time.UnixMicro does); time zones only label UTC instants, so they
// are replaced without changing values.
func convertTimestamp(mem memory.Allocator, arr arrow.Array, unit arrow.TimeUnit, to arrow.DataType) arrow.Array {
	data := arr.Data()
	if unit == types.TimestampUnit {
		nd := array.NewData(to, data.Len(), data.Buffers(), nil, data.NullN(), data.Offset())
		defer nd.Release()
		return array.MakeFromData(nd)
	}
	src := arr.(*array.Timestamp).TimestampValues()
	n := len(src)
	vals := memory.NewResizableBuffer(mem)
	vals.Resize(n * 8)
	dst := arrow.Int64Traits.CastFromBytes(vals.Bytes())
	for i, v := range src {
		switch unit {
		case arrow.Second:
			dst[i] = int64(v) * 1e6
		case arrow.Millisecond:
			dst[i] = int64(v) * 1e3
		default: // nanoseconds
			q := int64(v) / 1e3
			if int64(v)%1e3 < 0 {
				q--
			}
			dst[i] = q
		}
	}
	var valid *memory.Buffer
	if data.NullN() > 0 && data.Buffers()[0] != nil {
		valid = memory.NewResizableBuffer(mem)
		valid.Resize(int(bitutil.BytesForBits(int64(n))))
		bitutil.CopyBitmap(data.Buffers()[0].Bytes(), data.Offset(), n, valid.Bytes(), 0)
	}
	nd := array.NewData(to, n, []*memory.Buffer{valid, vals}, nil, data.NullN(), 0)
	vals.Release()
	if valid != nil {
		valid.Release()
	}
	defer nd.Release()
	return array.MakeFromData(nd)
}

// parquetRowGroups counts the row groups of files, for partitioning.
func parquetRowGroups(files []string) int {
	n := 0
	for _, path := range files {
		pf, err := file.OpenParquetFile(path, false)
		if err != nil {
			continue // the scan reports it
		}
		n += pf.NumRowGroups()
		pf.Close()
	}
	return n
}

// fieldsByID maps the Parquet field ids of a file's top-level columns to
// their positions; nil when the file carries none (pqarrow puts a node's
// id in the field's metadata, -1 when it has none).
func fieldsByID(fs *arrow.Schema) map[int]int {
	var out map[int]int
	for i, f := range fs.Fields() {
		v, ok := f.Metadata.GetValue("PARQUET:field_id")
		if !ok {
			continue
		}
		id, err := strconv.Atoi(v)
		if err != nil || id < 0 {
			continue
		}
		if out == nil {
			out = map[int]int{}
		}
		out[id] = i
	}
	return out
}

// appendLeaves appends the Parquet leaf columns under f.
func appendLeaves(dst []int, f *pqarrow.SchemaField) []int {
	if f.IsLeaf() {
		return append(dst, f.ColIndex)
	}
	for i := range f.Children {
		dst = appendLeaves(dst, &f.Children[i])
	}
	return dst
}

// isText reports whether a BYTE_ARRAY column holds text (read as a
// dictionary and expanded), not bytes (rendered as base64).
func isText(lt schema.LogicalType) bool {
	switch lt.(type) {
	case schema.StringLogicalType, schema.JSONLogicalType, schema.EnumLogicalType:
		return true
	}
	return false
}

// renderedField is the table column of a file field read as rendered
// text: VARCHAR, or JSON for nested values.
func renderedField(name string, isJSON bool) arrow.Field {
	if isJSON {
		return types.Field(name, types.JSONType, true)
	}
	return types.Field(name, types.VarcharType, true)
}
