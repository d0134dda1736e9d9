package nexmark

import (
	"math"
	"math/bits"
)

// rng is SplitMix64 (Steele, Lea and Flood; the generator behind Java's
// SplittableRandom): a 64-bit counter passed through a mixing function.
// Seeding it from (seed, event id, column) lets every value be generated
// independently of every other.
type rng struct{ s uint64 }

const golden = 0x9e3779b97f4a7c15

// mix64 is SplitMix64's output function.
func mix64(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// eventRng is the random stream of one event (and one column of it: the
// stream number keeps columns independent, so a projection draws the same
// values as a full row).
func eventRng(seed uint64, e int64, stream uint64) rng {
	return rng{s: mix64(seed+uint64(e)*golden) ^ (stream * 0xd1b54a32d192ed03)}
}

func (r *rng) next() uint64 {
	r.s += golden
	return mix64(r.s)
}

// intn is uniform in [0, n) for n > 0 (Lemire's multiply-high; the bias
// below 2^-40 for our n is irrelevant here).
func (r *rng) intn(n int64) int64 {
	hi, _ := bits.Mul64(r.next(), uint64(n))
	return int64(hi)
}

// float is uniform in [0, 1).
func (r *rng) float() float64 {
	return float64(r.next()>>11) * 0x1p-53
}

// price is log-uniform in [100, 100,000,000]: round(10^(6u) × 100).
func (r *rng) price() int64 {
	return int64(math.Round(math.Exp(r.float()*6*math.Ln10) * 100))
}

// appendString appends a random string of 3..maxLen-1 lower-case letters
// in which about one byte in 13 is special; a ' ' special is trimmed at
// the ends, as Java's nextString does.
func (r *rng) appendString(dst []byte, maxLen int64, special byte) []byte {
	n := 3 + r.intn(maxLen-3)
	start := len(dst)
	for ; n > 0; n-- {
		v := r.next()
		if v%13 == 0 {
			dst = append(dst, special)
		} else {
			dst = append(dst, 'a'+byte((v>>32)%26))
		}
	}
	if special == ' ' {
		s := dst[start:]
		i, j := 0, len(s)
		for i < j && s[i] == ' ' {
			i++
		}
		for j > i && s[j-1] == ' ' {
			j--
		}
		copy(s, s[i:j])
		dst = dst[:start+j-i]
	}
	return dst
}

// extraLen is the padding length that brings a row of currentSize bytes
// to avgSize on average: uniform in ±20% of the difference.
func (r *rng) extraLen(currentSize, avgSize int) int {
	if currentSize > avgSize {
		return 0
	}
	d := avgSize - currentSize
	delta := int(math.Round(float64(d) * 0.2))
	if delta == 0 {
		return d - delta
	}
	return d - delta + int(r.intn(int64(2*delta)))
}
