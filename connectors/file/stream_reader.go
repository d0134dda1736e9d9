package file

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql/catalog"
)

// defaultLinger is how long a split waits for more lines when the request
// does not say.
const defaultLinger = 100 * time.Millisecond

// jsonlSplit reads one JSONL file (or stdin) as a stream split.
type jsonlSplit struct {
	id      string
	name    string // in messages: the path, or "stdin"
	t       *Table
	req     catalog.StreamRequest
	rows    int           // most rows per batch
	linger  time.Duration // negative: never wait
	openSrc func() (byteSource, error)
	seek    func(src byteSource, off int64) error // nil: cannot resume (stdin)
	lines   lineBuffer
	bb      *batchBuilder
	dec     *jsonDecoder
	pos     streamPos // just after the last batch returned
	err     error     // sticky
	closed  bool
	skipped int64
}

var _ catalog.SplitReader = (*jsonlSplit)(nil)

// streamPos is a split position: the byte offset of the first unread line
// and the number of lines before it (for messages after a resume).
type streamPos struct {
	Offset int64 `json:"offset"`
	Line   int64 `json:"line"`
}

func newJSONLSplit(t *Table, id, name string, req catalog.StreamRequest, out *arrow.Schema) *jsonlSplit {
	s := &jsonlSplit{id: id, name: name, t: t, req: req, rows: req.BatchRows, linger: req.Linger}
	if s.rows <= 0 {
		s.rows = batchSize
	}
	if s.linger == 0 {
		s.linger = defaultLinger
	}
	s.bb = newBatchBuilder(req.Alloc, t.schema, out, req.Columns)
	s.bb.chunk = min(s.rows, batchSize)
	s.dec = newJSONDecoder(t, s.bb)
	s.lines.name = name
	return s
}

// ID implements catalog.SplitReader: the file path, or "-" for stdin.
func (s *jsonlSplit) ID() string { return s.id }

