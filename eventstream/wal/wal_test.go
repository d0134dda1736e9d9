package wal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// collect opens the log in dir and returns the replayed payloads; each
// payload's timestamp is its index in the whole log.
func collect(t *testing.T, dir Dir, opts Options) (*Log, []string, ReplayStats) {
	t.Helper()
	var got []string
	l, stats, err := Open(dir, opts, func(p []byte) (int64, error) {
		got = append(got, string(p))
		return int64(len(got)), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, got, stats
}

func writeN(t *testing.T, l *Log, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		if err := l.Write(AppendRecord(nil, fmt.Appendf(nil, "rec-%d", i)), int64(i+1)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestReplayReturnsRecordsInOrder(t *testing.T) {
	dir := OSDir(t.TempDir())
	l, got, _ := collect(t, dir, Options{SegmentBytes: 40})
	if len(got) != 0 {
		t.Fatalf("fresh log replayed %v", got)
	}
	writeN(t, l, 0, 10)
	if l.Segments() < 3 {
		t.Fatalf("40-byte segments: want rotation, have %d segments", l.Segments())
	}
	l.Close()
	_, got, stats := collect(t, dir, Options{})
	if len(got) != 10 || got[0] != "rec-0" || got[9] != "rec-9" || stats.TornBytes != 0 {
		t.Fatalf("replayed %v, stats %+v", got, stats)
	}
}

// lastSegment is the path of the newest non-empty segment file.
func lastSegment(t *testing.T, dir string) string {
	t.Helper()
	names, _ := OSDir(dir).List()
	for i := len(names) - 1; i >= 0; i-- {
		if fi, _ := os.Stat(filepath.Join(dir, names[i])); fi.Size() > 0 {
			return filepath.Join(dir, names[i])
		}
	}
	t.Fatal("no segment with data")
	return ""
}

func TestTornTailIsTruncatedAndCounted(t *testing.T) {
	for name, damage := range map[string]func(path string){
		"half record": func(p string) {
			f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
			f.Write(AppendRecord(nil, []byte("torn-record"))[:12])
			f.Close()
		},
		"zeroed tail": func(p string) {
			f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
			f.Write(make([]byte, 64))
			f.Close()
		},
		"bad checksum": func(p string) {
			b, _ := os.ReadFile(p)
			b[len(b)-1] ^= 0xff
			os.WriteFile(p, b, 0o644)
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			l, _, _ := collect(t, OSDir(dir), Options{})
			writeN(t, l, 0, 5)
			l.Close()
			seg := lastSegment(t, dir)
			damage(seg)
			var logged []string
			l2, got, stats := collect(t, OSDir(dir), Options{Logf: func(f string, a ...any) { logged = append(logged, fmt.Sprintf(f, a...)) }})
			want := 5
			if name == "bad checksum" {
				want = 4 // the damaged last record is the tail
			}
			if len(got) != want || stats.TornBytes == 0 || len(logged) != 1 || !strings.Contains(logged[0], "torn tail") {
				t.Fatalf("replayed %d records (want %d), stats %+v, log %q", len(got), want, stats, logged)
			}
			// The cut is durable and the log goes on cleanly.
			writeN(t, l2, 100, 1)
			l2.Close()
			_, got, stats = collect(t, OSDir(dir), Options{})
			if len(got) != want+1 || stats.TornBytes != 0 {
				t.Fatalf("after repair: %d records, stats %+v", len(got), stats)
			}
		})
	}
}

func TestDamageBeforeTheTailIsAnError(t *testing.T) {
	dir := t.TempDir()
	l, _, _ := collect(t, OSDir(dir), Options{SegmentBytes: 10})
	writeN(t, l, 0, 3)
	l.Close()
	names, _ := OSDir(dir).List()
	first := filepath.Join(dir, names[0])
	b, _ := os.ReadFile(first)
	b[len(b)-1] ^= 0xff
	os.WriteFile(first, b, 0o644)
	_, _, err := Open(OSDir(dir), Options{}, func([]byte) (int64, error) { return 0, nil })
	if err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("want a damage error, got %v", err)
	}
}

func TestReplayErrorStopsOpen(t *testing.T) {
	dir := t.TempDir()
	l, _, _ := collect(t, OSDir(dir), Options{})
	writeN(t, l, 0, 2)
	l.Close()
	_, _, err := Open(OSDir(dir), Options{}, func([]byte) (int64, error) { return 0, errors.New("bad payload") })
	if err == nil || !strings.Contains(err.Error(), "bad payload") {
		t.Fatalf("got %v", err)
	}
}

func TestPruneDropsExpiredSegmentsOnly(t *testing.T) {
	dir := OSDir(t.TempDir())
	l, _, _ := collect(t, dir, Options{})
	for i := range 4 {
		writeN(t, l, i, 1) // record i has timestamp i+1
		if rotated, err := l.Rotate(); err != nil || !rotated {
			t.Fatal(rotated, err)
		}
	}
	if rotated, err := l.Rotate(); err != nil || rotated { // empty current segment: no new file
		t.Fatal(rotated, err)
	}
	if err := l.Write(AppendRecord(nil, []byte("bookkeeping")), 0); err != nil {
		t.Fatal(err)
	}
	if rotated, err := l.Rotate(); err != nil || rotated { // no timestamped record: stays
		t.Fatal(rotated, err)
	}
	if n := l.Segments(); n != 5 {
		t.Fatalf("segments %d, want 5", n)
	}
	removed, err := l.Prune(3) // segments whose newest record is < 3: timestamps 1, 2
	if err != nil || removed != 2 {
		t.Fatalf("removed %d, %v", removed, err)
	}
	l.Close()
	_, got, _ := collect(t, dir, Options{})
	if strings.Join(got, ",") != "rec-2,rec-3,bookkeeping" {
		t.Fatalf("after prune replayed %v", got)
	}
}

// failingDir wraps a Dir whose files fail to sync once armed.
type failingDir struct {
	Dir
	fail *bool
}

type failingFile struct {
	File
	fail *bool
}

func (d failingDir) Create(name string) (File, error) {
	f, err := d.Dir.Create(name)
	return failingFile{f, d.fail}, err
}

func (f failingFile) Sync() error {
	if *f.fail {
		return errors.New("disk on fire")
	}
	return f.File.Sync()
}

func TestFailedSyncIsSticky(t *testing.T) {
	fail := false
	l, _, _ := collect(t, failingDir{OSDir(t.TempDir()), &fail}, Options{})
	writeN(t, l, 0, 1)
	fail = true
	if err := l.Write(AppendRecord(nil, []byte("x")), 1); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("got %v", err)
	}
	fail = false
	if err := l.Write(AppendRecord(nil, []byte("y")), 1); err == nil {
		t.Fatal("a write after a failed sync succeeded")
	}
}

func TestWriteAfterClose(t *testing.T) {
	l, _, _ := collect(t, OSDir(t.TempDir()), Options{})
	l.Close()
	if err := l.Write(AppendRecord(nil, []byte("x")), 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("got %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestForeignFilesAreIgnored(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "README"), []byte("not a segment"), 0o644)
	_, got, _ := collect(t, OSDir(dir), Options{})
	if len(got) != 0 {
		t.Fatal(got)
	}
}
