// Package file is the connector for local files: newline-delimited JSON,
// CSV with a header and Parquet. A table is one file, a directory of files
// of one format, or a glob pattern; the file list is re-read at every scan,
// so files added later are picked up (the schema is fixed when the table is
// opened).
//
// JSONL and CSV schemas are inferred from a sample of the first records
// unless a schema is declared; Parquet schemas come from the file. Every
// column is produced in streamsql's native Arrow form (see planner/types).
// JSON columns (nested JSON values) are Arrow strings holding the raw JSON
// text, marked with the field metadata streamsql.type=JSON.
//
// A JSONL line or CSV record is malformed when it is not valid JSON/CSV or
// a projected value does not fit its column type; values of unprojected
// JSONL columns are only checked for syntax and JSON kind (a string where a
// BIGINT belongs is caught, a bad timestamp string is not).
//
// Registered as connector "file": CREATE TABLE … WITH (connector='file',
// path='…', format='jsonl|csv|parquet', on_error='fail|skip',
// follow='true|false').
//
// JSONL tables are also streams (catalog.Streamable, one split per file);
// stdin is a stream through NewStdinTable. JSONL output goes through
// NewJSONLSink, and undecodable input through NewDeadLetterWriter.
package file

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

// Format names accepted in Options.Format.
const (
	FormatJSONL   = "jsonl"
	FormatCSV     = "csv"
	FormatParquet = "parquet"
)

// batchSize is the number of rows per batch produced by the JSONL and CSV
// readers (Parquet batches are at most this size).
const batchSize = 8192

// defaultSampleRows is the number of records read for schema inference.
const defaultSampleRows = 1000

// Options configure Open.
type Options struct {
	// Format is "jsonl" (aliases "ndjson", "json"), "csv" or "parquet";
	// empty means from the file extension (.jsonl .ndjson .json .csv
	// .parquet).
	Format string
	// OnError is "fail" (the default) or "skip": malformed JSONL lines and
	// CSV records are skipped and counted (Table.Skipped).
	OnError string
	// Schema, when set, overrides inference. Columns missing from a record
	// (or from a Parquet file) are NULL; columns are matched by name, exactly
	// and then case-insensitively.
	Schema *arrow.Schema
	// SampleRows is how many records are sampled for inference (default 1000).
	SampleRows int
	// Types forces the type of the named columns of an inferred schema, so
	// that a stray value in the sample does not change a column's type
	// (the event-time column is TIMESTAMP): a value that does not fit makes
	// its record malformed instead.
	Types map[string]arrow.DataType
	// Follow makes streams (OpenStream) treat the end of a file as the
	// end of the data so far: they wait for appended lines instead of
	// ending (JSONL only; batch scans still stop at the end).
	Follow bool
}

// Table is a file-backed catalog.Table. It is safe for concurrent scans.
type Table struct {
	path    string // as given: a file, a directory or a glob
	format  string
	skip    bool
	follow  bool
	schema  *arrow.Schema
	skipped atomic.Int64
}

var _ catalog.Table = (*Table)(nil)
var _ catalog.Describer = (*Table)(nil)

// Open resolves path (a file, a directory or a glob), determines the format
// and the schema (declared, read from Parquet metadata, or inferred from a
// sample of JSONL/CSV records) and returns the table.
func Open(path string, opts Options) (*Table, error) {
	t := &Table{path: path, follow: opts.Follow}
	switch strings.ToLower(opts.OnError) {
	case "", "fail":
	case "skip":
		t.skip = true
	default:
		return nil, fmt.Errorf("opening %s: on_error %q: want fail or skip", path, opts.OnError)
	}
	files, err := expand(path, opts.Format)
	if err != nil {
		return nil, err
	}
	if t.format, err = resolveFormat(opts.Format, path, files); err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("opening %s: no %s files match", path, t.format)
	}
	sample := opts.SampleRows
	if sample <= 0 {
		sample = defaultSampleRows
	}
	switch {
	case opts.Schema != nil:
		t.schema, err = nativeSchema(opts.Schema)
	case t.format == FormatJSONL:
		t.schema, err = inferJSONL(files, sample)
	case t.format == FormatCSV:
		t.schema, err = inferCSV(files, sample)
	default:
		t.schema, err = parquetSchema(files[0])
	}
	if err == nil && opts.Schema == nil {
		t.schema = forceTypes(t.schema, opts.Types)
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	return t, nil
}

