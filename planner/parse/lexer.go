package parse

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokKind classifies tokens. Keywords are not a separate kind: whether a
// word is a keyword depends on where it appears (most are usable as names),
// so the parser decides by looking at tWord values.
type tokKind uint8

const (
	tEOF    tokKind = iota
	tWord           // unquoted identifier or keyword; val is lower case
	tQuoted         // "quoted identifier"; val is verbatim, unescaped
	tString         // 'string'; val is unescaped
	tNumber         // val as written
	tParam          // $n; val is the digits
	tOp             // punctuation or operator; val is the operator text
)

type token struct {
	kind tokKind
	val  string
	pos  Pos
	end  int // byte offset just past the token
}

// lexer turns the whole input into tokens up front. Lexing eagerly lets the
// parser look ahead freely (it needs matching parentheses to tell a
// parenthesised query from a parenthesised expression or join).
type lexer struct {
	src       string
	off       int
	line, col int
	toks      []token
	last      Pos // just past the last token: where "end of input" is reported
}

// lex tokenises src. The final token is always tEOF, positioned just after
// the last real token so "found end of input" carets point at the place
// where something is missing rather than at trailing blank lines.
func lex(src string) ([]token, *Error) {
	l := &lexer{src: src, line: 1, col: 1, last: Pos{Line: 1, Col: 1}}
	for {
		if err := l.skipSpace(); err != nil {
			return nil, err
		}
		if l.off >= len(l.src) {
			l.toks = append(l.toks, token{kind: tEOF, pos: l.last, end: l.last.Offset})
			return l.toks, nil
		}
		start := l.here()
		tok, err := l.scan(start)
		if err != nil {
			return nil, err
		}
		tok.pos = start
		tok.end = l.off
		l.toks = append(l.toks, tok)
		l.last = l.here()
	}
}

func (l *lexer) here() Pos { return Pos{Line: l.line, Col: l.col, Offset: l.off} }

// at returns the byte k positions ahead, or 0 past the end.
func (l *lexer) at(k int) byte {
	if l.off+k < len(l.src) {
		return l.src[l.off+k]
	}
	return 0
}

// advance moves over one rune, keeping line and column (in runes) current.
func (l *lexer) advance() {
	if l.off >= len(l.src) {
		return
	}
	if l.src[l.off] == '\n' {
		l.line++
		l.col = 1
		l.off++
		return
	}
	_, size := utf8.DecodeRuneInString(l.src[l.off:])
	l.off += size
	l.col++
}

func (l *lexer) errorf(pos Pos, format string, args ...any) *Error {
	return NewError(l.src, pos, format, args...)
}

func (l *lexer) skipSpace() *Error {
	for l.off < len(l.src) {
		c := l.src[l.off]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			l.advance()
		case c == '-' && l.at(1) == '-':
			for l.off < len(l.src) && l.src[l.off] != '\n' {
				l.advance()
			}
		case c == '/' && l.at(1) == '*':
			// Block comments nest, as in Postgres, so commenting out a
			// region that already holds a comment works.
			start := l.here()
			l.advance()
			l.advance()
			for depth := 1; depth > 0; {
				switch {
				case l.off >= len(l.src):
					return l.errorf(start, "unterminated comment")
				case l.src[l.off] == '/' && l.at(1) == '*':
					depth++
					l.advance()
					l.advance()
				case l.src[l.off] == '*' && l.at(1) == '/':
					depth--
					l.advance()
					l.advance()
				default:
					l.advance()
				}
			}
		default:
			return nil
		}
	}
	return nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isIdentStart(r rune) bool { return r == '_' || unicode.IsLetter(r) }

