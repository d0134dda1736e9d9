// Package kafka is the Kafka connector (franz-go): a topic as a stream
// source, a bounded scan and a sink. Registered as connector "kafka" and
// URI scheme kafka://host:port[,host2:port]/topic?option=value&…, where
// every option below may be a query parameter:
//
//	CREATE TABLE ev (id BIGINT, ts TIMESTAMP, _partition INTEGER, _offset BIGINT)
//	  WITH (connector='kafka', brokers='localhost:9092', topic='events', group='agg')
//	streamsql run t.sql --input 'kafka://localhost:9092/events?group=agg' --output …
//
// # Source
//
// Every partition of the topic (or of the partitions option) is one split,
// assigned manually and fixed for the life of the stream; the group is
// used only for committed offsets, never for partition assignment. We
// chose this over group-managed assignment because a streamsql checkpoint
// holds one position per split and resumes each split exactly there: a
// rebalance moving partitions between processes would split a
// checkpoint's positions across jobs. To spread a topic over several
// jobs, give each its own partitions='…' (and its own group or state
// directory). Partitions added to the topic later are read by the next
// start.
//
// A split starts at start=earliest (the default without a group), latest
// (the end when the stream opens), an RFC 3339 time (the first record at or
// after it), or committed (the default with a group: the group's committed
// offsets, earliest for a partition without one). A checkpoint's position
// (the next offset per partition) overrides the start when a job resumes,
// so a resumed job neither re-reads nor skips a record. Offsets are
// committed to the group only in CommitPosition, after the checkpoint
// covering them is durable and its sink committed. isolation defaults to
// read_committed: records of open or aborted transactions are not read.
// A checkpoint position deleted by retention fails the read rather than
// skipping ahead.
//
// Values decode through file.MessageDecoder (format json, raw or csv).
// Undecodable values go to the job's dead letters with a reason naming
// topic, partition and offset; the records around them flow on.
//
// Metadata columns come from the record, not its value: _topic VARCHAR,
// _partition INTEGER, _offset BIGINT, _key VARCHAR, _headers JSON (an
// object of strings; a repeated key keeps its last value), _timestamp
// TIMESTAMP. They are present when declared (with those types), or, for
// a sampled schema, when the metadata option names them (metadata=all or a
// list): a sampled schema has no metadata columns otherwise, so SELECT *
// over a topic shows its payload.
//
// Without declared columns (or the schema option) the factory samples up
// to sample= values (100) from the start offsets up to the topic's
// current end, without consuming or committing anything, and infers the
// columns as a JSONL file's; an empty topic, or format csv, needs them
// declared.
//
// A batch query scans each partition from the start offsets to its end as
// of the scan, and commits nothing.
//
// # Sink
//
// type=sink writes each row as one record: format json (the default) a
// JSON object of the row's columns; format raw the VARCHAR column value.
// key=col sets the record key to the column's text; headers=col takes
// headers from a JSON-object column, which is then left out of the value.
// The producer is idempotent and waits for all in-sync replicas.
//
// Without transactional_id the sink is at least once: PreCommit waits
// until every record is acknowledged, and after a crash the rows since the
// last checkpoint are produced again. With transactional_id it is exactly
// once for read_committed consumers: records are produced inside a Kafka
// transaction, PreCommit flushes it and stores its producer id and epoch
// in the checkpoint, and Commit (after the checkpoint is durable) commits
// it. On restart, Restore first commits the checkpoint's transaction if
// the crash came between the durable checkpoint and Commit, then
// initialises the transactional id, which fences an older writer with the
// id and aborts the transaction it left open, so rows written after the
// restored checkpoint are never visible. A fresh start (no checkpoint)
// fences the same way before its first write. Committing a left-open
// transaction is safe only where the broker bumps the producer epoch at
// every commit (KIP-890 part 2: Kafka 4 with transaction.version 2, and
// kfake; the sink reads the cluster's finalized features, and also learns
// it from its first commit): a later transaction of the same id then has
// another epoch and cannot be committed by mistake. Remaining gaps: on
// older brokers a crash between the durable checkpoint and Commit (one
// broker round trip) aborts the checkpoint's transaction, losing its rows
// for read_committed readers; and a job down longer than
// transaction_timeout (1m) has its open transaction aborted by the broker.
// Give every job its own transactional id.
//
// # Security
//
// sasl_mechanism (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) with sasl_username
// and the password in sasl_password or the KAFKA_PASSWORD environment
// variable (or user:password@ in a URI); tls=true, optionally tls_ca=FILE.
// Passwords never appear in errors.
//
// Clients: each split reader owns a client for its partition (plus one
// for group commits), each sink one producer; the table itself holds none.
package kafka