// forceTypes replaces the types of the named fields of s.
func forceTypes(s *arrow.Schema, types map[string]arrow.DataType) *arrow.Schema {
	if len(types) == 0 {
		return s
	}
	fields := s.Fields()
	for i, f := range fields {
		if dt, ok := types[f.Name]; ok {
			fields[i] = arrow.Field{Name: f.Name, Type: dt, Nullable: true}
		}
	}
	return arrow.NewSchema(fields, nil)
}

// Schema returns the table schema in native Arrow forms; all fields are
// nullable.
func (t *Table) Schema() *arrow.Schema { return t.schema }

// Describe says where the table comes from, e.g. "file jsonl events.jsonl".
func (t *Table) Describe() string { return "file " + t.format + " " + t.path }

// Format returns the resolved format: "jsonl", "csv" or "parquet".
func (t *Table) Format() string { return t.format }

// Skipped returns how many malformed records were skipped so far, over all
// scans (only with OnError "skip").
func (t *Table) Skipped() int64 { return t.skipped.Load() }

// Scan starts reading the table. Columns are produced in request order (a
// column may be requested twice); nil Columns produce batches with rows but
// no columns. A positive Limit stops reading after that many rows when
// there are no Filters. Parquet scans use Filters to skip row groups.
func (t *Table) Scan(ctx context.Context, req catalog.ScanRequest) (catalog.BatchReader, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("scanning %s: %w", t.path, err)
	}
	for _, c := range req.Columns {
		if c < 0 || c >= t.schema.NumFields() {
			return nil, fmt.Errorf("scanning %s: column ordinal %d out of range (table has %d columns)", t.path, c, t.schema.NumFields())
		}
	}
	files, err := expand(t.path, t.format)
	if err != nil {
		return nil, err
	}
	mem := req.Alloc
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	limit := req.RowLimit()
	out := projectSchema(t.schema, req.Columns)
	if req.Partitions > 1 && t.format != FormatParquet {
		// Line formats split by file; Parquet splits by row group.
		var mine []string
		for i, f := range files {
			if i%req.Partitions == req.Partition {
				mine = append(mine, f)
			}
		}
		files = mine
	}
	switch t.format {
	case FormatJSONL:
		return newJSONLReader(t, files, req.Columns, out, mem, limit), nil
	case FormatCSV:
		return newCSVReader(t, files, req.Columns, out, mem, limit), nil
	default:
		return newParquetReader(ctx, t, files, req, out, mem, limit), nil
	}
}

// Partitions implements catalog.Partitioned: row groups for Parquet,
// files for the line formats.
func (t *Table) Partitions() int {
	files, err := expand(t.path, t.format)
	if err != nil || len(files) == 0 {
		return 1
	}
	if t.format == FormatParquet {
		return max(1, parquetRowGroups(files))
	}
	return len(files)
}

// projectSchema is the output schema of a scan of cols.
func projectSchema(s *arrow.Schema, cols []int) *arrow.Schema {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = s.Field(c)
	}
	return arrow.NewSchema(fields, nil)
}

// sqlTypeKey is the field metadata key that marks a string column as JSON
// rather than VARCHAR (both are Arrow strings). Inferred JSON columns carry
// it, and it is honoured on declared schemas.
const sqlTypeKey = "streamsql.type"

