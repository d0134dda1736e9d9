//go:build !js && !wasip1

package file

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Columns of types streamsql has no form for are read as text rather than
// refused, so a table that has one (Cloudflare Pipelines writes `binary`,
// `list` and `struct` fields; Spark, UUIDs and times) stays readable:
// nested values become JSON text (a JSON column: `->>` reaches into it),
// binary values base64 (Pipelines' own ingest form), UUIDs their 8-4-4-4-12
// form and times HH:MM:SS.ffffff. Such columns are never pruned by
// statistics: the file's bytes do not order like the text.

// renderedAs reports whether values of dt are read as rendered text, and
// whether that text is JSON.
func renderedAs(dt arrow.DataType) (rendered, isJSON bool) {
	switch dt.ID() {
	case arrow.STRUCT, arrow.LIST, arrow.LARGE_LIST, arrow.FIXED_SIZE_LIST, arrow.MAP, arrow.LIST_VIEW, arrow.LARGE_LIST_VIEW:
		return true, true
	case arrow.BINARY, arrow.LARGE_BINARY, arrow.BINARY_VIEW, arrow.FIXED_SIZE_BINARY, arrow.TIME32, arrow.TIME64, arrow.EXTENSION:
		return true, false
	}
	return false, false
}

// renderArray renders arr as a VARCHAR array (see renderedAs).
func renderArray(mem memory.Allocator, arr arrow.Array) (arrow.Array, error) {
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.Reserve(arr.Len())
	var buf []byte
	for i := 0; i < arr.Len(); i++ {
		if arr.IsNull(i) {
			b.AppendNull()
			continue
		}
		var err error
		if _, isJSON := renderedAs(arr.DataType()); isJSON {
			buf, err = appendJSONValue(buf[:0], arr, i)
		} else {
			buf, err = appendText(buf[:0], arr, i)
		}
		if err != nil {
			return nil, fmt.Errorf("rendering %s value: %w", arr.DataType(), err)
		}
		b.BinaryBuilder.Append(buf)
	}
	return b.NewArray(), nil
}

// appendText appends the text form of a non-nested value.
func appendText(dst []byte, arr arrow.Array, i int) ([]byte, error) {
	switch a := arr.(type) {
	case *array.Binary:
		return base64.StdEncoding.AppendEncode(dst, a.Value(i)), nil
	case *array.LargeBinary:
		return base64.StdEncoding.AppendEncode(dst, a.Value(i)), nil
	case *array.BinaryView:
		return base64.StdEncoding.AppendEncode(dst, a.Value(i)), nil
	case *array.FixedSizeBinary:
		return base64.StdEncoding.AppendEncode(dst, a.Value(i)), nil
	case *array.Time32:
		unit := a.DataType().(*arrow.Time32Type).Unit
		return appendTimeOfDay(dst, time.Duration(a.Value(i))*unit.Multiplier()), nil
	case *array.Time64:
		unit := a.DataType().(*arrow.Time64Type).Unit
		return appendTimeOfDay(dst, time.Duration(a.Value(i))*unit.Multiplier()), nil
	case array.ExtensionArray:
		if u, ok := a.Storage().(*array.FixedSizeBinary); ok && a.ExtensionType().ExtensionName() == "arrow.uuid" {
			return appendUUID(dst, u.Value(i)), nil
		}
		return appendText(dst, a.Storage(), i)
	}
	return append(dst, arr.ValueStr(i)...), nil
}

// appendTimeOfDay appends d since midnight as HH:MM:SS.ffffff.
func appendTimeOfDay(dst []byte, d time.Duration) []byte {
	return time.Unix(0, 0).UTC().Add(d).AppendFormat(dst, "15:04:05.000000")
}

// appendUUID appends 16 bytes in the 8-4-4-4-12 hexadecimal form.
func appendUUID(dst, u []byte) []byte {
	const hex = "0123456789abcdef"
	for j, c := range u {
		if j == 4 || j == 6 || j == 8 || j == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hex[c>>4], hex[c&0xf])
	}
	return dst
}

// appendJSONValue appends value i of arr as JSON: structs as objects in
// field order, lists as arrays, maps as objects keyed by the keys' text,
// binary as base64 strings, other scalars as their JSON forms.
func appendJSONValue(dst []byte, arr arrow.Array, i int) ([]byte, error) {
	if arr.IsNull(i) {
		return append(dst, "null"...), nil
	}
	var err error
	switch a := arr.(type) {
	case *array.Struct:
		dst = append(dst, '{')
		for j, f := range a.DataType().(*arrow.StructType).Fields() {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, f.Name)
			dst = append(dst, ':')
			if dst, err = appendJSONValue(dst, a.Field(j), i); err != nil {
				return nil, err
			}
		}
		return append(dst, '}'), nil
	case *array.Map:
		start, end := a.ValueOffsets(i)
		dst = append(dst, '{')
		for k := start; k < end; k++ {
			if k > start {
				dst = append(dst, ',')
			}
			key, err := appendText(nil, a.Keys(), int(k))
			if err != nil {
				return nil, err
			}
			dst = appendJSONString(dst, string(key))
			dst = append(dst, ':')
			if dst, err = appendJSONValue(dst, a.Items(), int(k)); err != nil {
				return nil, err
			}
		}
		return append(dst, '}'), nil
	case array.ListLike:
		start, end := a.ValueOffsets(i)
		dst = append(dst, '[')
		for k := start; k < end; k++ {
			if k > start {
				dst = append(dst, ',')
			}
			if dst, err = appendJSONValue(dst, a.ListValues(), int(k)); err != nil {
				return nil, err
			}
		}
		return append(dst, ']'), nil
	}
	if rendered, _ := renderedAs(arr.DataType()); rendered {
		text, err := appendText(nil, arr, i)
		if err != nil {
			return nil, err
		}
		return appendJSONString(dst, string(text)), nil
	}
	js, err := json.Marshal(arr.GetOneForMarshal(i))
	if err != nil {
		return nil, err
	}
	return append(dst, js...), nil
}
