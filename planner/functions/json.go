package functions

import (
	"github.com/streamsql/streamsql/planner/types"
)

// JSON functions over JSON text (JSON or VARCHAR), with DataFusion
// json_functions semantics: the path is a list of object keys (VARCHAR) and
// 0-based array indexes (integers); a missing path, a value of the wrong
// kind or unparsable text gives NULL.

func registerJSON() {
	js := func(name string, aliases []string, ret types.Type, doc, ex string) {
		register(&Function{Name: name, Aliases: aliases, Doc: doc, Example: ex, Resolve: jsonPath(name, ret)})
	}
	js("json_get", []string{"json_get_json"}, tJSON, "json_get(json, path...): the value at path as JSON text.",
		`json_get('{"a": [1, {"b": true}]}', 'a', 1)`)
	js("json_get_str", nil, tVarchar, "json_get_str(json, path...): the string at path (NULL if it is not a string).",
		`json_get_str('{"a": {"b": "x"}}', 'a', 'b')`)
	js("json_get_int", nil, tBigint, "json_get_int(json, path...): the integer at path (NULL if it is not an integer).",
		`json_get_int('{"a": [5, 6]}', 'a', 1)`)
	js("json_get_float", nil, tDouble, "json_get_float(json, path...): the number at path as DOUBLE (NULL if it is not a number).",
		`json_get_float('{"a": 1.5}', 'a')`)
	js("json_get_bool", nil, tBool, "json_get_bool(json, path...): the boolean at path (NULL if it is not a boolean).",
		`json_get_bool('{"ok": true}', 'ok')`)
	js("json_as_text", nil, tVarchar, "json_as_text(json, path...): the value at path as text: strings unquoted, other values as JSON text, JSON null as NULL.",
		`json_as_text('{"a": {"b": 1}}', 'a')`)
	js("json_length", nil, tBigint, "json_length(json, path...): the number of elements of the array or object at path (NULL for scalars).",
		`json_length('{"a": [1, 2, 3]}', 'a')`)
	js("json_contains", nil, tBool, "json_contains(json, path...): whether path exists in the document.",
		`json_contains('{"a": 1}', 'a')`)
}

func jsonPath(name string, ret types.Type) func([]types.Type) (Signature, error) {
	return func(args []types.Type) (Signature, error) {
		takes := "(JSON or VARCHAR, path keys VARCHAR or integer...)"
		if len(args) < 1 {
			return Signature{}, noFunction(name, args, takes)
		}
		sig := Signature{Args: make([]types.Type, len(args)), Return: ret}
		var ok bool
		if sig.Args[0], ok = jsonDoc(args[0]); !ok {
			return Signature{}, noFunction(name, args, takes)
		}
		for i := 1; i < len(args); i++ {
			if sig.Args[i], ok = jsonKey(args[i]); !ok {
				return Signature{}, noFunction(name, args, takes)
			}
		}
		return sig, nil
	}
}
