// Unrolled comparison loops, one const and one vector form per operator,
// written out mechanically; keep the six in step when changing one.

package expr

import "cmp"

// Unrolled comparison loops writing one bit per row into out (zeroed,
// len(out)*8 >= len(a)). Values under NULL slots are compared too; the
// caller's validity bitmap masks them.

func eqConst[T cmp.Ordered](a []T, c T, out []byte) {
	n := len(a)
	i := 0
	for ; i+8 <= n; i += 8 {
		v := a[i : i+8 : i+8]
		out[i>>3] = b2u(v[0] == c)<<0 |
			b2u(v[1] == c)<<1 |
			b2u(v[2] == c)<<2 |
			b2u(v[3] == c)<<3 |
			b2u(v[4] == c)<<4 |
			b2u(v[5] == c)<<5 |
			b2u(v[6] == c)<<6 |
			b2u(v[7] == c)<<7
	}
	for ; i < n; i++ {
		out[i>>3] |= b2u(a[i] == c) << (i & 7)
	}
}

func eqVec[T cmp.Ordered](a, b []T, out []byte) {
	n := len(a)
	b = b[:n]
	i := 0
	for ; i+8 <= n; i += 8 {
		v, w := a[i:i+8:i+8], b[i:i+8:i+8]
		out[i>>3] = b2u(v[0] == w[0])<<0 |
			b2u(v[1] == w[1])<<1 |
			b2u(v[2] == w[2])<<2 |
			b2u(v[3] == w[3])<<3 |
			b2u(v[4] == w[4])<<4 |
			b2u(v[5] == w[5])<<5 |
			b2u(v[6] == w[6])<<6 |
			b2u(v[7] == w[7])<<7
	}
	for ; i < n; i++ {
		out[i>>3] |= b2u(a[i] == b[i]) << (i & 7)
	}
}

func neConst[T cmp.Ordered](a []T, c T, out []byte) {
	n := len(a)
	i := 0
	for ; i+8 <= n; i += 8 {
		v := a[i : i+8 : i+8]
		out[i>>3] = b2u(v[0] != c)<<0 |
			b2u(v[1] != c)<<1 |
			b2u(v[2] != c)<<2 |
			b2u(v[3] != c)<<3 |
			b2u(v[4] != c)<<4 |
			b2u(v[5] != c)<<5 |
			b2u(v[6] != c)<<6 |
			b2u(v[7] != c)<<7
	}
	for ; i < n; i++ {
		out[i>>3] |= b2u(a[i] != c) << (i & 7)
	}
}

func neVec[T cmp.Ordered](a, b []T, out []byte) {
	n := len(a)
	b = b[:n]
	i := 0
	for ; i+8 <= n; i += 8 {
		v, w := a[i:i+8:i+8], b[i:i+8:i+8]
		out[i>>3] = b2u(v[0] != w[0])<<0 |
			b2u(v[1] != w[1])<<1 |
			b2u(v[2] != w[2])<<2 |
			b2u(v[3] != w[3])<<3 |
			b2u(v[4] != w[4])<<4 |
			b2u(v[5] != w[5])<<5 |
			b2u(v[6] != w[6])<<6 |
			b2u(v[7] != w[7])<<7
	}
	for ; i < n; i++ {
		out[i>>3] |= b2u(a[i] != b[i]) << (i & 7)
	}
}

func ltConst[T cmp.Ordered](a []T, c T, out []byte) {
	n := len(a)
	i := 0
	for ; i+8 <= n; i += 8 {
		v := a[i : i+8 : i+8]
		out[i>>3] = b2u(v[0] < c)<<0 |
			b2u(v[1] < c)<<1 |
			b2u(v[2] < c)<<2 |
			b2u(v[3] < c)<<3 |
			b2u(v[4] < c)<<4 |
			b2u(v[5] < c)<<5 |
			b2u(v[6] < c)<<6 |
			b2u(v[7] < c)<<7
	}
	for ; i < n; i++ {
		out[i>>3] |= b2u(a[i] < c) << (i & 7)
	}
}

func ltVec[T cmp.Ordered](a, b []T, out []byte) {
	n := len(a)
	b = b[:n]
	i := 0
	for ; i+8 <= n; i += 8 {
		v, w := a[i:i+8:i+8], b[i:i+8:i+8]
		out[i>>3] = b2u(v[0] < w[0])<<0 |
			b2u(v[1] < w[1])<<1 |
			b2u(v[2] < w[2])<<2 |
			b2u(v[3] < w[3])<<3 |
			b2u(v[4] < w[4])<<4 |
			b2u(v[5] < w[5])<<5 |
			b2u(v[6] < w[6])<<6 |
			b2u(v[7] < w[7])<<7
	}
	for ; i < n; i++ {
		out[i>>3] |= b2u(a[i] < b[i]) << (i & 7)
	}
}

