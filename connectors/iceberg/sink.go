package iceberg

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	ice "github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/streamsql/streamsql/catalog"
)

// DefaultJobID is the job id of sinks opened without one. Two jobs writing
// one table must use distinct ids: a job skips epochs it finds committed
// under its id.
const DefaultJobID = "default"

// Sink writes a query's output to an Iceberg table, exactly once per
// checkpoint (catalog.Sink). Two phases:
//
//   - Write buffers the batches (retaining their columns) until the
//     checkpoint.
//   - PreCommit(epoch) writes the buffered rows as Parquet (zstd) data files,
//     split by the table's partition spec, and returns their paths as the
//     checkpoint state. Nothing is visible to readers yet.
//   - Commit(epoch) appends the files of every pre-committed epoch up to
//     epoch, one Iceberg snapshot per epoch, whose summary records the job
//     id and the epoch (streamsql.job-id, streamsql.epoch).
//   - Restore(state) commits the epochs of the state whose commit has not
//     landed (a crash between a durable checkpoint and Commit) and drops
//     anything buffered. An epoch the table already records for this job is
//     never committed again, so rows replayed after a restart are not
//     written twice.
//
// Files of epochs that never commit (a crash before the checkpoint was
// durable) stay in the data directory as orphans for a maintenance job to
// remove. Memory grows with the rows of one checkpoint interval.
type Sink struct {
	w       *Warehouse
	name    string
	job     string
	tbl     *table.Table
	schema  *arrow.Schema // the write schema: the output's, all nullable
	buf     []arrow.RecordBatch
	pending []pendingEpoch // pre-committed, not yet committed; ascending
	closed  bool

	roll    rollPolicy
	staged  []ice.DataFile    // written out during the current epoch
	sources map[string]string // source positions of the next PreCommit
	srcOf   int64             // the epoch sources belong to
}

var _ catalog.Sink = (*Sink)(nil)

// pendingEpoch is one pre-committed checkpoint: its data file locations
// (stored in the checkpoint state) and their Iceberg metadata (in memory
// only; rebuilt from the files' footers after a restore).
type pendingEpoch struct {
	Epoch   int64             `json:"epoch"`
	Files   []string          `json:"files"`
	Sources map[string]string `json:"sources,omitempty"` // split → position, base64
	data    []ice.DataFile    `json:"-"`
}

// sinkState is the checkpoint state of a Sink.
type sinkState struct {
	Job     string         `json:"job"`
	Pending []pendingEpoch `json:"pending"`
}

// OpenSink implements catalog.SinkTable: it creates the table from schema
// if missing (partitioned per the table's PartitionBy option) and returns a
// sink writing schema's columns, which the table must have by name.
func (t *Table) OpenSink(ctx context.Context, schema *arrow.Schema) (catalog.Sink, error) {
	return t.w.openSink(ctx, t.name, schema, t.opts)
}

// Sink opens a sink on the table name, creating the table from schema if
// missing (see Table.OpenSink).
func (w *Warehouse) Sink(ctx context.Context, name string, schema *arrow.Schema, opts TableOptions) (*Sink, error) {
	return w.openSink(ctx, name, schema, opts)
}

func (w *Warehouse) openSink(ctx context.Context, name string, schema *arrow.Schema, opts TableOptions) (*Sink, error) {
	ws, err := writeSchema(schema)
	if err != nil {
		return nil, fmt.Errorf("opening sink %s: %w", name, err)
	}
	tbl, err := w.loadOrCreate(ctx, name, ws, opts.PartitionBy)
	if err != nil {
		return nil, fmt.Errorf("opening sink %s: %w", name, err)
	}
	sc := tbl.Schema()
	for _, f := range ws.Fields() {
		if _, ok := sc.FindFieldByName(f.Name); !ok {
			return nil, fmt.Errorf("opening sink %s: the table has no column %q", name, f.Name)
		}
	}
	job := opts.JobID
	if job == "" {
		job = DefaultJobID
	}
	return &Sink{w: w, name: name, job: job, tbl: tbl, schema: ws, roll: newRollPolicy(opts)}, nil
}

// Write buffers b's rows until the next PreCommit. b is borrowed; its
// columns are retained.
func (s *Sink) Write(ctx context.Context, b arrow.RecordBatch) error {
	if s.closed {
		return fmt.Errorf("writing to %s: sink is closed", s.name)
	}
	if int(b.NumCols()) != s.schema.NumFields() {
		return fmt.Errorf("writing to %s: batch has %d columns, sink %d", s.name, b.NumCols(), s.schema.NumFields())
	}
	for i, f := range s.schema.Fields() {
		if !arrow.TypeEqual(b.Column(i).DataType(), f.Type) {
			return fmt.Errorf("writing to %s: column %q is %s, want %s", s.name, f.Name, b.Column(i).DataType(), f.Type)
		}
	}
	if b.NumRows() == 0 {
		return nil
	}
	s.buf = append(s.buf, array.NewRecordBatch(s.schema, b.Columns(), b.NumRows()))
	if s.roll.add(b) {
		files, err := s.writeFiles(ctx)
		if err != nil {
			return fmt.Errorf("writing to %s: rolling data files: %w", s.name, err)
		}
		s.staged = append(s.staged, files...)
	}
	return nil
}

