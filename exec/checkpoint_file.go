package exec

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// The checkpoint file:
//
//	"SSQLCKPT" | u32 version | u32 header length | header (JSON) | blobs | u32 CRC-32C
//
// The header holds the epoch, fingerprint, parallelism, split positions
// and node records; operator snapshots and the sink state are raw blobs
// it points into. The CRC covers every byte before it, so a truncated or
// damaged file is refused, never half read. Integers are little-endian.

const (
	checkpointMagic   = "SSQLCKPT"
	checkpointVersion = 1
	checkpointPrefix  = "checkpoint-"
	checkpointSuffix  = ".ckpt"
	checkpointTemp    = ".checkpoint-*.tmp"
)

// ErrCorruptCheckpoint is wrapped by the error of a resume whose newest
// checkpoint file is truncated or damaged.
var ErrCorruptCheckpoint = errors.New("corrupt checkpoint")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// checkpointData is the content of one checkpoint.
type checkpointData struct {
	Epoch       int64
	Fingerprint string
	Parallelism int
	Finished    bool // taken at the end of input: the job is done
	Scans       []scanEntry
	Nodes       []nodeEntry
	Sink        []byte
}

type scanEntry struct {
	Key    string
	Name   string
	Splits []splitRecord
}

type nodeEntry struct {
	Key string
	nodeRecord
}

type fileHeader struct {
	Epoch       int64       `json:"epoch"`
	Fingerprint string      `json:"fingerprint"`
	Parallelism int         `json:"parallelism"`
	Finished    bool        `json:"finished"`
	Scans       []scanEntry `json:"scans"`
	Nodes       []fileNode  `json:"nodes"`
	Sink        *blobRef    `json:"sink"` // nil: the sink's state was nil
	Blobs       int64       `json:"blobs"`
}

type fileNode struct {
	Key          string   `json:"key"`
	Watermark    int64    `json:"watermark"`
	Late         int64    `json:"late"`
	DeadLettered int64    `json:"dead_lettered"`
	EventsOut    int64    `json:"events_out"`
	State        *blobRef `json:"state,omitempty"`
}

type blobRef struct {
	Off int64 `json:"off"`
	Len int64 `json:"len"`
}

func encodeCheckpoint(d *checkpointData) ([]byte, error) {
	var blobs bytes.Buffer
	add := func(b []byte) *blobRef {
		r := &blobRef{Off: int64(blobs.Len()), Len: int64(len(b))}
		blobs.Write(b)
		return r
	}
	h := fileHeader{Epoch: d.Epoch, Fingerprint: d.Fingerprint, Parallelism: d.Parallelism, Finished: d.Finished, Scans: d.Scans}
	for _, n := range d.Nodes {
		fn := fileNode{Key: n.Key, Watermark: n.Watermark, Late: n.Late, DeadLettered: n.DeadLettered, EventsOut: n.EventsOut}
		if n.HasState {
			fn.State = add(n.State)
		}
		h.Nodes = append(h.Nodes, fn)
	}
	if d.Sink != nil {
		h.Sink = add(d.Sink)
	}
	h.Blobs = int64(blobs.Len())
	hdr, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("encoding checkpoint %d: %w", d.Epoch, err)
	}
	var out bytes.Buffer
	out.Grow(len(checkpointMagic) + 12 + len(hdr) + blobs.Len())
	out.WriteString(checkpointMagic)
	out.Write(binary.LittleEndian.AppendUint32(nil, checkpointVersion))
	out.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(hdr))))
	out.Write(hdr)
	out.Write(blobs.Bytes())
	out.Write(binary.LittleEndian.AppendUint32(nil, crc32.Checksum(out.Bytes(), castagnoli)))
	return out.Bytes(), nil
}

