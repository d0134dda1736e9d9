// Package cold is the hot tier's durable half: the dual path, which
// batches each topic's events into a cold sink (an Iceberg table of the
// local warehouse, or a Cloudflare Pipelines stream), and the unified
// table, which answers one query over both tiers.
//
// The dual path runs, per topic, a streaming job `SELECT * FROM topic`
// from the hot tier into the sink, checkpointed every batch interval: each
// checkpoint is one commit (an Iceberg snapshot) recording the hot
// position it covers ("eventstream/<topic>" → the last ingest sequence).
// A restart resumes after the last committed position, so every event
// reaches the cold tier exactly once.
//
// The unified table splits a scan at that committed position: the cold
// side covers every event up to it, the hot side only the events after
// it, so an event present in both tiers is counted once.
//
// The package holds no cold-storage code: the sink and the cold snapshot
// come through the Cold interface (the CLI plugs in Iceberg), so it
// builds for WebAssembly with the rest of eventstream.
package cold
