package live_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/memory"
	"github.com/streamsql/streamsql/eventstream/live"
	"github.com/streamsql/streamsql/planner/types"
)

// A live query over a stream: each appended batch of matching events
// arrives as one update.
func ExampleManager_Subscribe() {
	engine := streamsql.New()
	defer engine.Close()
	events := memory.NewStream(arrow.NewSchema([]arrow.Field{
		{Name: "page", Type: arrow.BinaryTypes.String},
		{Name: "ms", Type: arrow.PrimitiveTypes.Int64},
		{Name: "ts", Type: types.TimestampType.ArrowType()},
	}, nil))
	topic, err := catalog.NewStreamTable(events, catalog.EventTime{Column: "ts"})
	if err != nil {
		log.Fatal(err)
	}
	engine.RegisterTable("events", topic)

	m := live.NewManager(engine, live.Options{})
	defer m.Close()
	updates := make(chan live.Update, 16)
	cancel, err := m.Subscribe(context.Background(), "SELECT page, ms FROM events WHERE ms > $1", []any{100},
		func(u live.Update) error { updates <- u; return nil })
	if err != nil {
		log.Fatal(err)
	}
	defer cancel()

	err = events.AppendJSON(`{"page":"/","ms":80,"ts":"2026-01-01 00:00:00"}`, `{"page":"/slow","ms":250,"ts":"2026-01-01 00:00:01"}`)
	if err != nil {
		log.Fatal(err)
	}
	frame, _ := json.Marshal(<-updates)
	fmt.Println(string(frame))
	// Output: {"columns":["page","ms"],"rows":[["/slow",250]]}
}
