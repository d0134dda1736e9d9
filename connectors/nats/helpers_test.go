package nats

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/operators/expr"
)

// testServer is an in-process nats-server with JetStream, restartable on
// the same port and store directory.
type testServer struct {
	t     testing.TB
	dir   string
	port  int
	token string // required of clients when set
	srv   *server.Server
}

func startServer(t testing.TB) *testServer {
	t.Helper()
	ts := &testServer{t: t, dir: t.TempDir(), port: -1}
	ts.start()
	t.Cleanup(ts.stop)
	return ts
}

func (ts *testServer) start() {
	ts.t.Helper()
	srv, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: ts.port, JetStream: true, StoreDir: ts.dir, NoLog: true, NoSigs: true,
		Authorization: ts.token,
	})
	if err != nil {
		ts.t.Fatal(err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		ts.t.Fatal("nats-server did not start")
	}
	ts.srv = srv
	ts.port = srv.Addr().(*net.TCPAddr).Port // a restart takes the same port
}

func (ts *testServer) stop() {
	if ts.srv != nil {
		ts.srv.Shutdown()
		ts.srv.WaitForShutdown()
		ts.srv = nil
	}
}

func (ts *testServer) url() string { return ts.srv.ClientURL() }

// client connects a plain nats.go client for the test's own use.
func (ts *testServer) client() (*nats.Conn, jetstream.JetStream) {
	ts.t.Helper()
	nc, err := nats.Connect(ts.url(), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		ts.t.Fatal(err)
	}
	ts.t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		ts.t.Fatal(err)
	}
	return nc, js
}

// waitStreamReady waits until the test's own client has reconnected after
// a server restart and JetStream answers for the stream again: the
// restarted server recovers its file store before it serves the stream,
// and a publish in that gap times out (seen in CI as "context deadline
// exceeded" on the first publish after the restart).
func waitStreamReady(t *testing.T, nc *nats.Conn, js jetstream.JetStream, stream string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		if nc.IsConnected() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_, err = js.Stream(ctx, stream)
			cancel()
			if err == nil {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("stream %s not ready after the restart: connected=%v, %v", stream, nc.IsConnected(), err)
}

// createStream makes a file-backed stream over subjects.
func createStream(t testing.TB, js jetstream.JetStream, name string, subjects ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: subjects, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
}

// publishEvents publishes {"id":i,"name":"e<i>"} for i in [from, to) to
// subject and waits for every ack (in chunks, under the client's limit
// of outstanding async publishes).
func publishEvents(t testing.TB, js jetstream.JetStream, subject string, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		if _, err := js.PublishAsync(subject, fmt.Appendf(nil, `{"id":%d,"name":"e%d"}`, i, i)); err != nil {
			t.Fatal(err)
		}
		if (i-from)%1000 == 999 || i == to-1 {
			select {
			case <-js.PublishAsyncComplete():
			case <-time.After(10 * time.Second):
				t.Fatal("publish acks did not come")
			}
		}
	}
}

// checkedMem is a checked allocator that must be empty when the test ends.
func checkedMem(t *testing.T) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

// openTable opens a connector table from options, released at the end.
func openTable(t *testing.T, connector string, opts map[string]string, schema *arrow.Schema) *Table {
	t.Helper()
	opts["connector"] = connector
	tab, err := catalog.OpenConnector(connector, opts, schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { catalog.ReleaseTable(tab) })
	return tab.(*Table)
}

// openReader opens the table's one reader on all its columns.
func openReader(t *testing.T, tab *Table, mem memory.Allocator, dl func([]byte, string) error) catalog.SplitReader {
	t.Helper()
	cols := make([]int, tab.Schema().NumFields())
	for i := range cols {
		cols[i] = i
	}
	rs, err := tab.OpenStream(context.Background(), catalog.StreamRequest{Columns: cols, Alloc: mem, Linger: 50 * time.Millisecond, DeadLetter: dl})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 {
		t.Fatalf("want one split, got %d", len(rs))
	}
	t.Cleanup(func() { _ = rs[0].Close() })
	return rs[0]
}

// readRows reads until want rows came (or the deadline passes) and
// returns them as Go values.
func readRows(t *testing.T, r catalog.SplitReader, want int, within time.Duration) [][]any {
	t.Helper()
	var out [][]any
	deadline := time.Now().Add(within)
	for len(out) < want && time.Now().Before(deadline) {
		out = append(out, readOnce(t, r)...)
	}
	if len(out) < want {
		t.Fatalf("read %d rows within %s, want %d", len(out), within, want)
	}
	return out
}

// readOnce calls Read once: its rows, none when idle.
func readOnce(t *testing.T, r catalog.SplitReader) [][]any {
	t.Helper()
	b, err := r.Read(context.Background())
	if errors.Is(err, catalog.ErrIdle) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release()
	var out [][]any
	for i := 0; i < int(b.NumRows()); i++ {
		row := make([]any, b.NumCols())
		for c := range row {
			row[c] = expr.ScalarValue(b.Column(c), i)
		}
		out = append(out, row)
	}
	return out
}

// position reads a reader's position.
func position(t *testing.T, r catalog.SplitReader) []byte {
	t.Helper()
	p, err := r.Position()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// ids collects the first column (BIGINT) of rows.
func ids(rows [][]any) []int64 {
	out := make([]int64, len(rows))
	for i, r := range rows {
		out[i] = r[0].(int64)
	}
	return out
}

// seq returns from, from+1, …, to-1.
func seq(from, to int) []int64 {
	out := make([]int64, 0, to-from)
	for i := from; i < to; i++ {
		out = append(out, int64(i))
	}
	return out
}

// destSchema is (id BIGINT, dest VARCHAR).
var destSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "dest", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// eventBatch builds destSchema rows.
func eventBatch(t *testing.T, mem memory.Allocator, idv []int64, dest []string) arrow.RecordBatch {
	t.Helper()
	b := array.NewRecordBuilder(mem, destSchema)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).AppendValues(idv, nil)
	b.Field(1).(*array.StringBuilder).AppendValues(dest, nil)
	return b.NewRecordBatch()
}
