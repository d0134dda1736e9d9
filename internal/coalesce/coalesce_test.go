package coalesce

import (
	"bytes"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// countingConn records the writes that reach the network.
type countingConn struct {
	net.Conn
	mu     sync.Mutex
	writes int
	gate   chan struct{} // when set, each write waits for a token
}

func (c *countingConn) Write(p []byte) (int, error) {
	if c.gate != nil {
		<-c.gate
	}
	c.mu.Lock()
	c.writes++
	c.mu.Unlock()
	return c.Conn.Write(p)
}

// Writes queued behind a busy write go out together, in order, and
// nothing is lost at Close.
func TestCoalescesBehindABusyWrite(t *testing.T) {
	a, b := net.Pipe()
	cc := &countingConn{Conn: a, gate: make(chan struct{})}
	w := Wrap(cc)
	var got bytes.Buffer
	done := make(chan struct{})
	go func() { io.Copy(&got, b); close(done) }()
	var want bytes.Buffer
	for i := range 100 {
		p := []byte{byte(i), byte(i)}
		want.Write(p)
		if _, err := w.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	close(cc.gate) // the first write was held; everything queued behind it
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b.Close()
	<-done
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Fatalf("got %d bytes, want %d in order", got.Len(), want.Len())
	}
	if cc.writes > 3 {
		t.Errorf("%d network writes for 100 small ones", cc.writes)
	}
}

// A peer that never reads: writes stop at MaxBuffered (besides the write
// in flight), Close returns after its grace period, and later writes fail.
func TestStuckPeer(t *testing.T) {
	a, b := net.Pipe() // unbuffered: nothing is read
	defer b.Close()
	w := Wrap(a)
	big := make([]byte, MaxBuffered)
	if _, err := w.Write(big); err != nil {
		t.Fatal(err)
	}
	// The first write may already be in flight (taken by the flusher), in
	// which case the second is buffered: the third must wait either way.
	blocked := make(chan error, 1)
	go func() {
		_, err := w.Write(big)
		if err == nil {
			_, err = w.Write(big)
		}
		blocked <- err
	}()
	select {
	case err := <-blocked:
		t.Fatalf("a write past MaxBuffered returned at once: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	start := time.Now()
	w.Close()
	if d := time.Since(start); d > closeGrace+time.Second {
		t.Errorf("Close took %v", d)
	}
	if err := <-blocked; err == nil {
		t.Error("the blocked write succeeded after Close")
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Error("write after Close succeeded")
	}
}

// WriteText frames payloads of every length class as unmasked text frames.
func TestWriteTextFrames(t *testing.T) {
	a, b := net.Pipe()
	w := Wrap(a)
	var got bytes.Buffer
	done := make(chan struct{})
	go func() { io.Copy(&got, b); close(done) }()
	sizes := []int{0, 125, 126, 65535, 65536}
	for _, n := range sizes {
		if err := w.WriteText(bytes.Repeat([]byte{'x'}, n)); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	b.Close()
	<-done
	p := got.Bytes()
	for _, n := range sizes {
		if p[0] != 0x81 {
			t.Fatalf("frame of %d: first byte %#x", n, p[0])
		}
		l, hdr := int(p[1]&0x7f), 2
		switch l {
		case 126:
			l, hdr = int(p[2])<<8|int(p[3]), 4
		case 127:
			l = 0
			for i := range 8 {
				l = l<<8 | int(p[2+i])
			}
			hdr = 10
		}
		if p[1]&0x80 != 0 || l != n {
			t.Fatalf("frame of %d: header says %d (masked %v)", n, l, p[1]&0x80 != 0)
		}
		p = p[hdr+l:]
	}
	if len(p) != 0 {
		t.Fatalf("%d trailing bytes", len(p))
	}
}