// PreCommit writes the buffered rows as data files and returns the state
// naming every epoch written but not yet committed. An epoch with no rows
// writes nothing and records nothing.
func (s *Sink) PreCommit(ctx context.Context, epoch int64) ([]byte, error) {
	if s.closed {
		return nil, fmt.Errorf("pre-committing epoch %d to %s: sink is closed", epoch, s.name)
	}
	if len(s.buf) > 0 || len(s.staged) > 0 {
		files := s.staged
		s.staged = nil
		if len(s.buf) > 0 {
			more, err := s.writeFiles(ctx)
			if err != nil {
				return nil, fmt.Errorf("pre-committing epoch %d to %s: %w", epoch, s.name, err)
			}
			files = append(files, more...)
		}
		p := pendingEpoch{Epoch: epoch, data: files}
		if s.srcOf == epoch {
			p.Sources = s.sources
		}
		for _, f := range files {
			p.Files = append(p.Files, f.FilePath())
		}
		s.pending = append(s.pending, p)
	}
	state, err := json.Marshal(sinkState{Job: s.job, Pending: s.pending})
	if err != nil {
		return nil, fmt.Errorf("pre-committing epoch %d to %s: %w", epoch, s.name, err)
	}
	return state, nil
}

// writeFiles writes and releases the buffer.
func (s *Sink) writeFiles(ctx context.Context) ([]ice.DataFile, error) {
	buf := s.buf
	s.buf = nil
	s.roll.reset()
	defer func() {
		for _, b := range buf {
			b.Release()
		}
	}()
	// WriteRecords releases what it is given: hand it extra references.
	records := func(yield func(arrow.RecordBatch, error) bool) {
		for _, b := range buf {
			b.Retain()
			if !yield(b, nil) {
				b.Release()
				return
			}
		}
	}
	var files []ice.DataFile
	for f, err := range table.WriteRecords(ctx, s.tbl, s.schema, iter.Seq2[arrow.RecordBatch, error](records)) {
		if err != nil {
			return nil, fmt.Errorf("writing data files: %w", err)
		}
		files = append(files, f)
	}
	return files, nil
}

// Commit appends the files of every pre-committed epoch up to epoch, one
// snapshot each, oldest first.
func (s *Sink) Commit(ctx context.Context, epoch int64) error {
	if s.closed {
		return fmt.Errorf("committing epoch %d to %s: sink is closed", epoch, s.name)
	}
	for len(s.pending) > 0 && s.pending[0].Epoch <= epoch {
		p := s.pending[0]
		if err := s.commitEpoch(ctx, p.Epoch, p.data, p.Sources); err != nil {
			return err
		}
		s.pending = s.pending[1:]
	}
	return nil
}

// Restore drops buffered rows and finishes the commits recorded in state
// (from the last durable checkpoint) that have not landed. Nil or empty
// state restores nothing.
func (s *Sink) Restore(ctx context.Context, state []byte) error {
	if s.closed {
		return errors.New("restoring sink: sink is closed")
	}
	for _, b := range s.buf {
		b.Release()
	}
	s.buf, s.pending, s.staged = nil, nil, nil
	s.roll.reset()
	if len(state) == 0 {
		return nil
	}
	var st sinkState
	if err := json.Unmarshal(state, &st); err != nil {
		return fmt.Errorf("restoring sink %s: decoding state: %w", s.name, err)
	}
	if st.Job != s.job {
		return fmt.Errorf("restoring sink %s: state is of job %q, sink runs job %q", s.name, st.Job, s.job)
	}
	for _, p := range st.Pending {
		if err := s.restoreEpoch(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

// restoreEpoch commits p unless it landed, rebuilding the files' Iceberg
// metadata (statistics, partition values) from their Parquet footers.
func (s *Sink) restoreEpoch(ctx context.Context, p pendingEpoch) error {
	tbl, err := s.w.cat.LoadTable(ctx, splitName(s.name))
	if err != nil {
		return fmt.Errorf("restoring epoch %d of %s: %w", p.Epoch, s.name, err)
	}
	if last, ok := committedEpoch(tbl, s.job); ok && last >= p.Epoch {
		return nil
	}
	fs, err := tbl.FS(ctx)
	if err != nil {
		return fmt.Errorf("restoring epoch %d of %s: %w", p.Epoch, s.name, err)
	}
	files := make([]ice.DataFile, 0, len(p.Files))
	for _, path := range p.Files {
		df, err := table.FileToDataFile(ctx, fs, path, tbl.Schema(), tbl.Spec(), 0, tbl.Properties())
		if err != nil {
			return fmt.Errorf("restoring epoch %d of %s: reading %s: %w", p.Epoch, s.name, path, err)
		}
		files = append(files, df)
	}
	if err := s.commitEpoch(ctx, p.Epoch, files, p.Sources); err != nil {
		return fmt.Errorf("restoring epoch %d of %s: %w", p.Epoch, s.name, err)
	}
	return nil
}

// Close releases buffered rows; uncommitted data files stay behind as
// orphans. It may be called more than once.
func (s *Sink) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	for _, b := range s.buf {
		b.Release()
	}
	s.buf, s.pending, s.staged = nil, nil, nil
	return nil
}
