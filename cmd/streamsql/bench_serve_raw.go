package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

// rawSubscriber is a minimal WebSocket client for the bench's /events
// subscribers: it upgrades with a plain HTTP request and reads the
// server's frames straight off the TCP connection (no per-message
// contexts or goroutines). The clients share the machine with the server
// here; a remote subscriber's cost is not the server's, so the bench keeps
// its own as small as it can.
type rawSubscriber struct {
	c  net.Conn
	in *stampedReader
	br *bufio.Reader
}

// stampedReader notes when each read from the connection returned, so a
// message's arrival is the read that completed it: the frames that one
// read brings share an arrival time and cost one clock reading, not one
// each.
type stampedReader struct {
	c  net.Conn
	at int64 // unix ns when the last Read returned
}

func (s *stampedReader) Read(p []byte) (int, error) {
	n, err := s.c.Read(p)
	s.at = time.Now().UnixNano()
	return n, err
}

// dialRaw opens path (with its query) on the server at base (http://…).
func dialRaw(ctx context.Context, base, path string) (*rawSubscriber, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, err
	}
	req := "GET " + path + " HTTP/1.1\r\nHost: " + u.Host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		c.Close()
		return nil, err
	}
	in := &stampedReader{c: c}
	br := bufio.NewReaderSize(in, 64<<10)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		c.Close()
		return nil, err
	}
	// A 101 answer has no body to close: the frames follow in br.
	if resp.StatusCode != http.StatusSwitchingProtocols {
		c.Close()
		return nil, fmt.Errorf("upgrading %s: HTTP %d", path, resp.StatusCode)
	}
	return &rawSubscriber{c: c, in: in, br: br}, nil
}

// errClosedFrame carries the close code of a close frame.
type errClosedFrame struct{ code int }

func (e errClosedFrame) Error() string { return fmt.Sprintf("websocket closed with %d", e.code) }

// next reads one message into buf (reusing it): text or binary frames,
// continuations joined; a close frame is an errClosedFrame. arrivedAt
// then tells when its last byte came off the connection.
func (r *rawSubscriber) next(buf []byte) ([]byte, error) {
	buf = buf[:0]
	var hdr [8]byte
	for {
		if _, err := io.ReadFull(r.br, hdr[:2]); err != nil {
			return nil, err
		}
		fin, op, masked := hdr[0]&0x80 != 0, hdr[0]&0x0f, hdr[1]&0x80 != 0
		n := uint64(hdr[1] & 0x7f)
		switch n {
		case 126:
			if _, err := io.ReadFull(r.br, hdr[:2]); err != nil {
				return nil, err
			}
			n = uint64(binary.BigEndian.Uint16(hdr[:2]))
		case 127:
			if _, err := io.ReadFull(r.br, hdr[:8]); err != nil {
				return nil, err
			}
			n = binary.BigEndian.Uint64(hdr[:8])
		}
		if masked {
			return nil, errors.New("masked frame from the server")
		}
		if n > 16<<20 {
			return nil, fmt.Errorf("frame of %d bytes", n)
		}
		start := len(buf)
		buf = append(buf, make([]byte, n)...)
		if _, err := io.ReadFull(r.br, buf[start:]); err != nil {
			return nil, err
		}
		switch op {
		case 0x8:
			code := 1005
			if n >= 2 {
				code = int(binary.BigEndian.Uint16(buf[start:]))
			}
			return nil, errClosedFrame{code}
		case 0x9, 0xA: // ping, pong: the server sends none on /events
			buf = buf[:start]
			continue
		}
		if fin {
			return buf, nil
		}
	}
}

// arrivedAt is when the read that completed the last message returned
// (unix ns).
func (r *rawSubscriber) arrivedAt() int64 { return r.in.at }

// close ends the connection without a close handshake (the bench is done).
func (r *rawSubscriber) close() {
	r.c.SetDeadline(time.Now())
	r.c.Close()
}
