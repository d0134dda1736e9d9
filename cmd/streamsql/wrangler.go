package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// wranglerBatch is the batch setting of a wrangler.toml [[pipelines]]
// entry: `batch = { max_bytes = 1048576, max_seconds = 60 }`.
type wranglerBatch struct {
	maxBytes   int64
	maxSeconds int
}

var batchKey = regexp.MustCompile(`\b(max_bytes|max_seconds)\s*=\s*([0-9_]+)`)

// readWranglerBatch reads the first [[pipelines]] entry's batch settings.
// It understands the inline-table form the seed's wrangler.toml uses and a
// [pipelines.batch] sub-table; anything else in the file is ignored.
func readWranglerBatch(path string) (wranglerBatch, error) {
	f, err := os.Open(path)
	if err != nil {
		return wranglerBatch{}, fmt.Errorf("reading %s: %w", path, err)
	}
	defer f.Close()
	var b wranglerBatch
	in, found := false, false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if strings.HasPrefix(line, "[") {
			if in && line != "[pipelines.batch]" {
				break // the first entry is over
			}
			if line == "[[pipelines]]" {
				in, found = true, true
			}
			continue
		}
		if !in {
			continue
		}
		for _, m := range batchKey.FindAllStringSubmatch(line, -1) {
			v, err := strconv.ParseInt(strings.ReplaceAll(m[2], "_", ""), 10, 64)
			if err != nil || v <= 0 {
				return b, fmt.Errorf("reading %s:%d: %s = %s: want a positive integer", path, n, m[1], m[2])
			}
			if m[1] == "max_bytes" {
				b.maxBytes = v
			} else {
				b.maxSeconds = int(v)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return b, fmt.Errorf("reading %s: %w", path, err)
	}
	if !found {
		return b, fmt.Errorf("reading %s: no [[pipelines]] entry", path)
	}
	return b, nil
}
