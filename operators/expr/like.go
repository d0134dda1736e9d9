package expr

import (
	"encoding/binary"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
)

// LIKE / ILIKE and the regular-expression functions. Constant patterns are
// compiled once per call site; varying ones are cached per batch.

func registerLikeKernels() {
	kernels["like"] = likeFactory(false)
	kernels["ilike"] = likeFactory(true)
	kernels["regexp_like"] = strKernel(regexpLikeFactory)
	kernels["regexp_replace"] = strKernel(regexpReplaceFactory)
}

type likeKind uint8

const (
	likeExact likeKind = iota
	likePrefix
	likeSuffix
	likeContains
	likePrefixSuffix
	likeAny // "%": every string
	likeGeneral
)

type tokKind uint8

const (
	tokLit  tokKind = iota
	tokOne          // _
	tokStar         // %
)

type likeTok struct {
	kind tokKind
	lit  string
}

// likeMatcher is a compiled LIKE pattern.
type likeMatcher struct {
	kind      likeKind
	lit, lit2 string
	toks      []likeTok
	fold      bool
	scratch   []byte
}

// compileLike parses pattern with the escape character esc ("" for none).
func compileLike(pattern, esc string, fold bool) (*likeMatcher, error) {
	if utf8.RuneCountInString(esc) > 1 {
		return nil, errors.New("invalid escape string: must be empty or one character")
	}
	if fold {
		pattern = strings.ToLower(pattern)
	}
	escR, _ := utf8.DecodeRuneInString(esc)
	var toks []likeTok
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			toks = append(toks, likeTok{kind: tokLit, lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(pattern); {
		r, size := utf8.DecodeRuneInString(pattern[i:])
		i += size
		switch {
		case esc != "" && r == escR:
			if i >= len(pattern) {
				return nil, errors.New("LIKE pattern must not end with escape character")
			}
			r2, size2 := utf8.DecodeRuneInString(pattern[i:])
			i += size2
			lit.WriteRune(r2)
		case r == '%':
			flush()
			if len(toks) == 0 || toks[len(toks)-1].kind != tokStar {
				toks = append(toks, likeTok{kind: tokStar})
			}
		case r == '_':
			flush()
			toks = append(toks, likeTok{kind: tokOne})
		default:
			lit.WriteRune(r)
		}
	}
	flush()
	m := &likeMatcher{kind: likeGeneral, toks: toks, fold: fold}
	shape := make([]byte, len(toks))
	for i, t := range toks {
		shape[i] = "L_%"[t.kind]
	}
	switch string(shape) {
	case "":
		m.kind = likeExact
	case "L":
		m.kind, m.lit = likeExact, toks[0].lit
	case "L%":
		m.kind, m.lit = likePrefix, toks[0].lit
	case "%L":
		m.kind, m.lit = likeSuffix, toks[1].lit
	case "%L%":
		m.kind, m.lit = likeContains, toks[1].lit
	case "L%L":
		m.kind, m.lit, m.lit2 = likePrefixSuffix, toks[0].lit, toks[2].lit
	case "%":
		m.kind = likeAny
	}
	return m, nil
}

// match reports whether s matches. With fold, s is lower-cased first
// (into scratch for ASCII, so a matcher is not safe for concurrent use).
func (m *likeMatcher) match(s string) bool {
	if m.fold {
		s = m.lower(s)
	}
	switch m.kind {
	case likeExact:
		return s == m.lit
	case likePrefix:
		return strings.HasPrefix(s, m.lit)
	case likeSuffix:
		return strings.HasSuffix(s, m.lit)
	case likeContains:
		return strings.Contains(s, m.lit)
	case likePrefixSuffix:
		return len(s) >= len(m.lit)+len(m.lit2) && strings.HasPrefix(s, m.lit) && strings.HasSuffix(s, m.lit2)
	case likeAny:
		return true
	}
	return globMatch(m.toks, s)
}

func (m *likeMatcher) lower(s string) string {
	if !isASCII(s) {
		return strings.ToLower(s)
	}
	m.scratch = append(m.scratch[:0], s...)
	for i, ch := range m.scratch {
		if ch >= 'A' && ch <= 'Z' {
			m.scratch[i] = ch + 32
		}
	}
	return unsafe.String(unsafe.SliceData(m.scratch), len(m.scratch))
}

// globMatch matches % and _ tokens with one backtracking point (the last
// %), which is exact for this pattern language.
func globMatch(toks []likeTok, s string) bool {
	ti, si := 0, 0
	starT, starS := -1, 0
	for {
		if ti < len(toks) {
			t := toks[ti]
			switch t.kind {
			case tokStar:
				starT, starS = ti, si
				ti++
				continue
			case tokOne:
				if si < len(s) {
					_, size := utf8.DecodeRuneInString(s[si:])
					si += size
					ti++
					continue
				}
			case tokLit:
				if strings.HasPrefix(s[si:], t.lit) {
					si += len(t.lit)
					ti++
					continue
				}
			}
		} else if si == len(s) {
			return true
		}
		if starT < 0 || starS >= len(s) {
			return false
		}
		_, size := utf8.DecodeRuneInString(s[starS:])
		starS += size
		ti, si = starT+1, starS
	}
}

func likeFactory(fold bool) factory {
	return strKernel(func(c *callInfo) (Evaluator, error) {
		pv, pConst := constOf(c.args[1])
		esc, escConst := `\`, true
		if len(c.args) == 3 {
			var v any
			v, escConst = constOf(c.args[2])
			if escConst {
				esc = v.(string)
			}
		}
		if pConst && escConst {
			m, err := compileLike(pv.(string), esc, fold)
			if err != nil {
				return nil, err
			}
			return infallible(newFuncArgs(c, []Evaluator{c.args[0]}, func(ctx *Context, n int, in []arrow.Array) (arrow.Array, error) {
				mm := *m // private scratch per evaluation
				return likeConst(ctx, in[0].(*array.String), &mm), nil
			})), nil
		}
		return strToBoolPer(c, func() func(r *rowArgs) (bool, error) {
			cache := map[[2]string]*likeMatcher{}
			return func(r *rowArgs) (bool, error) {
				e := esc
				if len(r.strs) == 3 {
					e = r.str(2)
				}
				key := [2]string{r.str(1), e}
				m, ok := cache[key]
				if !ok {
					var err error
					if m, err = compileLike(key[0], e, fold); err != nil {
						return false, err
					}
					if len(cache) > 1024 {
						clear(cache)
					}
					cache[[2]string{strings.Clone(key[0]), strings.Clone(e)}] = m
				}
				return m.match(r.str(0)), nil
			}
		}), nil
	})
}

// likeConst applies a constant pattern to every row, with dedicated loops
// for the common shapes. ILIKE over ASCII data lower-cases the batch's
// data once and then matches like LIKE.
func likeConst(ctx *Context, a *array.String, m *likeMatcher) arrow.Array {
	mem := allocator(ctx)
	n := a.Len()
	offs, data := strData(a)
	vb, bits := newBitmap(mem, n)
	if m.fold && isASCII(m.lit) && (m.kind == likePrefix || m.kind == likeSuffix || m.kind == likeExact) {
		p, mask := m.lit, foldMask(m.lit)
		for i := 0; i < n; i++ {
			row := data[offs[i]:offs[i+1]]
			part := row
			switch {
			case len(row) < len(p):
				continue
			case m.kind == likePrefix:
				part = row[:len(p)]
			case m.kind == likeSuffix:
				part = row[len(row)-len(p):]
			}
			eq, ascii := foldEqualASCII(part, p, mask)
			if !ascii {
				eq = m.match(row)
			}
			bits[i>>3] |= b2u(eq) << (i & 7)
		}
	} else if m.fold {
		body := data[offs[0]:offs[n]]
		lowered := make([]byte, len(body))
		if convertASCII(lowered, body, false) {
			plain := *m
			plain.fold = false
			base := offs[0]
			rebased := make([]int32, len(offs))
			for i, o := range offs {
				rebased[i] = o - base
			}
			likeLoop(&plain, rebased, unsafe.String(unsafe.SliceData(lowered), len(lowered)), bits)
		} else {
			for i := 0; i < n; i++ {
				bits[i>>3] |= b2u(m.match(data[offs[i]:offs[i+1]])) << (i & 7)
			}
		}
	} else {
		likeLoop(m, offs, data, bits)
	}
	return finish(arrow.FixedWidthTypes.Boolean, n, array.UnknownNullCount, copyValidity(mem, a), vb)
}

// likeLoop sets bit i of bits when row i (data[offs[i]:offs[i+1]])
// matches the case-sensitive matcher m.
func likeLoop(m *likeMatcher, offs []int32, data string, bits []byte) {
	n := len(offs) - 1
	switch m.kind {
	case likePrefix:
		p := m.lit
		for i := 0; i < n; i++ {
			s, e := offs[i], offs[i+1]
			bits[i>>3] |= b2u(int(e-s) >= len(p) && data[s:int(s)+len(p)] == p) << (i & 7)
		}
	case likeSuffix:
		p := m.lit
		for i := 0; i < n; i++ {
			s, e := offs[i], offs[i+1]
			bits[i>>3] |= b2u(int(e-s) >= len(p) && data[int(e)-len(p):e] == p) << (i & 7)
		}
	case likeExact:
		p := m.lit
		for i := 0; i < n; i++ {
			bits[i>>3] |= b2u(data[offs[i]:offs[i+1]] == p) << (i & 7)
		}
	case likeContains:
		containsLoop(m.lit, offs, data, bits)
	case likeAny:
		bitutil.SetBitsTo(bits, 0, int64(n), true)
	default:
		for i := 0; i < n; i++ {
			bits[i>>3] |= b2u(m.match(data[offs[i]:offs[i+1]])) << (i & 7)
		}
	}
}

// containsLoop finds p in all rows at once: it scans the whole data
// buffer for p's rarest byte (memchr-style, vectorized by the runtime),
// verifies each candidate and maps it back to its row, so rows without
// that byte cost almost nothing.
func containsLoop(p string, offs []int32, data string, bits []byte) {
	n := len(offs) - 1
	if p == "" {
		bitutil.SetBitsTo(bits, 0, int64(n), true)
		return
	}
	k := rarestByte(p)
	end := int(offs[n])
	r := 0
	pos := int(offs[0]) + k
	for r < n && pos < end {
		j := strings.IndexByte(data[pos:end], p[k])
		if j < 0 {
			return
		}
		st := pos + j - k // candidate start of p
		for int(offs[r+1]) <= st {
			r++
		}
		if st+len(p) <= int(offs[r+1]) && data[st:st+len(p)] == p {
			bitutil.SetBit(bits, r)
			r++
			if r < n {
				pos = int(offs[r]) + k
			}
			continue
		}
		pos += j + 1
	}
}

// byteRank orders bytes by how common they are in typical text (higher
// is more common); rarestByte picks the needle byte to scan for.
var byteRank = func() [256]uint8 {
	var r [256]uint8
	for i := range r {
		r[i] = 10
	}
	for c := 'A'; c <= 'Z'; c++ {
		r[c] = 40
	}
	for c := '0'; c <= '9'; c++ {
		r[c] = 60
	}
	for i, c := range "zqxjkvbpygfwmucldrhsnioate" {
		r[c] = uint8(100 + 5*i)
	}
	r[' '], r['.'], r[','], r['-'], r['_'], r['/'], r[':'] = 255, 90, 80, 80, 80, 80, 80
	return r
}()

func rarestByte(p string) int {
	best := 0
	for i := 1; i < len(p); i++ {
		if byteRank[p[i]] < byteRank[p[best]] {
			best = i
		}
	}
	return best
}

// foldEqualASCII compares s with the lower-case ASCII p ignoring ASCII
// case; mask holds 0x20 where p has a letter (so c|0x20 folds it) and 0
// elsewhere. ascii is false when s holds a non-ASCII byte (the caller then
// falls back to full Unicode lower-casing). Eight bytes at a time.
func foldEqualASCII(s, p, mask string) (eq, ascii bool) {
	if len(s) != len(p) {
		return false, true
	}
	const hi = 0x8080808080808080
	sb := unsafe.Slice(unsafe.StringData(s), len(s))
	pb := unsafe.Slice(unsafe.StringData(p), len(p))
	mb := unsafe.Slice(unsafe.StringData(mask), len(mask))
	var diff, high uint64
	i := 0
	for ; i+8 <= len(sb); i += 8 {
		w := binary.LittleEndian.Uint64(sb[i:])
		high |= w
		diff |= (w | binary.LittleEndian.Uint64(mb[i:])) ^ binary.LittleEndian.Uint64(pb[i:])
	}
	for ; i < len(sb); i++ {
		high |= uint64(sb[i])
		diff |= uint64((sb[i] | mb[i]) ^ pb[i])
	}
	return diff == 0, high&hi == 0
}

// foldMask is the mask argument of foldEqualASCII for p.
func foldMask(p string) string {
	m := make([]byte, len(p))
	for i := 0; i < len(p); i++ {
		if p[i] >= 'a' && p[i] <= 'z' {
			m[i] = 0x20
		}
	}
	return string(m)
}

// regexFlags parses Postgres regexp flags: g (global, replace only), i
// (ignore case), c (case-sensitive), s (dot matches newline), m/n
// (newline-sensitive anchors).
func regexFlags(flags string, allowG bool) (prefix string, global bool, err error) {
	var b strings.Builder
	for _, f := range flags {
		switch f {
		case 'g':
			if !allowG {
				return "", false, fmt.Errorf("regexp_like() does not support the \"global\" option")
			}
			global = true
		case 'i':
			b.WriteString("i")
		case 'c':
		case 's':
			b.WriteString("s")
		case 'm', 'n':
			b.WriteString("m")
		default:
			return "", false, fmt.Errorf("invalid regular expression option: %q", string(f))
		}
	}
	if b.Len() > 0 {
		return "(?" + b.String() + ")", global, nil
	}
	return "", global, nil
}

// regexCache compiles patterns once, constant or not.
type regexCache struct {
	allowG bool
	m      map[[2]string]*compiledRe
}

type compiledRe struct {
	re     *regexp.Regexp
	global bool
	repl   []replPart
}

func (c *regexCache) get(pattern, flags string) (*compiledRe, error) {
	key := [2]string{pattern, flags}
	if r, ok := c.m[key]; ok {
		return r, nil
	}
	prefix, global, err := regexFlags(flags, c.allowG)
	if err != nil {
		return nil, err
	}
	re, err := regexp.Compile(prefix + pattern)
	if err != nil {
		return nil, fmt.Errorf("invalid regular expression: %w", err)
	}
	if c.m == nil || len(c.m) > 1024 {
		c.m = map[[2]string]*compiledRe{}
	}
	r := &compiledRe{re: re, global: global}
	c.m[[2]string{strings.Clone(pattern), strings.Clone(flags)}] = r
	return r, nil
}

// constRegex compiles the pattern now when it and the flags are constant.
func constRegex(c *callInfo, flagArg int, allowG bool) (*compiledRe, error) {
	p, ok := constOf(c.args[1])
	if !ok {
		return nil, nil
	}
	flags := ""
	if len(c.args) > flagArg {
		v, ok := constOf(c.args[flagArg])
		if !ok {
			return nil, nil
		}
		flags = v.(string)
	}
	rc := &regexCache{allowG: allowG}
	return rc.get(p.(string), flags)
}

func regexpLikeFactory(c *callInfo) (Evaluator, error) {
	re, err := constRegex(c, 2, false)
	if err != nil {
		return nil, err
	}
	if re != nil {
		return strToBool(c, func(r *rowArgs) (bool, error) { return re.re.MatchString(r.str(0)), nil }), nil
	}
	return strToBoolPer(c, func() func(r *rowArgs) (bool, error) {
		cache := &regexCache{}
		return func(r *rowArgs) (bool, error) {
			cr, err := cache.get(r.str(1), flagsOf(r, 2))
			if err != nil {
				return false, err
			}
			return cr.re.MatchString(r.str(0)), nil
		}
	}), nil
}

func flagsOf(r *rowArgs, k int) string {
	if len(r.strs) > k {
		return r.str(k)
	}
	return ""
}

func regexpReplaceFactory(c *callInfo) (Evaluator, error) {
	re, err := constRegex(c, 3, true)
	if err != nil {
		return nil, err
	}
	var repl []replPart
	rv, replConst := constOf(c.args[2])
	if replConst {
		repl = parseRepl(rv.(string))
	}
	return strToStrPer(c, func() func(r *rowArgs, out *strBuilder) error {
		cache := &regexCache{allowG: true}
		return func(r *rowArgs, out *strBuilder) error {
			cr := re
			if cr == nil {
				var err error
				if cr, err = cache.get(r.str(1), flagsOf(r, 3)); err != nil {
					return err
				}
			}
			parts := repl
			if !replConst {
				parts = parseRepl(r.str(2))
			}
			out.appendString(regexReplace(cr, r.str(0), parts))
			return nil
		}
	}), nil
}

// replPart is a piece of a replacement: literal text or a group (0 for
// the whole match).
type replPart struct {
	lit   string
	group int
}

// parseRepl reads Postgres replacement syntax: \1..\9 insert groups, \&
// the whole match, \\ a backslash; everything else is literal.
func parseRepl(s string) []replPart {
	var parts []replPart
	var lit strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch == '\\' && i+1 < len(s) {
			nx := s[i+1]
			switch {
			case nx >= '1' && nx <= '9', nx == '&':
				if lit.Len() > 0 {
					parts = append(parts, replPart{lit: lit.String(), group: -1})
					lit.Reset()
				}
				g := 0
				if nx != '&' {
					g = int(nx - '0')
				}
				parts = append(parts, replPart{group: g})
				i++
				continue
			case nx == '\\':
				lit.WriteByte('\\')
				i++
				continue
			}
		}
		lit.WriteByte(ch)
	}
	if lit.Len() > 0 {
		parts = append(parts, replPart{lit: lit.String(), group: -1})
	}
	return parts
}

func regexReplace(cr *compiledRe, s string, parts []replPart) string {
	limit := 1
	if cr.global {
		limit = -1
	}
	ms := cr.re.FindAllStringSubmatchIndex(s, limit)
	if len(ms) == 0 {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range ms {
		b.WriteString(s[last:m[0]])
		for _, p := range parts {
			if p.group < 0 {
				b.WriteString(p.lit)
			} else if 2*p.group+1 < len(m) && m[2*p.group] >= 0 {
				b.WriteString(s[m[2*p.group]:m[2*p.group+1]])
			}
		}
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String()
}
