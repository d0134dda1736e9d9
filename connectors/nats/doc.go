// Package nats connects streamsql to NATS: core NATS subjects (connector
// "nats", URIs nats://host:port/SUBJECT) and JetStream streams (connector
// "jetstream", URIs jetstream://host:port/STREAM[/CONSUMER]), as sources
// and sinks. Options are validated against a spec (options.go); payloads
// are decoded by the shared message decoders (format json, raw, csv);
// metadata columns _subject (VARCHAR) and, for JetStream, _seq (BIGINT)
// are filled by the connector when declared. Credentials come from the
// token and creds options or $NATS_TOKEN and $NATS_CREDS and never appear
// in errors.
//
// Guarantees:
//
//   - Core source: at most once. A subscription (optionally in a queue
//     group, to share a subject among jobs) sees only what is published
//     while it is subscribed; a restarted job cannot replay what the
//     crashed one had read (Position is empty), and a reader too slow for
//     its 64k-message buffer loses messages. Columns must be declared
//     (schema=…) or format raw: nothing can be sampled without consuming.
//   - JetStream source: at least once from the server's point of view,
//     exactly once into a sink that restores its checkpoint (files, the
//     JetStream sink). The job owns a durable pull consumer (created if
//     missing with AckPolicy explicit, or all with ack_policy=all) and
//     acknowledges messages only in CommitPosition, once the checkpoint
//     covering them is durable; messages waiting for a checkpoint are kept
//     alive with in-progress acks (+WPI). Position is the last stream
//     sequence emitted; resuming from a checkpoint resets the consumer to
//     the next sequence (the consumer reset API of nats-server 2.14+), so
//     what came after the checkpoint is replayed at once and nothing before
//     it is read again. A redelivery (AckWait expired) of a message already
//     emitted is not emitted again within a run; a gap in the consumer's
//     delivery sequence (messages lost in flight, e.g. across a server
//     restart) resets the consumer to just after its last ack. The
//     consumer must not be shared with other readers. The consumer holds
//     at most max_ack_pending unacknowledged messages: a job reads at most
//     that many between two checkpoints.
//   - Core sink: each row is published as a JSON object (or the raw
//     VARCHAR column value) to subject or to the subject in subject_column;
//     PreCommit flushes. Core NATS keeps nothing, so a resumed job
//     publishes again what the crashed one published after its checkpoint,
//     and a subscriber that is away misses messages.
//   - JetStream sink: exactly once within the stream's duplicate window.
//     Each message carries a Nats-Msg-Id (the msg_id column, or the job's
//     id and the row's ordinal, both kept in the checkpoint), so the rows a
//     resumed job writes again are dropped by the server; PreCommit waits
//     for every publish ack and retries failed publishes under the same id.
//
// The connection reconnects for ever: while the server is away readers
// return catalog.ErrIdle, and publishes are buffered.
package nats
