// Package coalesce batches a connection's small writes into fewer system
// calls without delaying any of them: a write lands in a buffer at once,
// and one flusher goroutine per connection writes out everything buffered
// whenever the connection is free. While a write is in the kernel, the
// frames queued behind it share the next one.
//
// Why: a WebSocket server flushes every message (coder/websocket does),
// so fanning events out to many subscribers cost one write system call
// per event per subscriber — most of the hot tier's CPU. Coalescing keeps
// the latency of a quiet connection (its frame is written immediately)
// and turns a busy one's frames into a few large writes.
package coalesce

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"
)

// MaxBuffered bounds what a connection holds unwritten besides the write
// in flight; a Write beyond it waits (backpressure on a slow peer) until
// the flusher catches up or the connection closes.
const MaxBuffered = 1 << 20

// Conn is a net.Conn whose writes are coalesced. Close flushes what is
// buffered (as far as the peer takes it) before closing.
type Conn struct {
	net.Conn
	mu      sync.Mutex
	cond    *sync.Cond
	buf     []byte
	spare   []byte
	writing bool
	err     error // sticky write error
	closed  bool
	done    chan struct{}
	timeout time.Duration // per network write, 0: none
}

// Wrap starts coalescing c's writes.
func Wrap(c net.Conn) *Conn { return WrapTimeout(c, 0) }

// WrapTimeout is Wrap with a deadline on each network write: a peer that
// takes nothing for that long fails the connection (every Write after
// reports it), so writers need no deadline of their own.
func WrapTimeout(c net.Conn, timeout time.Duration) *Conn {
	w := &Conn{Conn: c, done: make(chan struct{}), timeout: timeout}
	w.cond = sync.NewCond(&w.mu)
	go w.flushLoop()
	return w
}

// Write buffers p; the flusher sends it. It reports an earlier write's
// failure, and waits while MaxBuffered is reached.
func (c *Conn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.err == nil && !c.closed && len(c.buf) > 0 && len(c.buf)+len(p) > MaxBuffered {
		c.cond.Wait()
	}
	if c.err != nil {
		return 0, c.err
	}
	if c.closed {
		return 0, net.ErrClosed
	}
	c.buf = append(c.buf, p...)
	c.cond.Broadcast()
	return len(p), nil
}

// WriteText appends one unmasked, unfragmented WebSocket text frame
// carrying payload (a server's frame), atomically: frames another writer
// of the connection (the WebSocket library's pongs and close) appends
// interleave whole, never inside it. It spares the event fan-out the
// library's per-message locking.
func (c *Conn) WriteText(payload []byte) error { return c.WriteTexts([][]byte{payload}) }

// WriteTexts is WriteText for several frames under one lock, in order.
func (c *Conn) WriteTexts(payloads [][]byte) error {
	size := 0
	for _, p := range payloads {
		size += 10 + len(p)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.err == nil && !c.closed && len(c.buf) > 0 && len(c.buf)+size > MaxBuffered {
		c.cond.Wait()
	}
	if c.err != nil {
		return c.err
	}
	if c.closed {
		return net.ErrClosed
	}
	c.buf = slices.Grow(c.buf, size) // one growth for the lot, not one per frame
	for _, p := range payloads {
		c.buf = appendTextFrame(c.buf, p)
	}
	c.cond.Broadcast()
	return nil
}

// appendTextFrame appends a FIN text frame header and payload.
func appendTextFrame(dst, payload []byte) []byte {
	switch l := len(payload); {
	case l < 126:
		dst = append(dst, 0x81, byte(l))
	case l <= 0xffff:
		dst = append(dst, 0x81, 126, byte(l>>8), byte(l))
	default:
		dst = append(dst, 0x81, 127)
		for i := range 8 {
			dst = append(dst, byte(uint64(l)>>(56-8*i)))
		}
	}
	return append(dst, payload...)
}

func (c *Conn) flushLoop() {
	defer close(c.done)
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		for len(c.buf) == 0 && !c.closed && c.err == nil {
			c.cond.Wait()
		}
		if len(c.buf) == 0 || c.err != nil {
			return // closed and drained, or failed
		}
		out := c.buf
		c.buf, c.spare = c.spare[:0], nil
		c.writing = true
		c.mu.Unlock()
		if c.timeout > 0 {
			c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
		}
		_, err := c.Conn.Write(out)
		c.mu.Lock()
		c.writing = false
		c.spare = out[:0]
		if err != nil && c.err == nil {
			c.err = err
		}
		c.cond.Broadcast()
	}
}

// Close stops accepting writes, lets the flusher send what is buffered
// (a write deadline or a failing peer ends that), then closes.
func (c *Conn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return net.ErrClosed
	}
	c.closed = true
	c.cond.Broadcast()
	pending := len(c.buf) > 0 || c.writing
	c.mu.Unlock()
	if pending {
		// A peer that stopped reading must not hold Close: after the
		// grace period the close below fails the flusher's write.
		select {
		case <-c.done:
		case <-time.After(closeGrace):
		}
	}
	err := c.Conn.Close()
	<-c.done
	return err
}

// closeGrace bounds how long Close waits for buffered writes to drain.
const closeGrace = 2 * time.Second

// ResponseWriter wraps w so that a connection hijacked from it (a
// WebSocket upgrade) has its writes coalesced, each network write bounded
// by timeout (0: none).
func ResponseWriter(w http.ResponseWriter, timeout time.Duration) http.ResponseWriter {
	return Hijacking(w, timeout)
}

// Hijacking is ResponseWriter, returning the wrapper so that the
// coalescing connection can be reached after the upgrade (Conn).
func Hijacking(w http.ResponseWriter, timeout time.Duration) *Hijacker {
	return &Hijacker{ResponseWriter: w, timeout: timeout}
}

// Hijacker is the response writer Hijacking returns.
type Hijacker struct {
	http.ResponseWriter
	timeout time.Duration
	conn    *Conn
}

// Conn is the coalescing connection once the response was hijacked, nil
// before.
func (h *Hijacker) Conn() *Conn { return h.conn }

// Hijack implements http.Hijacker.
func (h *Hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := h.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("hijacking: the response writer cannot be hijacked")
	}
	conn, brw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	if err := brw.Writer.Flush(); err != nil {
		conn.Close()
		return nil, nil, err
	}
	wc := WrapTimeout(conn, h.timeout)
	brw.Writer.Reset(wc)
	h.conn = wc
	return wc, brw, nil
}

// Unwrap lets http.ResponseController reach the wrapped writer.
func (h *Hijacker) Unwrap() http.ResponseWriter { return h.ResponseWriter }
