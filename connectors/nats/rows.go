package nats

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/file"
)

// Metadata columns: filled by the connector from the message, not from
// its payload, when the declared schema has them.
const (
	// SubjectColumn (VARCHAR) is the subject the message was published to.
	SubjectColumn = "_subject"
	// SeqColumn (BIGINT) is the message's JetStream stream sequence.
	SeqColumn = "_seq"
)

// rows turns message payloads into batches of a stream request's columns.
// Undecodable payloads go to the request's DeadLetter.
type rows struct {
	dec        *file.MessageDecoder // the payload columns
	payload    []int                // table ordinal of each decoder column
	subjectCol int                  // table ordinal of _subject, or -1
	seqCol     int                  // table ordinal of _seq, or -1
	subjects   *array.StringBuilder
	seqs       *array.Int64Builder
	cols       []int // requested table ordinals
	out        *arrow.Schema
	deadLetter func(raw []byte, reason string) error
	// where names a message in dead letters' reasons.
	where func(subject string, seq uint64) string
}

// splitSchema separates a table schema into its payload columns and the
// ordinals of its metadata columns.
func splitSchema(schema *arrow.Schema, jetStream bool) (payload *arrow.Schema, ords []int, subjectCol, seqCol int, err error) {
	subjectCol, seqCol = -1, -1
	var fields []arrow.Field
	for i, f := range schema.Fields() {
		switch {
		case strings.EqualFold(f.Name, SubjectColumn):
			if f.Type.ID() != arrow.STRING {
				return nil, nil, 0, 0, fmt.Errorf("metadata column %s must be VARCHAR", f.Name)
			}
			subjectCol = i
		case jetStream && strings.EqualFold(f.Name, SeqColumn):
			if f.Type.ID() != arrow.INT64 {
				return nil, nil, 0, 0, fmt.Errorf("metadata column %s must be BIGINT", f.Name)
			}
			seqCol = i
		default:
			fields = append(fields, f)
			ords = append(ords, i)
		}
	}
	return arrow.NewSchema(fields, nil), ords, subjectCol, seqCol, nil
}

// newRows prepares decoding of format into the requested columns of schema.
func newRows(format string, schema *arrow.Schema, jetStream bool, req catalog.StreamRequest, where func(string, uint64) string) (*rows, error) {
	mem := req.Alloc
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	payload, ords, subjectCol, seqCol, err := splitSchema(schema, jetStream)
	if err != nil {
		return nil, err
	}
	fields := make([]arrow.Field, len(req.Columns))
	for i, c := range req.Columns {
		if c < 0 || c >= schema.NumFields() {
			return nil, fmt.Errorf("column ordinal %d out of range (table has %d columns)", c, schema.NumFields())
		}
		fields[i] = schema.Field(c)
	}
	dec, err := file.NewMessageDecoder(format, payload, mem)
	if err != nil {
		return nil, err
	}
	r := &rows{dec: dec, payload: ords, subjectCol: subjectCol, seqCol: seqCol, cols: req.Columns,
		out: arrow.NewSchema(fields, nil), deadLetter: req.DeadLetter, where: where}
	if subjectCol >= 0 {
		r.subjects = array.NewStringBuilder(mem)
	}
	if seqCol >= 0 {
		r.seqs = array.NewInt64Builder(mem)
	}
	return r, nil
}

// add decodes one message into a row. A payload that does not decode is
// dead-lettered (no row), or fails when the request has no DeadLetter.
func (r *rows) add(data []byte, subject string, seq uint64) error {
	if err := r.dec.Decode(data); err != nil {
		where := r.where(subject, seq)
		if r.deadLetter == nil {
			return fmt.Errorf("decoding message (%s): %w", where, err)
		}
		if err := r.deadLetter(data, where+": "+err.Error()); err != nil {
			return fmt.Errorf("dead-lettering message (%s): %w", where, err)
		}
		return nil
	}
	if r.subjects != nil {
		r.subjects.Append(subject)
	}
	if r.seqs != nil {
		r.seqs.Append(int64(seq))
	}
	return nil
}

// n is the number of rows since the last flush.
func (r *rows) n() int { return r.dec.Rows() }

// flush returns the rows as a batch of the requested columns, owned by
// the caller; nil when there are none.
func (r *rows) flush() arrow.RecordBatch {
	n := r.dec.Rows()
	if n == 0 {
		return nil
	}
	decoded := r.dec.Flush()
	defer decoded.Release()
	var subjects, seqs arrow.Array
	if r.subjects != nil {
		subjects = r.subjects.NewArray()
		defer subjects.Release()
	}
	if r.seqs != nil {
		seqs = r.seqs.NewArray()
		defer seqs.Release()
	}
	byOrdinal := map[int]arrow.Array{}
	for i, ord := range r.payload {
		byOrdinal[ord] = decoded.Column(i)
	}
	if subjects != nil {
		byOrdinal[r.subjectCol] = subjects
	}
	if seqs != nil {
		byOrdinal[r.seqCol] = seqs
	}
	cols := make([]arrow.Array, len(r.cols))
	for i, c := range r.cols {
		cols[i] = byOrdinal[c]
	}
	return array.NewRecordBatch(r.out, cols, int64(n))
}

// release frees the builders; it may be called more than once.
func (r *rows) release() {
	r.dec.Release()
	if r.subjects != nil {
		r.subjects.Release()
		r.subjects = nil
	}
	if r.seqs != nil {
		r.seqs.Release()
		r.seqs = nil
	}
}