func decodeCheckpoint(data []byte) (*checkpointData, error) {
	const fixed = len(checkpointMagic) + 12
	if len(data) < fixed {
		return nil, fmt.Errorf("%w: %d bytes is truncated", ErrCorruptCheckpoint, len(data))
	}
	if string(data[:len(checkpointMagic)]) != checkpointMagic {
		return nil, fmt.Errorf("%w: not a checkpoint file", ErrCorruptCheckpoint)
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return nil, fmt.Errorf("%w: checksum mismatch (the file is truncated or damaged)", ErrCorruptCheckpoint)
	}
	p := len(checkpointMagic)
	if v := binary.LittleEndian.Uint32(data[p:]); v != checkpointVersion {
		return nil, fmt.Errorf("unsupported checkpoint version %d (want %d)", v, checkpointVersion)
	}
	hlen := int64(binary.LittleEndian.Uint32(data[p+4:]))
	rest := body[p+8:]
	if hlen > int64(len(rest)) {
		return nil, fmt.Errorf("%w: header of %d bytes overruns the file", ErrCorruptCheckpoint, hlen)
	}
	var h fileHeader
	if err := json.Unmarshal(rest[:hlen], &h); err != nil {
		return nil, fmt.Errorf("%w: decoding header: %v", ErrCorruptCheckpoint, err)
	}
	blobs := rest[hlen:]
	if h.Blobs != int64(len(blobs)) {
		return nil, fmt.Errorf("%w: %d bytes of state, the header says %d", ErrCorruptCheckpoint, len(blobs), h.Blobs)
	}
	get := func(r *blobRef) ([]byte, error) {
		if r.Off < 0 || r.Len < 0 || r.Off > int64(len(blobs)) || r.Len > int64(len(blobs))-r.Off {
			return nil, fmt.Errorf("%w: state at [%d, +%d) out of range", ErrCorruptCheckpoint, r.Off, r.Len)
		}
		return blobs[r.Off : r.Off+r.Len : r.Off+r.Len], nil
	}
	d := &checkpointData{Epoch: h.Epoch, Fingerprint: h.Fingerprint, Parallelism: h.Parallelism, Finished: h.Finished, Scans: h.Scans}
	for _, fn := range h.Nodes {
		n := nodeEntry{Key: fn.Key, nodeRecord: nodeRecord{Watermark: fn.Watermark, Late: fn.Late, DeadLettered: fn.DeadLettered, EventsOut: fn.EventsOut}}
		if fn.State != nil {
			b, err := get(fn.State)
			if err != nil {
				return nil, err
			}
			n.State, n.HasState = b, true
		}
		d.Nodes = append(d.Nodes, n)
	}
	if h.Sink != nil {
		b, err := get(h.Sink)
		if err != nil {
			return nil, err
		}
		d.Sink = b
	}
	return d, nil
}

func checkpointName(epoch int64) string {
	return fmt.Sprintf("%s%020d%s", checkpointPrefix, epoch, checkpointSuffix)
}

// writeCheckpoint writes d into dir atomically: a temporary file, synced,
// renamed into place, and the directory synced so the rename lasts.
func writeCheckpoint(dir string, d *checkpointData) (err error) {
	data, err := encodeCheckpoint(d)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("writing checkpoint %d: %w", d.Epoch, err)
	}
	f, err := os.CreateTemp(dir, checkpointTemp)
	if err != nil {
		return fmt.Errorf("writing checkpoint %d: %w", d.Epoch, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
			err = fmt.Errorf("writing checkpoint %d: %w", d.Epoch, err)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, filepath.Join(dir, checkpointName(d.Epoch))); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir makes a rename in dir durable, where the platform can.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, errors.ErrUnsupported) {
		return err
	}
	return nil
}

// checkpointFiles lists the checkpoint files of dir by epoch, oldest
// first; a missing dir has none.
func checkpointFiles(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	type file struct {
		name  string
		epoch int64
	}
	var fs []file
	for _, e := range ents {
		n := e.Name()
		if !strings.HasPrefix(n, checkpointPrefix) || !strings.HasSuffix(n, checkpointSuffix) {
			continue
		}
		ep, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(n, checkpointPrefix), checkpointSuffix), 10, 64)
		if err != nil {
			continue
		}
		fs = append(fs, file{n, ep})
	}
	sort.Slice(fs, func(a, b int) bool { return fs[a].epoch < fs[b].epoch })
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = filepath.Join(dir, f.name)
	}
	return names, nil
}

// loadNewestCheckpoint reads the newest checkpoint of dir; nil if none.
func loadNewestCheckpoint(dir string) (*checkpointData, string, error) {
	files, err := checkpointFiles(dir)
	if err != nil {
		return nil, "", fmt.Errorf("listing checkpoints in %s: %w", dir, err)
	}
	if len(files) == 0 {
		return nil, "", nil
	}
	path := files[len(files)-1]
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, path, fmt.Errorf("reading checkpoint %s: %w", path, err)
	}
	d, err := decodeCheckpoint(data)
	if err != nil {
		return nil, path, fmt.Errorf("reading checkpoint %s: %w; remove the state directory's checkpoints to start over", path, err)
	}
	return d, path, nil
}

// pruneCheckpoints keeps the newest `keep` checkpoint files of dir and
// removes temporary files left by a crash.
func pruneCheckpoints(dir string, keep int) error {
	files, err := checkpointFiles(dir)
	if err != nil {
		return fmt.Errorf("pruning checkpoints in %s: %w", dir, err)
	}
	var errs []error
	for _, f := range files[:max(len(files)-keep, 0)] {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	tmps, _ := filepath.Glob(filepath.Join(dir, checkpointTemp))
	for _, t := range tmps {
		os.Remove(t)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("pruning checkpoints in %s: %w", dir, err)
	}
	return nil
}
