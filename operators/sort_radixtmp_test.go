//go:build linux

package operators

import (
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

func radixLSD(items, tmp []sortItem) []sortItem {
	n := len(items)
	var counts [8][256]int
	for _, it := range items {
		k := it.key
		counts[0][byte(k)]++
		counts[1][byte(k>>8)]++
		counts[2][byte(k>>16)]++
		counts[3][byte(k>>24)]++
		counts[4][byte(k>>32)]++
		counts[5][byte(k>>40)]++
		counts[6][byte(k>>48)]++
		counts[7][byte(k>>56)]++
	}
	src, dst := items, tmp[:n]
	for d := range 8 {
		c := &counts[d]
		shift := uint(d * 8)
		if c[byte(src[0].key>>shift)] == n {
			continue
		}
		sum := 0
		for b := range c {
			sum, c[b] = sum+c[b], sum
		}
		for _, it := range src {
			b := byte(it.key >> shift)
			dst[c[b]] = it
			c[b]++
		}
		src, dst = dst, src
	}
	return src
}

func TestRadixTmp(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	r := rand.New(rand.NewPCG(1, 1))
	base := make([]sortItem, 1<<20)
	for i := range base {
		base[i] = sortItem{r.Uint64(), int32(i)}
	}
	items := make([]sortItem, len(base))
	tmp := make([]sortItem, len(base))
	for _, f := range []struct {
		name string
		f    func(a, b []sortItem) []sortItem
	}{{"lsd", radixLSD}, {"cur", sortRadix}, {"lsd", radixLSD}, {"cur", sortRadix}} {
		best := time.Hour
		for range 10 {
			copy(items, base)
			st := cpuNow()
			f.f(items, tmp)
			best = min(best, cpuNow()-st)
		}
		t.Logf("%s %v", f.name, best)
	}
}
