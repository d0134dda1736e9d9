package catalog

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
)

// TableFactory builds a table from CREATE TABLE … WITH (…) options. Schema
// is nil when the statement declared no columns (the factory may infer
// one). Options keys are lower case; the "connector" key is included.
type TableFactory func(options map[string]string, schema *arrow.Schema) (Table, error)

var (
	factoriesMu sync.RWMutex
	factories   = map[string]TableFactory{}
)

// RegisterConnector makes a connector available to CREATE TABLE by name.
// Connectors call it from init; registering a name twice panics, since it
// is a programming error caught at start-up.
func RegisterConnector(name string, f TableFactory) {
	factoriesMu.Lock()
	defer factoriesMu.Unlock()
	name = strings.ToLower(name)
	if _, dup := factories[name]; dup {
		panic("catalog: connector registered twice: " + name)
	}
	factories[name] = f
}

// OpenConnector builds a table through the named connector's factory.
func OpenConnector(name string, options map[string]string, schema *arrow.Schema) (Table, error) {
	factoriesMu.RLock()
	f, ok := factories[strings.ToLower(name)]
	factoriesMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("opening connector %q: unknown connector (have %s)", name, strings.Join(Connectors(), ", "))
	}
	t, err := f(options, schema)
	if err != nil {
		return nil, fmt.Errorf("opening connector %q: %w", name, err)
	}
	return t, nil
}

// Connectors lists the registered connector names, sorted.
func Connectors() []string {
	factoriesMu.RLock()
	defer factoriesMu.RUnlock()
	var out []string
	for n := range factories {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
