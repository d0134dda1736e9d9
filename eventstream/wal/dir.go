package wal

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
)

// Dir is where a Log keeps its segment files. It is an interface so the
// log runs wherever there is somewhere durable to write: OSDir on a disk,
// a Durable Object's storage behind a shim in wasm.
//
// Names are plain file names (no separators). Create makes a new, empty
// file that must not exist yet, durably (its directory entry survives a
// crash once Create returns). Truncate cuts a file to size and makes the
// cut durable. List returns the names in the directory in any order.
type Dir interface {
	List() ([]string, error)
	ReadFile(name string) ([]byte, error)
	Create(name string) (File, error)
	Truncate(name string, size int64) error
	Remove(name string) error
}

// File is a segment open for appending. Sync returns once everything
// written so far is durable (fsync).
type File interface {
	io.Writer
	Sync() error
	Close() error
}

// OSDir is a Dir on the local file system, created on first use.
type OSDir string

var _ Dir = OSDir("")

// List implements Dir.
func (d OSDir) List() ([]string, error) {
	ents, err := os.ReadDir(string(d))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", d, err)
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		if e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// ReadFile implements Dir.
func (d OSDir) ReadFile(name string) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(string(d), name))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return b, nil
}

// Create implements Dir.
func (d OSDir) Create(name string) (File, error) {
	if err := os.MkdirAll(string(d), 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", d, err)
	}
	f, err := os.OpenFile(filepath.Join(string(d), name), os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", name, err)
	}
	if err := d.syncDir(); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// syncDir makes new directory entries durable. Platforms that cannot sync
// a directory (wasip1 runtimes, some file systems) report EINVAL or
// "unsupported": there is nothing more to do there, so that is not an
// error.
func (d OSDir) syncDir() error {
	dir, err := os.Open(string(d))
	if err != nil {
		return fmt.Errorf("syncing %s: %w", d, err)
	}
	defer dir.Close()
	if err := dir.Sync(); err != nil && !ignorableDirSyncError(err) {
		return fmt.Errorf("syncing %s: %w", d, err)
	}
	return nil
}

// Truncate implements Dir.
func (d OSDir) Truncate(name string, size int64) error {
	f, err := os.OpenFile(filepath.Join(string(d), name), os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("truncating %s: %w", name, err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		return fmt.Errorf("truncating %s: %w", name, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("truncating %s: %w", name, err)
	}
	return nil
}

// Remove implements Dir.
func (d OSDir) Remove(name string) error {
	if err := os.Remove(filepath.Join(string(d), name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing %s: %w", name, err)
	}
	return nil
}