// newField builds a nullable column of kind k.
func newField(name string, k types.Kind) arrow.Field {
	f := arrow.Field{Name: name, Type: types.Type{Kind: k}.ArrowType(), Nullable: true}
	if k == types.JSON {
		f.Metadata = arrow.NewMetadata([]string{sqlTypeKey}, []string{"JSON"})
	}
	return f
}

// kindOf is the SQL type of a (native) table column.
func kindOf(f arrow.Field) types.Kind {
	t, err := types.FromArrow(f.Type)
	if err != nil {
		return types.Varchar
	}
	if t.Kind == types.Varchar {
		if v, ok := f.Metadata.GetValue(sqlTypeKey); ok && strings.EqualFold(v, "JSON") {
			return types.JSON
		}
	}
	return t.Kind
}

// nativeSchema converts a declared schema to native Arrow forms, all
// nullable.
func nativeSchema(s *arrow.Schema) (*arrow.Schema, error) {
	fields := make([]arrow.Field, s.NumFields())
	for i, f := range s.Fields() {
		dt, err := nativeType(f.Type)
		if err != nil {
			return nil, fmt.Errorf("declaring column %q: %w", f.Name, err)
		}
		fields[i] = nativeField(f.Name, dt, f.Metadata)
	}
	return arrow.NewSchema(fields, nil), nil
}

// nativeField builds a nullable column of native type dt, keeping only the
// JSON marker of the metadata.
func nativeField(name string, dt arrow.DataType, md arrow.Metadata) arrow.Field {
	f := arrow.Field{Name: name, Type: dt, Nullable: true}
	if v, ok := md.GetValue(sqlTypeKey); ok && strings.EqualFold(v, "JSON") && dt.ID() == arrow.STRING {
		f.Metadata = arrow.NewMetadata([]string{sqlTypeKey}, []string{"JSON"})
	}
	return f
}

// nativeType maps an Arrow type to the native form of its SQL type. Beyond
// types.FromArrow, decimals read as DOUBLE, dictionaries as their values and
// the null type as VARCHAR.
func nativeType(dt arrow.DataType) (arrow.DataType, error) {
	switch d := dt.(type) {
	case arrow.DecimalType:
		return arrow.PrimitiveTypes.Float64, nil
	case *arrow.DictionaryType:
		return nativeType(d.ValueType)
	case *arrow.NullType:
		return arrow.BinaryTypes.String, nil
	}
	t, err := types.FromArrow(dt)
	if err != nil {
		return nil, err
	}
	return t.ArrowType(), nil
}

// normFormat canonicalises a format name; "" stays "".
func normFormat(f string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(f)) {
	case "":
		return "", nil
	case "jsonl", "ndjson", "json":
		return FormatJSONL, nil
	case "csv":
		return FormatCSV, nil
	case "parquet":
		return FormatParquet, nil
	}
	return "", fmt.Errorf("unknown format %q (want jsonl, csv or parquet)", f)
}

// formatOfExt maps a file name to its format by extension, "" if unknown.
func formatOfExt(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".jsonl", ".ndjson", ".json":
		return FormatJSONL
	case ".csv":
		return FormatCSV
	case ".parquet", ".pq":
		return FormatParquet
	}
	return ""
}

// resolveFormat picks the format from the option, the path's extension or
// the first file's extension.
func resolveFormat(opt, path string, files []string) (string, error) {
	f, err := normFormat(opt)
	if err != nil || f != "" {
		return f, err
	}
	if f = formatOfExt(path); f != "" {
		return f, nil
	}
	for _, name := range files {
		if f = formatOfExt(name); f != "" {
			return f, nil
		}
	}
	return "", fmt.Errorf("cannot tell the format from the file name; set format (jsonl, csv or parquet)")
}

