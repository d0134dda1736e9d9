package exec

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Key hashing for partitioned stages. The hash must be the same in every
// process and on every platform, since a resumed job hands each instance
// the state snapshotted by the instance of the same number: so no
// hash/maphash (seeded per process), only fixed arithmetic. Equal values
// hash equal whatever their integer width, so an INTEGER key meets a
// BIGINT one; -0 and 0, and all NaNs, are one value each, as in grouping.

const (
	hashSeed = 0x9e3779b97f4a7c15
	nullHash = 0x5bd1e9955bd1e995
)

// hashRows resets h to n seeds.
func hashRows(h []uint64, n int) []uint64 {
	if cap(h) < n {
		h = make([]uint64, n)
	}
	h = h[:n]
	for i := range h {
		h[i] = hashSeed
	}
	return h
}

// mix folds value v into hash h (splitmix64's finalizer).
func mix(h, v uint64) uint64 {
	x := h ^ (v + hashSeed + (h << 6) + (h >> 2))
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// partitionOf maps a hash to [0, n) without a division.
func partitionOf(h, n uint64) int {
	hi, _ := bits.Mul64(h, n)
	return int(hi)
}

// hashColumn folds the values of column a into h, one per row.
func hashColumn(h []uint64, a arrow.Array) error {
	switch a := a.(type) {
	case *array.Int64:
		hashInts(h, a, a.Int64Values())
	case *array.Int32:
		hashInts(h, a, a.Int32Values())
	case *array.Timestamp:
		hashInts(h, a, a.TimestampValues())
	case *array.Date32:
		hashInts(h, a, a.Date32Values())
	case *array.Float64:
		for i, v := range a.Float64Values() {
			if a.IsNull(i) {
				h[i] = mix(h[i], nullHash)
				continue
			}
			if v == 0 {
				v = 0 // -0 is 0
			}
			bits := math.Float64bits(v)
			if v != v {
				bits = 0x7ff8000000000001
			}
			h[i] = mix(h[i], bits)
		}
	case *array.Boolean:
		for i := range h {
			switch {
			case a.IsNull(i):
				h[i] = mix(h[i], nullHash)
			case a.Value(i):
				h[i] = mix(h[i], 1)
			default:
				h[i] = mix(h[i], 0)
			}
		}
	case *array.String:
		for i := range h {
			if a.IsNull(i) {
				h[i] = mix(h[i], nullHash)
				continue
			}
			h[i] = mix(h[i], hashString(a.Value(i)))
		}
	default:
		return fmt.Errorf("cannot hash key column of type %s", a.DataType())
	}
	return nil
}

func hashInts[T int32 | int64 | arrow.Timestamp | arrow.Date32](h []uint64, a arrow.Array, vals []T) {
	nulls := a.NullN() > 0
	for i, v := range vals {
		if nulls && a.IsNull(i) {
			h[i] = mix(h[i], nullHash)
			continue
		}
		h[i] = mix(h[i], uint64(int64(v)))
	}
}

// hashString hashes s eight bytes at a time.
func hashString(s string) uint64 {
	h := uint64(len(s)) * 0x87c37b91114253d5
	for len(s) >= 8 {
		h = mix(h, uint64(s[0])|uint64(s[1])<<8|uint64(s[2])<<16|uint64(s[3])<<24|
			uint64(s[4])<<32|uint64(s[5])<<40|uint64(s[6])<<48|uint64(s[7])<<56)
		s = s[8:]
	}
	if len(s) > 0 {
		var tail [8]byte
		copy(tail[:], s)
		h = mix(h, binary.LittleEndian.Uint64(tail[:]))
	}
	return h
}
