//go:build !js

package main

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/eventstream/wal"
)

// TestSQLDirWALRoundTrip: the write-ahead log kept in SQLite replays every
// record after a reopen, across segment rotations.
func TestSQLDirWALRoundTrip(t *testing.T) {
	db := newSQLite(t)
	dir, err := NewSQLDir(db)
	if err != nil {
		t.Fatal(err)
	}
	log, _, err := wal.Open(dir, wal.Options{SegmentBytes: 200}, func([]byte) (int64, error) { return 0, nil })
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range 30 {
		p := fmt.Sprintf(`{"n":%d}`, i)
		want = append(want, p)
		if err := log.Write(wal.AppendRecord(nil, []byte(p)), int64(i)); err != nil {
			t.Fatal(err)
		}
	}
	if log.Segments() < 3 {
		t.Fatalf("want several segments, got %d", log.Segments())
	}
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	dir2, err := NewSQLDir(db) // a woken object: tables exist already
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	_, stats, err := wal.Open(dir2, wal.Options{}, func(p []byte) (int64, error) { got = append(got, string(p)); return 0, nil })
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") || stats.TornBytes != 0 {
		t.Fatalf("replayed %v (torn %d), want %v", got, stats.TornBytes, want)
	}
}

// TestSQLDirLargeWriteIsChunked: a write over the 2 MB value limit is
// stored as several chunks and reads back whole.
func TestSQLDirLargeWriteIsChunked(t *testing.T) {
	db := newSQLite(t)
	dir, _ := NewSQLDir(db)
	f, err := dir.Create("a.wal")
	if err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("0123456789"), (5*maxChunk/2)/10)
	if n, err := f.Write(big); err != nil || n != len(big) {
		t.Fatalf("write: %d, %v", n, err)
	}
	rows, _ := db.Exec(`SELECT COUNT(*) FROM wal_chunks WHERE name = 'a.wal'`)
	if n, _ := asInt(rows[0][0]); n != 3 {
		t.Fatalf("want 3 chunks, got %v", rows[0][0])
	}
	got, err := dir.ReadFile("a.wal")
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("read back %d bytes, %v", len(got), err)
	}
}

// TestSQLDirTruncateCutsInsideAChunk: a torn tail is cut where replay
// says, inside a chunk, and the file reads back as the prefix.
func TestSQLDirTruncateCutsInsideAChunk(t *testing.T) {
	dir, _ := NewSQLDir(newSQLite(t))
	f, _ := dir.Create("a.wal")
	for _, s := range []string{"aaaa", "bbbb", "cccc"} {
		if _, err := f.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	if err := dir.Truncate("a.wal", 6); err != nil {
		t.Fatal(err)
	}
	if got, err := dir.ReadFile("a.wal"); err != nil || string(got) != "aaaabb" {
		t.Fatalf("after truncate: %q, %v", got, err)
	}
}

// TestSQLDirTornTailRepaired: garbage after the last record (a torn
// write) is cut on replay; every record before it survives.
func TestSQLDirTornTailRepaired(t *testing.T) {
	db := newSQLite(t)
	dir, _ := NewSQLDir(db)
	log, _, _ := wal.Open(dir, wal.Options{}, func([]byte) (int64, error) { return 0, nil })
	for i := range 3 {
		if err := log.Write(wal.AppendRecord(nil, fmt.Appendf(nil, "r%d", i)), 0); err != nil {
			t.Fatal(err)
		}
	}
	names, _ := dir.List()
	last := names[len(names)-1]
	size, _ := dir.size(last)
	if _, err := db.Exec(`INSERT INTO wal_chunks (name, off, data) VALUES (?, ?, ?)`, last, size, []byte{9, 0, 0, 0, 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE wal_files SET size = ? WHERE name = ?`, size+5, last); err != nil {
		t.Fatal(err)
	}
	var got []string
	_, stats, err := wal.Open(dir, wal.Options{}, func(p []byte) (int64, error) { got = append(got, string(p)); return 0, nil })
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "r0,r1,r2" || stats.TornBytes != 5 {
		t.Fatalf("replayed %v, torn %d", got, stats.TornBytes)
	}
}

// TestSQLDirDetectsMissingChunk: a gap in a file's chunks is damage, not
// silently skipped bytes.
func TestSQLDirDetectsMissingChunk(t *testing.T) {
	db := newSQLite(t)
	dir, _ := NewSQLDir(db)
	f, _ := dir.Create("a.wal")
	f.Write([]byte("aaaa"))
	f.Write([]byte("bbbb"))
	if _, err := db.Exec(`DELETE FROM wal_chunks WHERE off = 0`); err != nil {
		t.Fatal(err)
	}
	if _, err := dir.ReadFile("a.wal"); err == nil || !strings.Contains(err.Error(), "does not follow") {
		t.Fatalf("want a gap error, got %v", err)
	}
}

// TestSQLDirCreateAndErrors: Create refuses an existing file, a closed
// file refuses writes, and storage failures come back wrapped.
func TestSQLDirCreateAndErrors(t *testing.T) {
	db := newSQLite(t)
	dir, _ := NewSQLDir(db)
	f, err := dir.Create("a.wal")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dir.Create("a.wal"); err == nil {
		t.Fatal("created a file twice")
	}
	f.Close()
	if _, err := f.Write([]byte("x")); err == nil {
		t.Fatal("wrote to a closed file")
	}
	if _, err := dir.ReadFile("missing.wal"); err == nil {
		t.Fatal("read a missing file")
	}
	db.setFail(func(string) error { return errInjected })
	for name, err := range map[string]error{
		"list":     func() error { _, err := dir.List(); return err }(),
		"create":   func() error { _, err := dir.Create("b.wal"); return err }(),
		"truncate": dir.Truncate("a.wal", 0),
		"remove":   dir.Remove("a.wal"),
		"read":     func() error { _, err := dir.ReadFile("a.wal"); return err }(),
	} {
		if !errors.Is(err, errInjected) {
			t.Errorf("%s: want the storage error wrapped, got %v", name, err)
		}
	}
	if _, err := NewSQLDir(db); !errors.Is(err, errInjected) {
		t.Errorf("NewSQLDir: %v", err)
	}
	g := &sqlFile{d: dir, name: "a.wal"}
	if _, err := g.Write([]byte("x")); !errors.Is(err, errInjected) {
		t.Errorf("write: %v", err)
	}
}

// TestSQLDirRemove: a removed segment is gone with its chunks.
func TestSQLDirRemove(t *testing.T) {
	db := newSQLite(t)
	dir, _ := NewSQLDir(db)
	f, _ := dir.Create("a.wal")
	f.Write([]byte("abc"))
	if err := dir.Remove("a.wal"); err != nil {
		t.Fatal(err)
	}
	names, _ := dir.List()
	rows, _ := db.Exec(`SELECT COUNT(*) FROM wal_chunks`)
	if n, _ := asInt(rows[0][0]); len(names) != 0 || n != 0 {
		t.Fatalf("left %v and %d chunks", names, n)
	}
}
