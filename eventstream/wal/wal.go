// Package wal is the hot tier's write-ahead log: records appended to
// segment files, each framed with its length and a CRC-32C, synced before
// the writer is told they are safe, replayed on start, and dropped a
// segment at a time once every record in it is past retention.
//
// A crash can tear only the newest segment (records are appended and
// synced in order, and a new segment is started only after the previous
// one synced): replay truncates a torn tail there and reports it, while
// damage anywhere else is an error, since acknowledged records would be
// lost silently. The package is wasm-clean: storage is a Dir.
package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"
	"sync"
)

// headerSize is the frame header: payload length and CRC-32C, little endian.
const headerSize = 8

// MaxRecord is the largest payload a record may hold; a larger length in a
// header can only be damage.
const MaxRecord = 64 << 20

// DefaultSegmentBytes is when a segment is closed and a new one started.
const DefaultSegmentBytes = 64 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrClosed is returned by writes after Close.
var ErrClosed = errors.New("the write-ahead log is closed")

// Options configure Open.
type Options struct {
	// SegmentBytes rotates to a new segment once the current one holds
	// this much (0: DefaultSegmentBytes).
	SegmentBytes int64
	// Logf reports what replay repaired (nil: silent).
	Logf func(format string, args ...any)
}

// ReplayStats says what Open found.
type ReplayStats struct {
	Segments  int   // segment files read
	Records   int   // records replayed
	TornBytes int64 // bytes cut from a torn tail (0: the log was clean)
}

// Log is an open write-ahead log. Write, Rotate, Prune and Close are safe
// for concurrent use (they serialize); writers that want group commit
// batch their records into one Write.
type Log struct {
	dir  Dir
	opts Options

	mu      sync.Mutex
	segs    []segment // oldest first; the last is the one being written
	cur     File
	curSize int64
	next    uint64 // number of the next segment to create
	err     error  // sticky: after a failed write the log accepts no more
}

// segment is one file of the log.
type segment struct {
	name  string
	num   uint64
	maxTS int64 // newest record timestamp written to it
}

// segmentName is the file name of segment num: zero-padded so names sort
// in log order.
func segmentName(num uint64) string { return fmt.Sprintf("%020d.wal", num) }

