package file

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
)

var _ catalog.Streamable = (*Table)(nil)

// OpenStream implements catalog.Streamable for JSONL tables: one split per
// file of the table as listed now (sorted), each with its path as ID.
// Without Follow a split ends (io.EOF) at the end of its file; with
// Follow it waits for appended lines. Files that appear later are not
// read by this stream.
func (t *Table) OpenStream(ctx context.Context, req catalog.StreamRequest) ([]catalog.SplitReader, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("opening stream %s: %w", t.path, err)
	}
	if t.format != FormatJSONL {
		return nil, fmt.Errorf("opening stream %s: format %s cannot be streamed (only jsonl)", t.path, t.format)
	}
	out, req, err := streamRequest(t.schema, req)
	if err != nil {
		return nil, fmt.Errorf("opening stream %s: %w", t.path, err)
	}
	files, err := expand(t.path, t.format)
	if err != nil {
		return nil, err
	}
	splits := make([]catalog.SplitReader, len(files))
	for i, path := range files {
		s := newJSONLSplit(t, path, path, req, out)
		s.openSrc = openFile(path, t.follow)
		s.seek = seekFile
		s.lines.final = !t.follow
		splits[i] = s
	}
	return splits, nil
}

// streamRequest checks the request's columns and fills in the allocator.
func streamRequest(s *arrow.Schema, req catalog.StreamRequest) (*arrow.Schema, catalog.StreamRequest, error) {
	for _, c := range req.Columns {
		if c < 0 || c >= s.NumFields() {
			return nil, req, fmt.Errorf("column ordinal %d out of range (table has %d columns)", c, s.NumFields())
		}
	}
	if req.Alloc == nil {
		req.Alloc = memory.DefaultAllocator
	}
	return projectSchema(s, req.Columns), req, nil
}

// StdinTable is a JSONL stream over an io.Reader, normally os.Stdin: one
// split with ID "-" that ends at the reader's end. It can be read once,
// either as a stream or by one batch scan, and cannot resume from a
// checkpoint (Seek to anything but its current position fails).
type StdinTable struct {
	t      *Table
	mu     sync.Mutex
	src    io.Reader // the sampled bytes, then the rest of the reader
	opened bool
}

var (
	_ catalog.Streamable = (*StdinTable)(nil)
	_ catalog.Describer  = (*StdinTable)(nil)
)