func isIdentCont(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

// runeAt decodes the rune at the current offset (RuneError at the end).
func (l *lexer) runeAt() rune {
	r, _ := utf8.DecodeRuneInString(l.src[l.off:])
	return r
}

// multi-character operators, longest first so maximal munch works.
var operators = []string{"->>", "<=", ">=", "<>", "!=", "||", "::", "->",
	"+", "-", "*", "/", "%", "(", ")", ",", ";", ".", "=", "<", ">"}

func (l *lexer) scan(start Pos) (token, *Error) {
	c := l.src[l.off]
	r := l.runeAt()
	switch {
	case isIdentStart(r):
		for l.off < len(l.src) && isIdentCont(l.runeAt()) {
			l.advance()
		}
		return token{kind: tWord, val: strings.ToLower(l.src[start.Offset:l.off])}, nil
	case isDigit(c) || (c == '.' && isDigit(l.at(1))):
		return l.scanNumber(start)
	case c == '\'':
		s, err := l.scanQuoted('\'', start, "unterminated string literal")
		return token{kind: tString, val: s}, err
	case c == '"':
		s, err := l.scanQuoted('"', start, "unterminated quoted identifier")
		if err == nil && s == "" {
			err = l.errorf(start, "zero-length quoted identifier")
		}
		return token{kind: tQuoted, val: s}, err
	case c == '$':
		return l.scanParam(start)
	}
	for _, op := range operators {
		if strings.HasPrefix(l.src[l.off:], op) {
			for range op {
				l.advance()
			}
			return token{kind: tOp, val: op}, nil
		}
	}
	if r == utf8.RuneError {
		return token{}, l.errorf(start, "invalid UTF-8 byte 0x%02X", c)
	}
	return token{}, l.errorf(start, "unexpected character %s", strconv.QuoteRune(r))
}

func (l *lexer) digits() {
	for isDigit(l.at(0)) {
		l.advance()
	}
}

// junk consumes identifier characters and dots glued to a number so the
// error shows the whole malformed word ("12abc", "1.2.3"), not just a piece.
func (l *lexer) junk() {
	for l.off < len(l.src) && (l.src[l.off] == '.' || isIdentCont(l.runeAt())) {
		l.advance()
	}
}

func (l *lexer) scanNumber(start Pos) (token, *Error) {
	l.digits()
	if l.at(0) == '.' {
		l.advance()
		l.digits()
	}
	if c := l.at(0); c == 'e' || c == 'E' {
		l.advance()
		if c := l.at(0); c == '+' || c == '-' {
			l.advance()
		}
		if !isDigit(l.at(0)) {
			if l.off < len(l.src) && isIdentCont(l.runeAt()) {
				l.junk()
				return token{}, l.errorf(start, "invalid number '%s'", l.src[start.Offset:l.off])
			}
			return token{}, l.errorf(start, "invalid number '%s': missing exponent digits", l.src[start.Offset:l.off])
		}
		l.digits()
	}
	if l.off < len(l.src) && (l.src[l.off] == '.' || isIdentCont(l.runeAt())) {
		l.junk()
		return token{}, l.errorf(start, "invalid number '%s'", l.src[start.Offset:l.off])
	}
	return token{kind: tNumber, val: l.src[start.Offset:l.off]}, nil
}

// maxParam keeps parameter numbers within int32 so later phases can size
// argument slices without overflow checks.
const maxParam = 1<<31 - 1

func (l *lexer) scanParam(start Pos) (token, *Error) {
	l.advance() // $
	l.digits()
	text := l.src[start.Offset:l.off]
	if l.off < len(l.src) && isIdentCont(l.runeAt()) {
		l.junk()
		return token{}, l.errorf(start, "invalid parameter '%s'", l.src[start.Offset:l.off])
	}
	if len(text) == 1 {
		return token{}, l.errorf(start, "expected parameter number after '$'")
	}
	n, err := strconv.Atoi(text[1:])
	if err != nil || n > maxParam {
		return token{}, l.errorf(start, "parameter number too large: %s", text)
	}
	if n == 0 {
		return token{}, l.errorf(start, "invalid parameter $0: parameters are numbered from $1")
	}
	return token{kind: tParam, val: text[1:]}, nil
}

// scanQuoted reads a quote-delimited token in which a doubled delimiter
// stands for one delimiter character, as in standard SQL.
func (l *lexer) scanQuoted(q byte, start Pos, unterminated string) (string, *Error) {
	l.advance()
	var b strings.Builder
	for {
		if l.off >= len(l.src) {
			return "", l.errorf(start, "%s", unterminated)
		}
		if l.src[l.off] == q {
			if l.at(1) == q {
				b.WriteByte(q)
				l.advance()
				l.advance()
				continue
			}
			l.advance()
			return b.String(), nil
		}
		from := l.off
		l.advance()
		b.WriteString(l.src[from:l.off])
	}
}
