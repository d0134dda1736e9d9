package file

import (
	"sync"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// maxRecycled bounds the buffers a recycler keeps: a few batches'
// worth, as many as are typically in flight downstream.
const maxRecycled = 8

// recycler is an allocator that keeps the buffers of released batches
// for the next batches of the same decoder. The Go allocator zeroes each
// fresh buffer, which for a batch of small payloads costs about as much
// as copying them in, and adds to the garbage collector's work. Handed
// out buffers hold stale bytes beyond what the new batch writes.
// Buffers are freed from whichever goroutine releases a batch, so the
// free list is locked; after close, frees go straight to the allocator.
type recycler struct {
	mem    memory.Allocator
	mu     sync.Mutex
	free   [][]byte // as the allocator returned them
	closed bool
}

var _ memory.Allocator = (*recycler)(nil)

func newRecycler(mem memory.Allocator) *recycler { return &recycler{mem: mem} }

// Allocate returns the smallest kept buffer of at least size bytes (its
// whole length, so that Free gets back what the allocator returned), or
// a new one.
func (r *recycler) Allocate(size int) []byte {
	r.mu.Lock()
	fit := -1
	for i, b := range r.free {
		if len(b) >= size && (fit < 0 || len(b) < len(r.free[fit])) {
			fit = i
		}
	}
	if fit < 0 {
		r.mu.Unlock()
		return r.mem.Allocate(size)
	}
	b := r.free[fit]
	last := len(r.free) - 1
	r.free[fit], r.free[last] = r.free[last], nil
	r.free = r.free[:last]
	r.mu.Unlock()
	return b
}

// Reallocate grows b, keeping its bytes.
func (r *recycler) Reallocate(size int, b []byte) []byte {
	if len(b) >= size {
		return b
	}
	nb := r.Allocate(size)
	copy(nb, b)
	r.Free(b)
	return nb
}

// Free keeps b for a later Allocate, or frees it when enough are kept
// (dropping the smallest, which the next batches are least likely to
// fit) or the recycler is closed.
func (r *recycler) Free(b []byte) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		r.mem.Free(b)
		return
	}
	if len(r.free) < maxRecycled {
		r.free = append(r.free, b)
		r.mu.Unlock()
		return
	}
	small := 0
	for i, f := range r.free {
		if len(f) < len(r.free[small]) {
			small = i
		}
	}
	if len(b) > len(r.free[small]) {
		b, r.free[small] = r.free[small], b
	}
	r.mu.Unlock()
	r.mem.Free(b)
}

// close frees the kept buffers; buffers freed later go straight to the
// allocator.
func (r *recycler) close() {
	r.mu.Lock()
	free := r.free
	r.free, r.closed = nil, true
	r.mu.Unlock()
	for _, b := range free {
		r.mem.Free(b)
	}
}
