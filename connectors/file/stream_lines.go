package file

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// Line input for streams: a byteSource supplies a split's bytes, waiting
// up to a deadline where data can still arrive (a followed file, a pipe);
// lineBuffer cuts them into lines and counts the bytes and lines consumed,
// which is the split's position.

// errNoData is returned by byteSource.read when nothing arrived before the
// deadline. It never leaves the package (Read turns it into a partial
// batch or catalog.ErrIdle).
var errNoData = errors.New("no data before the deadline")

// streamChunk is the read size of stream sources; lines longer than that
// grow the buffer.
const streamChunk = 64 << 10

// followPoll is how often a followed file is checked for appended bytes.
const followPoll = 20 * time.Millisecond

// byteSource supplies the bytes of one split.
type byteSource interface {
	// read reads into p. It returns n > 0, or io.EOF at the end of the
	// input, or errNoData when the input may still grow but nothing came
	// before deadline, or ctx's error.
	read(ctx context.Context, p []byte, deadline time.Time) (int, error)
	close()
}

// fileSource reads a file; with follow, its end is not the end of the
// input: it polls for appended bytes until the deadline.
type fileSource struct {
	path   string
	f      *os.File
	follow bool
}

func (s *fileSource) read(ctx context.Context, p []byte, deadline time.Time) (int, error) {
	for {
		n, err := s.f.Read(p)
		if n > 0 {
			return n, nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, fmt.Errorf("reading %s: %w", s.path, err)
		}
		if !s.follow {
			return 0, io.EOF
		}
		wait := time.Until(deadline)
		if wait <= 0 {
			return 0, errNoData
		}
		if err := sleep(ctx, min(wait, followPoll)); err != nil {
			return 0, err
		}
	}
}

func (s *fileSource) close() {
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// lineBuffer cuts a byteSource into lines. off and line count what was
// consumed: the byte offset of the first unread line and the lines read.
type lineBuffer struct {
	src  byteSource
	name string // for messages: the path, or "stdin"
	// final: at the end of the input, a last line without '\n' is consumed;
	// otherwise (a followed file) it waits for its newline.
	final bool
	buf   []byte
	r, w  int // unread bytes are buf[r:w]
	ended bool
	off   int64
	line  int64
}

// next returns the next line without its '\n' (valid until the following
// call), or errNoData when no complete line is available before deadline,
// or io.EOF at the end of the input.
func (b *lineBuffer) next(ctx context.Context, deadline time.Time) ([]byte, error) {
	scanned := 0 // bytes of buf[r:w] known to hold no '\n'
	for {
		if i := bytes.IndexByte(b.buf[b.r+scanned:b.w], '\n'); i >= 0 {
			end := b.r + scanned + i
			return b.take(end, end+1), nil
		}
		scanned = b.w - b.r
		if b.ended {
			if b.r < b.w && b.final {
				return b.take(b.w, b.w), nil
			}
			if b.r == b.w || b.final {
				return nil, io.EOF
			}
			return nil, errNoData
		}
		b.makeRoom()
		n, err := b.src.read(ctx, b.buf[b.w:], deadline)
		b.w += n
		switch {
		case errors.Is(err, io.EOF):
			b.ended = true
		case err != nil:
			return nil, err
		}
	}
}

// take consumes buf[r:next] and returns buf[r:end] as a line.
func (b *lineBuffer) take(end, next int) []byte {
	line := b.buf[b.r:end]
	b.off += int64(next - b.r)
	b.line++
	b.r = next
	return line
}

// makeRoom moves the unread bytes to the front and grows the buffer when a
// line fills it, so a read always has space.
func (b *lineBuffer) makeRoom() {
	if b.buf == nil {
		b.buf = make([]byte, streamChunk)
	}
	if b.r > 0 {
		b.w = copy(b.buf, b.buf[b.r:b.w])
		b.r = 0
	}
	if b.w == len(b.buf) {
		b.buf = append(b.buf, make([]byte, len(b.buf))...)
	} else if b.w == 0 && len(b.buf) > 4*streamChunk {
		b.buf = make([]byte, streamChunk) // a huge line has passed
	}
}

// reset drops buffered bytes, e.g. after a seek.
func (b *lineBuffer) reset(off, line int64) {
	b.r, b.w, b.ended = 0, 0, false
	b.off, b.line = off, line
}
