package file

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"
)

// pipeSource reads an io.Reader that may block (stdin, a pipe). A reader
// has no deadline, so one goroutine pumps it into two alternating
// buffers: Read can give up after its linger while the pump stays blocked,
// and memory stays bounded at two chunks.
//
// The pump starts with the first read and stops after the reader returns
// an error (io.EOF included) or, once the source is closed, when its
// current Read returns: a reader that never returns keeps one goroutine
// blocked in it, which for stdin ends with the process.
type pipeSource struct {
	r      io.Reader
	once   sync.Once
	full   chan pipeChunk // filled chunks, in order
	free   chan []byte    // empty buffers back to the pump
	done   chan struct{}  // closed by close
	cur    pipeChunk      // the chunk being consumed
	off    int            // consumed bytes of cur.b
	err    error          // the reader's final error, after its bytes
	close1 sync.Once
}

type pipeChunk struct {
	b   []byte
	err error
}

func newPipeSource(r io.Reader) *pipeSource {
	return &pipeSource{r: r, full: make(chan pipeChunk, 2), free: make(chan []byte, 2), done: make(chan struct{})}
}

func (s *pipeSource) pump() {
	defer close(s.full)
	for {
		var buf []byte
		select {
		case buf = <-s.free:
		case <-s.done:
			return
		}
		n, err := s.r.Read(buf[:cap(buf)])
		select {
		case s.full <- pipeChunk{b: buf[:n], err: err}:
		case <-s.done:
			return
		}
		if err != nil {
			return
		}
	}
}

func (s *pipeSource) read(ctx context.Context, p []byte, deadline time.Time) (int, error) {
	s.once.Do(func() {
		s.free <- make([]byte, streamChunk)
		s.free <- make([]byte, streamChunk)
		go s.pump()
	})
	for s.off == len(s.cur.b) {
		if s.err != nil {
			return 0, s.err
		}
		if s.cur.b != nil {
			s.free <- s.cur.b // room for it: the pump took one to fill it
			s.cur.b, s.off = nil, 0
		}
		c, err := s.receive(ctx, deadline)
		if err != nil {
			return 0, err
		}
		s.cur, s.off = c, 0
		switch {
		case c.err == io.EOF:
			s.err = io.EOF
		case c.err != nil:
			s.err = fmt.Errorf("reading stdin: %w", c.err)
		}
	}
	n := copy(p, s.cur.b[s.off:])
	s.off += n
	return n, nil
}

// receive waits for the next chunk until deadline.
func (s *pipeSource) receive(ctx context.Context, deadline time.Time) (pipeChunk, error) {
	var c pipeChunk
	var ok bool
	wait := time.Until(deadline)
	if wait <= 0 {
		select {
		case c, ok = <-s.full:
		case <-ctx.Done():
			return c, ctx.Err()
		default:
			return c, errNoData
		}
	} else {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case c, ok = <-s.full:
		case <-ctx.Done():
			return c, ctx.Err()
		case <-t.C:
			return c, errNoData
		}
	}
	if !ok {
		return c, fmt.Errorf("reading stdin: %w", errClosed)
	}
	return c, nil
}

func (s *pipeSource) close() {
	s.close1.Do(func() { close(s.done) })
}
