package main

import (
	"errors"
	"fmt"
	"sort"

	"github.com/streamsql/streamsql/eventstream/wal"
)

// SQL runs one statement on the Durable Object's SQLite storage
// (ctx.storage.sql.exec) and returns its rows, each value an int64,
// float64, string, []byte or nil. In the Durable Object every statement
// run during one request is committed together before the response (or
// any other output) leaves the object, so a statement that returned is as
// durable as the reply that follows it.
type SQL interface {
	Exec(query string, args ...any) ([][]any, error)
}

// maxChunk bounds one stored blob: the Durable Object's SQLite refuses
// values over 2 MB, and a group commit can write more than that at once.
const maxChunk = 1 << 20

// walSchema holds the write-ahead log: one row per segment file, its
// bytes as ordered chunks (appends become inserts; nothing is rewritten).
var walSchema = []string{
	`CREATE TABLE IF NOT EXISTS wal_files (name TEXT PRIMARY KEY, size INTEGER NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS wal_chunks (name TEXT NOT NULL, off INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (name, off))`,
}

// SQLDir is a wal.Dir kept in SQLite tables, for the Durable Object whose
// storage is SQLite and which has no file system.
type SQLDir struct{ db SQL }

var _ wal.Dir = (*SQLDir)(nil)

// NewSQLDir creates the tables (if missing) and returns the directory.
func NewSQLDir(db SQL) (*SQLDir, error) {
	for _, stmt := range walSchema {
		if _, err := db.Exec(stmt); err != nil {
			return nil, fmt.Errorf("creating write-ahead log tables: %w", err)
		}
	}
	return &SQLDir{db: db}, nil
}

// List implements wal.Dir.
func (d *SQLDir) List() ([]string, error) {
	rows, err := d.db.Exec(`SELECT name FROM wal_files`)
	if err != nil {
		return nil, fmt.Errorf("listing write-ahead log files: %w", err)
	}
	names := make([]string, 0, len(rows))
	for _, r := range rows {
		name, ok := r[0].(string)
		if !ok {
			return nil, fmt.Errorf("listing write-ahead log files: name is %T, not text", r[0])
		}
		names = append(names, name)
	}
	sort.Strings(names)
	return names, nil
}

// ReadFile implements wal.Dir.
func (d *SQLDir) ReadFile(name string) ([]byte, error) {
	size, err := d.size(name)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	rows, err := d.db.Exec(`SELECT off, data FROM wal_chunks WHERE name = ? ORDER BY off`, name)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	out := make([]byte, 0, size)
	for _, r := range rows {
		off, okOff := asInt(r[0])
		data, okData := r[1].([]byte)
		if !okOff || !okData || off != int64(len(out)) {
			return nil, fmt.Errorf("reading %s: chunk at %v does not follow byte %d", name, r[0], len(out))
		}
		out = append(out, data...)
	}
	if int64(len(out)) != size {
		return nil, fmt.Errorf("reading %s: chunks hold %d bytes, the file %d", name, len(out), size)
	}
	return out, nil
}

// size returns a file's recorded length.
func (d *SQLDir) size(name string) (int64, error) {
	rows, err := d.db.Exec(`SELECT size FROM wal_files WHERE name = ?`, name)
	if err != nil {
		return 0, err
	}
	if len(rows) == 0 {
		return 0, errNoFile
	}
	n, ok := asInt(rows[0][0])
	if !ok {
		return 0, fmt.Errorf("size is %T, not an integer", rows[0][0])
	}
	return n, nil
}

var errNoFile = errors.New("no such write-ahead log file")

// Create implements wal.Dir.
func (d *SQLDir) Create(name string) (wal.File, error) {
	if _, err := d.size(name); err == nil {
		return nil, fmt.Errorf("creating %s: the file exists", name)
	} else if !errors.Is(err, errNoFile) {
		return nil, fmt.Errorf("creating %s: %w", name, err)
	}
	if _, err := d.db.Exec(`INSERT INTO wal_files (name, size) VALUES (?, 0)`, name); err != nil {
		return nil, fmt.Errorf("creating %s: %w", name, err)
	}
	return &sqlFile{d: d, name: name}, nil
}

// Truncate implements wal.Dir: chunks past size go, the one across it is
// cut.
func (d *SQLDir) Truncate(name string, size int64) error {
	rows, err := d.db.Exec(`SELECT off, length(data) FROM wal_chunks WHERE name = ? AND off < ? ORDER BY off DESC LIMIT 1`, name, size)
	if err != nil {
		return fmt.Errorf("truncating %s: %w", name, err)
	}
	if _, err := d.db.Exec(`DELETE FROM wal_chunks WHERE name = ? AND off >= ?`, name, size); err != nil {
		return fmt.Errorf("truncating %s: %w", name, err)
	}
	if len(rows) == 1 {
		off, _ := asInt(rows[0][0])
		n, _ := asInt(rows[0][1])
		if off+n > size {
			if _, err := d.db.Exec(`UPDATE wal_chunks SET data = substr(data, 1, ?) WHERE name = ? AND off = ?`, size-off, name, off); err != nil {
				return fmt.Errorf("truncating %s: %w", name, err)
			}
		}
	}
	if _, err := d.db.Exec(`UPDATE wal_files SET size = ? WHERE name = ?`, size, name); err != nil {
		return fmt.Errorf("truncating %s: %w", name, err)
	}
	return nil
}

// Remove implements wal.Dir.
func (d *SQLDir) Remove(name string) error {
	if _, err := d.db.Exec(`DELETE FROM wal_chunks WHERE name = ?`, name); err != nil {
		return fmt.Errorf("removing %s: %w", name, err)
	}
	if _, err := d.db.Exec(`DELETE FROM wal_files WHERE name = ?`, name); err != nil {
		return fmt.Errorf("removing %s: %w", name, err)
	}
	return nil
}

// sqlFile appends to one segment.
type sqlFile struct {
	d      *SQLDir
	name   string
	size   int64
	closed bool
}

// Write stores p as chunks after the file's end.
func (f *sqlFile) Write(p []byte) (int, error) {
	if f.closed {
		return 0, fmt.Errorf("writing %s: the file is closed", f.name)
	}
	written := 0
	for written < len(p) {
		chunk := p[written:min(len(p), written+maxChunk)]
		if _, err := f.d.db.Exec(`INSERT INTO wal_chunks (name, off, data) VALUES (?, ?, ?)`, f.name, f.size, chunk); err != nil {
			return written, fmt.Errorf("writing %s: %w", f.name, err)
		}
		f.size += int64(len(chunk))
		written += len(chunk)
		if _, err := f.d.db.Exec(`UPDATE wal_files SET size = ? WHERE name = ?`, f.size, f.name); err != nil {
			return written, fmt.Errorf("writing %s: %w", f.name, err)
		}
	}
	return written, nil
}

// Sync has nothing to do: the Durable Object commits the statements of a
// request before anything it outputs leaves (its output gate).
func (f *sqlFile) Sync() error { return nil }

// Close ends appends.
func (f *sqlFile) Close() error {
	f.closed = true
	return nil
}

// asInt reads an integer column (JavaScript hands numbers over as
// float64).
func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case float64:
		return int64(x), x == float64(int64(x))
	case int:
		return int64(x), true
	}
	return 0, false
}