// parseSegmentName returns the number of a segment file, false for other
// files.
func parseSegmentName(name string) (uint64, bool) {
	s, ok := strings.CutSuffix(name, ".wal")
	if !ok || len(s) != 20 {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

// AppendRecord appends payload to dst as one framed record.
func AppendRecord(dst, payload []byte) []byte {
	var h [headerSize]byte
	binary.LittleEndian.PutUint32(h[0:4], uint32(len(payload)))
	binary.LittleEndian.PutUint32(h[4:8], crc32.Checksum(payload, castagnoli))
	return append(append(dst, h[:]...), payload...)
}

// Open replays the log in dir, oldest record first, calling replay with
// each payload (valid only during the call); replay returns the record's
// timestamp, which Prune compares against. Then it starts a new segment
// for writing.
func Open(dir Dir, opts Options, replay func(payload []byte) (ts int64, err error)) (*Log, ReplayStats, error) {
	if opts.SegmentBytes <= 0 {
		opts.SegmentBytes = DefaultSegmentBytes
	}
	l := &Log{dir: dir, opts: opts}
	var stats ReplayStats
	names, err := dir.List()
	if err != nil {
		return nil, stats, fmt.Errorf("opening write-ahead log: %w", err)
	}
	var segs []segment
	for _, name := range names {
		if num, ok := parseSegmentName(name); ok {
			segs = append(segs, segment{name: name, num: num})
		}
	}
	for i := range segs {
		last := i == len(segs)-1
		if err := l.replaySegment(&segs[i], last, replay, &stats); err != nil {
			return nil, stats, fmt.Errorf("opening write-ahead log: %w", err)
		}
		l.next = segs[i].num + 1
	}
	stats.Segments = len(segs)
	l.segs = segs
	if err := l.startSegment(); err != nil {
		return nil, stats, fmt.Errorf("opening write-ahead log: %w", err)
	}
	return l, stats, nil
}

// replaySegment reads one segment. A damaged record in the last segment
// is a torn write: the file is cut there.
func (l *Log) replaySegment(seg *segment, last bool, replay func([]byte) (int64, error), stats *ReplayStats) error {
	data, err := l.dir.ReadFile(seg.name)
	if err != nil {
		return err
	}
	off := 0
	for off < len(data) {
		payload, ok := decodeRecord(data[off:])
		if !ok {
			if !last {
				return fmt.Errorf("segment %s is damaged at byte %d (not its tail: refusing to drop acknowledged records)", seg.name, off)
			}
			torn := int64(len(data) - off)
			if err := l.dir.Truncate(seg.name, int64(off)); err != nil {
				return err
			}
			stats.TornBytes += torn
			if l.opts.Logf != nil {
				l.opts.Logf("write-ahead log: cut a torn tail of %d bytes from %s at byte %d", torn, seg.name, off)
			}
			return nil
		}
		ts, err := replay(payload)
		if err != nil {
			return fmt.Errorf("replaying %s at byte %d: %w", seg.name, off, err)
		}
		seg.maxTS = max(seg.maxTS, ts)
		stats.Records++
		off += headerSize + len(payload)
	}
	return nil
}

// decodeRecord returns the payload of the record at the start of b, false
// when it is incomplete or its checksum does not match. An empty payload
// is never written, so a zeroed tail reads as damage.
func decodeRecord(b []byte) ([]byte, bool) {
	if len(b) < headerSize {
		return nil, false
	}
	n := binary.LittleEndian.Uint32(b[0:4])
	if n == 0 || n > MaxRecord || int(n) > len(b)-headerSize {
		return nil, false
	}
	payload := b[headerSize : headerSize+int(n)]
	if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(b[4:8]) {
		return nil, false
	}
	return payload, true
}

// startSegment creates the next segment and makes it current. Called
// locked (or before the log is shared).
func (l *Log) startSegment() error {
	name := segmentName(l.next)
	f, err := l.dir.Create(name)
	if err != nil {
		return err
	}
	l.segs = append(l.segs, segment{name: name, num: l.next})
	l.next++
	l.cur, l.curSize = f, 0
	return nil
}

// Write appends framed records (built with AppendRecord) and syncs them;
// maxTS is the newest timestamp among them. When Write returns nil the
// records survive a crash. After a failed write the log is unusable (a
// partial record may sit at its end): every later Write fails too.
func (l *Log) Write(records []byte, maxTS int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return l.err
	}
	if l.cur == nil {
		return ErrClosed
	}
	if _, err := l.cur.Write(records); err != nil {
		l.err = fmt.Errorf("writing to the write-ahead log: %w", err)
		return l.err
	}
	if err := l.cur.Sync(); err != nil {
		l.err = fmt.Errorf("syncing the write-ahead log: %w", err)
		return l.err
	}
	l.curSize += int64(len(records))
	seg := &l.segs[len(l.segs)-1]
	seg.maxTS = max(seg.maxTS, maxTS)
	if l.curSize >= l.opts.SegmentBytes {
		return l.rotate()
	}
	return nil
}

// Rotate closes the current segment and starts a new one, so the old one
// can be pruned once its records expire, and reports whether it did. A
// segment holding no timestamped record (only records written with
// maxTS 0, such as bookkeeping) stays current: rotating it would only
// make files.
func (l *Log) Rotate() (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return false, l.err
	}
	if l.cur == nil {
		return false, ErrClosed
	}
	if l.segs[len(l.segs)-1].maxTS == 0 {
		return false, nil
	}
	return true, l.rotate()
}

// rotate is Rotate, locked.
func (l *Log) rotate() error {
	if err := l.cur.Close(); err != nil {
		l.err = fmt.Errorf("closing a write-ahead log segment: %w", err)
		return l.err
	}
	l.cur = nil
	if err := l.startSegment(); err != nil {
		l.err = fmt.Errorf("rotating the write-ahead log: %w", err)
		return l.err
	}
	return nil
}

// Prune removes the segments, other than the current one, whose newest
// record is older than before, and reports how many it removed.
func (l *Log) Prune(before int64) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	removed := 0
	for len(l.segs) > 1 && l.segs[0].maxTS < before {
		if err := l.dir.Remove(l.segs[0].name); err != nil {
			return removed, fmt.Errorf("pruning the write-ahead log: %w", err)
		}
		l.segs = l.segs[1:]
		removed++
	}
	return removed, nil
}

// Segments returns how many segment files the log holds.
func (l *Log) Segments() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.segs)
}

// Close syncs and closes the current segment. Later writes fail with
// ErrClosed; Close may be called more than once.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cur == nil {
		return nil
	}
	f := l.cur
	l.cur = nil
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("closing the write-ahead log: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("closing the write-ahead log: %w", err)
	}
	return nil
}