func leConst[T cmp.Ordered](a []T, c T, out []byte) {
	n := len(a)
	i := 0
	for ; i+8 <= n; i += 8 {
		v := a[i : i+8 : i+8]
		out[i>>3] = b2u(v[0] <= c)<<0 |
			b2u(v[1] <= c)<<1 |
			b2u(v[2] <= c)<<2 |
			b2u(v[3] <= c)<<3 |
			b2u(v[4] <= c)<<4 |
			b2u(v[5] <= c)<<5 |
			b2u(v[6] <= c)<<6 |
			b2u(v[7] <= c)<<7
	}
	for ; i < n; i++ {
		out[i>>3] |= b2u(a[i] <= c) << (i & 7)
	}
}

func leVec[T cmp.Ordered](a, b []T, out []byte) {
	n := len(a)
	b = b[:n]
	i := 0
	for ; i+8 <= n; i += 8 {
		v, w := a[i:i+8:i+8], b[i:i+8:i+8]
		out[i>>3] = b2u(v[0] <= w[0])<<0 |
			b2u(v[1] <= w[1])<<1 |
			b2u(v[2] <= w[2])<<2 |
			b2u(v[3] <= w[3])<<3 |
			b2u(v[4] <= w[4])<<4 |
			b2u(v[5] <= w[5])<<5 |
			b2u(v[6] <= w[6])<<6 |
			b2u(v[7] <= w[7])<<7
	}
	for ; i < n; i++ {
		out[i>>3] |= b2u(a[i] <= b[i]) << (i & 7)
	}
}

func gtConst[T cmp.Ordered](a []T, c T, out []byte) {
	n := len(a)
	i := 0
	for ; i+8 <= n; i += 8 {
		v := a[i : i+8 : i+8]
		out[i>>3] = b2u(v[0] > c)<<0 |
			b2u(v[1] > c)<<1 |
			b2u(v[2] > c)<<2 |
			b2u(v[3] > c)<<3 |
			b2u(v[4] > c)<<4 |
			b2u(v[5] > c)<<5 |
			b2u(v[6] > c)<<6 |
			b2u(v[7] > c)<<7
	}
	for ; i < n; i++ {
		out[i>>3] |= b2u(a[i] > c) << (i & 7)
	}
}

func gtVec[T cmp.Ordered](a, b []T, out []byte) {
	n := len(a)
	b = b[:n]
	i := 0
	for ; i+8 <= n; i += 8 {
		v, w := a[i:i+8:i+8], b[i:i+8:i+8]
		out[i>>3] = b2u(v[0] > w[0])<<0 |
			b2u(v[1] > w[1])<<1 |
			b2u(v[2] > w[2])<<2 |
			b2u(v[3] > w[3])<<3 |
			b2u(v[4] > w[4])<<4 |
			b2u(v[5] > w[5])<<5 |
			b2u(v[6] > w[6])<<6 |
			b2u(v[7] > w[7])<<7
	}
	for ; i < n; i++ {
		out[i>>3] |= b2u(a[i] > b[i]) << (i & 7)
	}
}

func geConst[T cmp.Ordered](a []T, c T, out []byte) {
	n := len(a)
	i := 0
	for ; i+8 <= n; i += 8 {
		v := a[i : i+8 : i+8]
		out[i>>3] = b2u(v[0] >= c)<<0 |
			b2u(v[1] >= c)<<1 |
			b2u(v[2] >= c)<<2 |
			b2u(v[3] >= c)<<3 |
			b2u(v[4] >= c)<<4 |
			b2u(v[5] >= c)<<5 |
			b2u(v[6] >= c)<<6 |
			b2u(v[7] >= c)<<7
	}
	for ; i < n; i++ {
		out[i>>3] |= b2u(a[i] >= c) << (i & 7)
	}
}

func geVec[T cmp.Ordered](a, b []T, out []byte) {
	n := len(a)
	b = b[:n]
	i := 0
	for ; i+8 <= n; i += 8 {
		v, w := a[i:i+8:i+8], b[i:i+8:i+8]
		out[i>>3] = b2u(v[0] >= w[0])<<0 |
			b2u(v[1] >= w[1])<<1 |
			b2u(v[2] >= w[2])<<2 |
			b2u(v[3] >= w[3])<<3 |
			b2u(v[4] >= w[4])<<4 |
			b2u(v[5] >= w[5])<<5 |
			b2u(v[6] >= w[6])<<6 |
			b2u(v[7] >= w[7])<<7
	}
	for ; i < n; i++ {
		out[i>>3] |= b2u(a[i] >= b[i]) << (i & 7)
	}
}
