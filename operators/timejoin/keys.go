package timejoin

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/streamsql/streamsql/operators"
)

// keyKind picks how the equi-join keys are hashed.
type keyKind uint8

const (
	keyNone   keyKind = iota // no key columns: every row has the same key
	keyInt                   // one integer-like column, hashed by value
	keyString                // one VARCHAR column, hashed in place
	keyBytes                 // anything else, encoded by operators.RowKeys
)

func keyKindOf(types []arrow.DataType) keyKind {
	switch {
	case len(types) == 0:
		return keyNone
	case len(types) > 1:
		return keyBytes
	}
	switch {
	case operators.IntKeyType(types[0]):
		return keyInt
	case types[0].ID() == arrow.STRING:
		return keyString
	}
	return keyBytes
}

// keyType reports whether dt can be an equi-join key column: a hash-join
// key type other than NULL, which would never match.
func keyType(dt arrow.DataType) bool {
	return dt.ID() != arrow.NULL && operators.SupportedKeyType(dt)
}

// keyEncoder reads the key columns of one batch so that a keyMap can look
// its rows up. It borrows the columns until the next encode.
type keyEncoder struct {
	kind keyKind
	cols []arrow.Array
	ints []int64
	str  *array.String
	rk   operators.RowKeys
}

func (e *keyEncoder) encode(cols []arrow.Array) error {
	e.cols = cols
	switch e.kind {
	case keyInt:
		var ok bool
		if e.ints, ok = operators.AppendInt64s(e.ints[:0], cols[0]); !ok {
			return fmt.Errorf("encoding keys: unexpected key type %s", cols[0].DataType())
		}
	case keyString:
		a, ok := cols[0].(*array.String)
		if !ok {
			return fmt.Errorf("encoding keys: unexpected key type %s", cols[0].DataType())
		}
		e.str = a
	case keyBytes:
		if err := e.rk.Encode(cols); err != nil {
			return fmt.Errorf("encoding keys: %w", err)
		}
	}
	return nil
}

// null reports whether row i has a NULL key column: such a row never
// matches.
func (e *keyEncoder) null(i int) bool {
	switch e.kind {
	case keyInt, keyString:
		return e.cols[0].IsNull(i)
	case keyBytes:
		return e.rk.AnyNull[i]
	}
	return false
}

// keyMap gives the distinct keys dense ids, reusing the ids of removed
// keys so that a long-running join's tables stay the size of its live
// state.
type keyMap struct {
	kind  keyKind
	ints  map[int64]int32
	strs  map[string]int32
	intOf []int64  // id → key, for remove
	strOf []string // id → key, for remove
	free  []int32
	n     int // ids handed out so far (live or free)
	live  int
	bytes int64 // key bytes held by strs
}

func newKeyMap(kind keyKind) *keyMap {
	m := &keyMap{kind: kind}
	switch kind {
	case keyInt:
		m.ints = map[int64]int32{}
	case keyString, keyBytes:
		m.strs = map[string]int32{}
	}
	return m
}

// find returns the id of row i's key (not NULL), or -1.
func (m *keyMap) find(e *keyEncoder, i int) int32 {
	var id int32
	ok := false
	switch m.kind {
	case keyNone:
		id, ok = 0, m.live > 0
	case keyInt:
		id, ok = m.ints[e.ints[i]]
	case keyString:
		id, ok = m.strs[e.str.Value(i)]
	case keyBytes:
		id, ok = m.strs[string(e.rk.Row(i))]
	}
	if !ok {
		return -1
	}
	return id
}

// add returns the id of row i's key (not NULL), making one if it is new.
func (m *keyMap) add(e *keyEncoder, i int) int32 {
	if id := m.find(e, i); id >= 0 {
		return id
	}
	id := m.newID()
	switch m.kind {
	case keyInt:
		k := e.ints[i]
		m.ints[k] = id
		m.intOf[id] = k
	case keyString, keyBytes:
		var k string
		if m.kind == keyString {
			// Value aliases the Arrow buffer, which the map outlives.
			k = strings.Clone(e.str.Value(i))
		} else {
			k = string(e.rk.Row(i))
		}
		m.strs[k] = id
		m.strOf[id] = k
		m.bytes += int64(len(k))
	}
	return id
}

func (m *keyMap) newID() int32 {
	m.live++
	if m.kind == keyNone {
		m.n = 1
		return 0
	}
	if k := len(m.free); k > 0 {
		id := m.free[k-1]
		m.free = m.free[:k-1]
		return id
	}
	id := int32(m.n)
	m.n++
	m.intOf = append(m.intOf, 0)
	m.strOf = append(m.strOf, "")
	return id
}

// remove forgets the key of id, whose id may then be reused.
func (m *keyMap) remove(id int32) {
	m.live--
	switch m.kind {
	case keyNone:
		return
	case keyInt:
		delete(m.ints, m.intOf[id])
	case keyString, keyBytes:
		k := m.strOf[id]
		delete(m.strs, k)
		m.strOf[id] = ""
		m.bytes -= int64(len(k))
	}
	m.free = append(m.free, id)
}

// stateBytes estimates the memory of the live keys.
func (m *keyMap) stateBytes() int64 {
	const perKey = 48 // map slot, id tables
	return int64(m.live)*perKey + m.bytes
}