// expand lists the files a table path stands for, sorted: the file itself,
// the files of a directory (hidden and _-prefixed names excluded; when the
// format is known, only files with its extensions) or the matches of a glob.
func expand(path, format string) ([]string, error) {
	format, _ = normFormat(format)
	if strings.ContainsAny(path, "*?[") {
		matches, err := filepath.Glob(path)
		if err != nil {
			return nil, fmt.Errorf("expanding %s: %w", path, err)
		}
		var files []string
		for _, m := range matches {
			if st, err := os.Stat(m); err == nil && st.Mode().IsRegular() {
				files = append(files, m)
			}
		}
		sort.Strings(files)
		return files, nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	if !st.IsDir() {
		// Devices and pipes are refused: a table reads its files several
		// times (inference, each scan), and /dev/zero would never end.
		if !st.Mode().IsRegular() {
			return nil, fmt.Errorf("opening %s: not a regular file or directory", path)
		}
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", path, err)
	}
	var files []string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
			continue
		}
		f := formatOfExt(name)
		if f == "" || (format != "" && f != format) {
			continue
		}
		if format == "" {
			format = f // the first recognised file decides
		}
		files = append(files, filepath.Join(path, name))
	}
	return files, nil
}

// lookupField finds a column by name, exactly and then case-insensitively;
// -1 if absent.
func lookupField(names []string, name string) int {
	for i, n := range names {
		if n == name {
			return i
		}
	}
	for i, n := range names {
		if strings.EqualFold(n, name) {
			return i
		}
	}
	return -1
}

// fileErr prefixes a record error with its position, "path:line: ".
func fileErr(path string, line int64, err error) error {
	return fmt.Errorf("reading %s:%d: %w", path, line, err)
}

// errClosed is returned by Next after Close.
var errClosed = errors.New("reader closed")

func init() {
	catalog.RegisterConnector("file", factory)
}

// factory builds a table from CREATE TABLE options: path (required), format,
// on_error, sample_rows, follow and type (source, the default, or sink: a
// JSONL file that streaming INSERTs write). Other keys are ignored.
func factory(options map[string]string, schema *arrow.Schema) (catalog.Table, error) {
	path := options["path"]
	if path == "" {
		return nil, errors.New("creating file table: option path is required")
	}
	opts := Options{Format: options["format"], OnError: options["on_error"], Schema: schema}
	if s := options["sample_rows"]; s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("creating file table: sample_rows %q: want a positive integer", s)
		}
		opts.SampleRows = n
	}
	if f := options["follow"]; f != "" {
		b, err := strconv.ParseBool(f)
		if err != nil {
			return nil, fmt.Errorf("creating file table: follow %q: want true or false", f)
		}
		opts.Follow = b
	}
	if schema != nil && schema.NumFields() == 0 {
		opts.Schema = nil
	}
	switch strings.ToLower(options["type"]) {
	case "", "source":
	case "sink":
		if f := strings.ToLower(opts.Format); f != "" && f != FormatJSONL && f != "ndjson" && f != "json" {
			return nil, fmt.Errorf("creating file sink: format %q: sinks write jsonl", opts.Format)
		}
		return NewSinkTable(path, opts.Schema)
	default:
		return nil, fmt.Errorf("creating file table: type %q: want source or sink", options["type"])
	}
	t, err := Open(path, opts)
	if err != nil {
		return nil, err
	}
	return t, nil
}

// readerState holds what every reader shares: sticky errors, closing and
// the limit hint.
type readerState struct {
	err    error
	closed bool
	limit  int64 // rows still wanted, -1 for all
	rows   int64 // rows produced
}

// check reports the sticky error, a closed reader or a cancelled context.
func (s *readerState) check(ctx context.Context) error {
	if s.closed {
		return errClosed
	}
	if s.err != nil {
		return s.err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return nil
}

// want is how many rows the next batch may hold.
func (s *readerState) want() int {
	if s.limit >= 0 && s.limit-s.rows < batchSize {
		return int(s.limit - s.rows)
	}
	return batchSize
}

// fail records a sticky error; io.EOF stays io.EOF.
func (s *readerState) fail(err error) error {
	s.err = err
	return err
}
