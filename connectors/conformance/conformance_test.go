package conformance

import (
	"bufio"
	"bytes"
	"hash/fnv"
	"os"
	"path/filepath"
	"testing"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/file"
	"github.com/streamsql/streamsql/connectors/memory"
)

// keySplit maps a key to one of n splits.
func keySplit(key []byte, n int) int {
	h := fnv.New32a()
	h.Write(key)
	return int(h.Sum32() % uint32(n))
}

// memorySource is the harness of the memory connector: three splits,
// messages appended as JSON rows to the split of their key.
func memorySource(t *testing.T) Source {
	stream := memory.NewStreamSplits(Schema, 3)
	t.Cleanup(stream.Release)
	return Source{
		Name: "memory",
		Open: func(*testing.T) catalog.Streamable { return shared{stream} },
		Produce: func(t *testing.T, msgs []Message) {
			var lines [3][]string // one batch per split, as a broker's fetch would give
			for _, m := range msgs {
				i := keySplit(m.Key, 3)
				lines[i] = append(lines[i], string(m.Value))
			}
			for i, l := range lines {
				if err := stream.AppendJSONTo(i, l...); err != nil {
					t.Fatal(err)
				}
			}
		},
		Replayable: true,
	}
}

// shared hides the stream's Release from catalog.ReleaseTable: every
// Open is another reader of the same stream, which must keep its rows.
type shared struct{ *memory.Stream }

func (s shared) Release() {}

func TestMemorySource(t *testing.T) { RunSource(t, memorySource(t)) }

// fileSource is the harness of the JSONL file connector, following two
// files: a key's messages are appended to one of them.
func fileSource(t *testing.T) Source {
	dir := t.TempDir()
	paths := []string{filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b.jsonl")}
	for _, p := range paths {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return Source{
		Name: "file",
		Open: func(t *testing.T) catalog.Streamable {
			tbl, err := file.Open(filepath.Join(dir, "*.jsonl"), file.Options{Format: file.FormatJSONL, Follow: true, Schema: Schema})
			if err != nil {
				t.Fatal(err)
			}
			return tbl
		},
		Produce: func(t *testing.T, msgs []Message) {
			var bufs [2]bytes.Buffer
			for _, m := range msgs {
				b := &bufs[keySplit(m.Key, 2)]
				b.Write(m.Value)
				b.WriteByte('\n')
			}
			for i, p := range paths {
				f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := f.Write(bufs[i].Bytes()); err != nil {
					t.Fatal(err)
				}
				f.Close()
			}
		},
		Replayable:  true,
		DeadLetters: true,
	}
}

func TestFileSource(t *testing.T) { RunSource(t, fileSource(t)) }

func TestMemorySink(t *testing.T) {
	sink := memory.NewSink()
	t.Cleanup(sink.Release)
	RunSink(t, Sink{
		Name: "memory",
		Open: func(*testing.T) catalog.SinkTable { return sink },
		Read: func(*testing.T) [][]byte {
			var out [][]byte
			for _, l := range sink.JSONL() {
				out = append(out, []byte(l))
			}
			return out
		},
		ExactlyOnce: true,
	})
}

func TestFileSink(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.jsonl")
	RunSink(t, Sink{
		Name: "file",
		Open: func(*testing.T) catalog.SinkTable { return file.NewJSONLSink(path) },
		Read: func(t *testing.T) [][]byte {
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var out [][]byte
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				out = append(out, append([]byte(nil), sc.Bytes()...))
			}
			return out
		},
		ExactlyOnce: true,
	})
}