// Read returns the next batch of at most BatchRows rows. At the end of a
// file (without follow) or of stdin it returns io.EOF. When lines trickle
// in (follow, stdin) it returns what it has after Linger, or
// catalog.ErrIdle when it has nothing. Malformed lines go to the
// request's DeadLetter; without one they fail Read (or are skipped and
// counted with the table's on_error=skip). A failure comes after the rows
// before it: Read returns them first, the error on the next call (and
// every call after that); Position stays before the failing line.
func (s *jsonlSplit) Read(ctx context.Context) (arrow.RecordBatch, error) {
	if s.closed {
		return nil, fmt.Errorf("reading %s: %w", s.name, errClosed)
	}
	if s.err != nil {
		return nil, s.err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.lines.src == nil {
		if err := s.open(0, 0); err != nil {
			return nil, s.fail(err)
		}
	}
	var deadline time.Time
	if s.linger > 0 {
		deadline = time.Now().Add(s.linger)
	}
	ended := false
	end := streamPos{} // where the rows of this batch end
	for s.bb.n < s.rows {
		end = streamPos{Offset: s.lines.off, Line: s.lines.line}
		line, err := s.lines.next(ctx, deadline)
		if errors.Is(err, io.EOF) {
			ended = true
			break
		}
		if errors.Is(err, errNoData) {
			break
		}
		if err != nil && ctx.Err() != nil {
			// Not sticky: the rows decoded so far stay in the builder
			// and the next Read goes on from here.
			return nil, err
		}
		if err == nil {
			err = s.decode(line)
		}
		if err != nil {
			// The rows before the failure are still returned; the error
			// comes with the next Read.
			s.err = err
			break
		}
		end = streamPos{Offset: s.lines.off, Line: s.lines.line}
	}
	s.pos = end
	if rec := s.bb.flush(); rec != nil {
		return rec, nil
	}
	switch {
	case s.err != nil:
		return nil, s.err
	case ended:
		return nil, io.EOF
	}
	return nil, catalog.ErrIdle
}

// decode appends one line to the batch, or routes it as malformed.
func (s *jsonlSplit) decode(line []byte) error {
	blank, err := s.dec.decode(line)
	if blank {
		return nil
	}
	if err == nil {
		s.bb.commit()
		return nil
	}
	reason := fmt.Sprintf("%s:%d: %v", s.name, s.lines.line, err)
	switch {
	case s.req.DeadLetter != nil:
		// The line buffer is reused: the dead letter gets its own copy.
		if err := s.req.DeadLetter(append([]byte(nil), line...), reason); err != nil {
			return fmt.Errorf("dead-lettering %s:%d: %w", s.name, s.lines.line, err)
		}
	case s.t.skip:
		s.skipped++
		s.t.skipped.Add(1)
	default:
		return fileErr(s.name, s.lines.line, err)
	}
	return nil
}

func (s *jsonlSplit) fail(err error) error {
	s.err = err
	return err
}

// open starts reading at byte offset off, line number line.
func (s *jsonlSplit) open(off, line int64) error {
	src, err := s.openSrc()
	if err != nil {
		return err
	}
	if off > 0 {
		if err := s.seek(src, off); err != nil {
			src.close()
			return err
		}
	}
	s.lines.src = src
	s.lines.reset(off, line)
	return nil
}

// Position implements catalog.SplitReader: the offset just after the last
// line of the last batch returned (skipped and dead-lettered lines
// included).
func (s *jsonlSplit) Position() ([]byte, error) {
	return json.Marshal(s.pos)
}

// Seek implements catalog.SplitReader: the next Read starts at pos, a
// Position of a reader of the same file. Rows decoded but not yet returned
// are dropped. Stdin cannot seek, except to where it is.
func (s *jsonlSplit) Seek(_ context.Context, pos []byte) error {
	if s.closed {
		return fmt.Errorf("seeking %s: %w", s.name, errClosed)
	}
	p := streamPos{}
	if len(pos) > 0 {
		if err := json.Unmarshal(pos, &p); err != nil || p.Offset < 0 || p.Line < 0 {
			return fmt.Errorf("seeking %s: malformed position %q", s.name, pos)
		}
	}
	if s.seek == nil {
		if p.Offset != s.lines.off || s.bb.n > 0 {
			return fmt.Errorf("seeking %s to byte %d: stdin cannot resume from a checkpoint (it cannot be re-read); restart without the state or read from a file", s.name, p.Offset)
		}
		return nil
	}
	if s.lines.src != nil {
		s.lines.src.close()
		s.lines.src = nil
	}
	s.discard()
	s.err = nil
	if err := s.open(p.Offset, p.Line); err != nil {
		return s.fail(err)
	}
	s.pos = p
	return nil
}

// discard drops the rows decoded but not returned.
func (s *jsonlSplit) discard() {
	if s.bb.n == 0 {
		return
	}
	if rec := s.bb.flush(); rec != nil {
		rec.Release()
	}
}

// Close implements catalog.SplitReader; it may be called more than once.
func (s *jsonlSplit) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if s.lines.src != nil {
		s.lines.src.close()
		s.lines.src = nil
	}
	s.discard()
	s.bb.release()
	return nil
}

// Stats reports malformed lines skipped by this split (on_error=skip).
func (s *jsonlSplit) Stats() map[string]int64 {
	return map[string]int64{"skipped": s.skipped}
}

// openFile opens path for a split, following it if asked.
func openFile(path string, follow bool) func() (byteSource, error) {
	return func() (byteSource, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("opening %s: %w", path, err)
		}
		return &fileSource{path: path, f: f, follow: follow}, nil
	}
}

// seekFile positions a file source at off, which must lie within the file.
func seekFile(src byteSource, off int64) error {
	fs := src.(*fileSource)
	st, err := fs.f.Stat()
	if err != nil {
		return fmt.Errorf("seeking %s: %w", fs.path, err)
	}
	if off > st.Size() {
		return fmt.Errorf("seeking %s to byte %d: the file has only %d bytes (truncated or replaced since the checkpoint?)", fs.path, off, st.Size())
	}
	if _, err := fs.f.Seek(off, io.SeekStart); err != nil {
		return fmt.Errorf("seeking %s: %w", fs.path, err)
	}
	return nil
}