// NewStdinTable makes a stream of the JSONL lines read from r. With a nil
// schema, the first opts.SampleRows lines (default 1000) are read now to
// infer one; they are kept and streamed first. Inference blocks until it
// has those lines or the input ends, so a slow producer should declare
// the schema (or sample fewer lines). Of opts, Schema, SampleRows and
// OnError apply.
func NewStdinTable(r io.Reader, schema *arrow.Schema, opts Options) (*StdinTable, error) {
	t := &Table{path: "-", format: FormatJSONL}
	switch opts.OnError {
	case "", "fail":
	case "skip":
		t.skip = true
	default:
		return nil, fmt.Errorf("opening stdin: on_error %q: want fail or skip", opts.OnError)
	}
	if schema == nil {
		schema = opts.Schema
	}
	st := &StdinTable{t: t, src: r}
	var err error
	if schema != nil {
		t.schema, err = nativeSchema(schema)
	} else {
		sample := opts.SampleRows
		if sample <= 0 {
			sample = defaultSampleRows
		}
		var head []byte
		t.schema, head, err = inferReader(r, sample)
		st.src = io.MultiReader(bytes.NewReader(head), r)
		if err == nil {
			t.schema = forceTypes(t.schema, opts.Types)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("opening stdin: %w", err)
	}
	return st, nil
}

// inferReader reads the first sample lines of r and infers their schema.
// It returns every byte it read, so nothing is lost.
func inferReader(r io.Reader, sample int) (*arrow.Schema, []byte, error) {
	var (
		inf  jsonInference
		head []byte
		used int // bytes of head already sampled
		line int64
		buf  = make([]byte, streamChunk)
	)
	for inf.n < sample {
		i := bytes.IndexByte(head[used:], '\n')
		if i >= 0 {
			line++
			inf.add(head[used:used+i], "stdin", line)
			used += i + 1
			continue
		}
		n, err := r.Read(buf)
		head = append(head, buf[:n]...)
		if errors.Is(err, io.EOF) {
			if used < len(head) {
				inf.add(head[used:], "stdin", line+1)
			}
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("reading stdin: %w", err)
		}
	}
	s, err := inf.schema()
	return s, head, err
}

// Schema implements catalog.Table.
func (st *StdinTable) Schema() *arrow.Schema { return st.t.schema }

// Describe implements catalog.Describer.
func (st *StdinTable) Describe() string { return "stdin jsonl" }

// Skipped returns how many malformed lines were skipped (on_error=skip).
func (st *StdinTable) Skipped() int64 { return st.t.Skipped() }

// take hands out the input once.
func (st *StdinTable) take() (io.Reader, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.opened {
		return nil, errors.New("stdin can be read only once")
	}
	st.opened = true
	return st.src, nil
}

// OpenStream implements catalog.Streamable: one split "-" that cannot
// resume. It may be called once.
func (st *StdinTable) OpenStream(ctx context.Context, req catalog.StreamRequest) ([]catalog.SplitReader, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("opening stream stdin: %w", err)
	}
	out, req, err := streamRequest(st.t.schema, req)
	if err != nil {
		return nil, fmt.Errorf("opening stream stdin: %w", err)
	}
	r, err := st.take()
	if err != nil {
		return nil, fmt.Errorf("opening stream stdin: %w", err)
	}
	return []catalog.SplitReader{st.split(r, req, out)}, nil
}

func (st *StdinTable) split(r io.Reader, req catalog.StreamRequest, out *arrow.Schema) *jsonlSplit {
	s := newJSONLSplit(st.t, "-", "stdin", req, out)
	s.openSrc = func() (byteSource, error) { return newPipeSource(r), nil }
	s.lines.final = true
	return s
}

// Scan implements catalog.Table by reading the whole input; like
// OpenStream it may be called once. Filters and Limit are left to the
// caller.
func (st *StdinTable) Scan(ctx context.Context, req catalog.ScanRequest) (catalog.BatchReader, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("scanning stdin: %w", err)
	}
	out, sreq, err := streamRequest(st.t.schema, catalog.StreamRequest{Columns: req.Columns, Alloc: req.Alloc})
	if err != nil {
		return nil, fmt.Errorf("scanning stdin: %w", err)
	}
	r, err := st.take()
	if err != nil {
		return nil, fmt.Errorf("scanning stdin: %w", err)
	}
	sreq.Linger = -1 // unused: the bounded source below never waits
	s := newJSONLSplit(st.t, "-", "stdin", sreq, out)
	s.openSrc = func() (byteSource, error) { return &readerSource{r: r}, nil }
	s.lines.final = true
	return &splitScan{s: s}, nil
}

// readerSource reads an io.Reader to its end, blocking as it must: a batch
// scan has no linger.
type readerSource struct{ r io.Reader }

func (s *readerSource) read(_ context.Context, p []byte, _ time.Time) (int, error) {
	for {
		n, err := s.r.Read(p)
		if n > 0 {
			return n, nil
		}
		if errors.Is(err, io.EOF) {
			return 0, io.EOF
		}
		if err != nil {
			return 0, fmt.Errorf("reading stdin: %w", err)
		}
	}
}

func (s *readerSource) close() {}

// splitScan is a BatchReader over a bounded split.
type splitScan struct{ s *jsonlSplit }

func (r *splitScan) Next(ctx context.Context) (arrow.RecordBatch, error) {
	for {
		rec, err := r.s.Read(ctx)
		if !errors.Is(err, catalog.ErrIdle) {
			return rec, err
		}
	}
}

func (r *splitScan) Close() error { return r.s.Close() }
