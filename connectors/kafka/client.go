package kafka

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// clientOpts are the options every client of the table starts from:
// brokers, client id, SASL and TLS.
func (c *config) clientOpts() ([]kgo.Opt, error) {
	opts := []kgo.Opt{kgo.SeedBrokers(c.brokers...), kgo.ClientID(c.clientID)}
	switch c.saslMechanism {
	case "PLAIN":
		opts = append(opts, kgo.SASL(plain.Auth{User: c.saslUser, Pass: c.saslPassword}.AsMechanism()))
	case "SCRAM-SHA-256":
		opts = append(opts, kgo.SASL(scram.Auth{User: c.saslUser, Pass: c.saslPassword}.AsSha256Mechanism()))
	case "SCRAM-SHA-512":
		opts = append(opts, kgo.SASL(scram.Auth{User: c.saslUser, Pass: c.saslPassword}.AsSha512Mechanism()))
	}
	if c.tls {
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		if c.tlsCA != "" {
			pem, err := os.ReadFile(c.tlsCA)
			if err != nil {
				return nil, fmt.Errorf("reading tls_ca: %w", err)
			}
			tc.RootCAs = x509.NewCertPool()
			if !tc.RootCAs.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("reading tls_ca %s: no PEM certificate in it", c.tlsCA)
			}
		}
		opts = append(opts, kgo.DialTLSConfig(tc))
	}
	return opts, nil
}

// newClient makes a client with the table's connection options plus more.
func (c *config) newClient(more ...kgo.Opt) (*kgo.Client, error) {
	opts, err := c.clientOpts()
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(append(opts, more...)...)
	if err != nil {
		return nil, fmt.Errorf("creating kafka client: %w", err)
	}
	return cl, nil
}

// partitions lists the partitions the source reads: the topic's, or the
// partitions option (each of which must exist).
func (c *config) partitionsOf(ctx context.Context, adm *kadm.Client) ([]int32, error) {
	tds, err := adm.ListTopics(ctx, c.topic)
	if err != nil {
		return nil, fmt.Errorf("listing topic %s: %w", c.topic, err)
	}
	td, ok := tds[c.topic]
	if !ok || errors.Is(td.Err, kerr.UnknownTopicOrPartition) {
		return nil, fmt.Errorf("listing topic %s: the topic does not exist", c.topic)
	}
	if td.Err != nil {
		return nil, fmt.Errorf("listing topic %s: %w", c.topic, td.Err)
	}
	var all []int32
	for p := range td.Partitions {
		all = append(all, p)
	}
	slices.Sort(all)
	if len(c.partitions) == 0 {
		return all, nil
	}
	for _, p := range c.partitions {
		if !slices.Contains(all, p) {
			return nil, fmt.Errorf("listing topic %s: it has no partition %d (it has %d)", c.topic, p, len(all))
		}
	}
	return c.partitions, nil
}

// startOffsets resolves the start option to an offset per partition.
// Partitions without a committed offset (start=committed) start at the
// earliest offset.
func (c *config) startOffsets(ctx context.Context, adm *kadm.Client, parts []int32) (map[int32]int64, error) {
	var (
		listed kadm.ListedOffsets
		err    error
	)
	out := map[int32]int64{}
	switch c.start {
	case startLatest:
		listed, err = adm.ListEndOffsets(ctx, c.topic)
	case startTime:
		listed, err = adm.ListOffsetsAfterMilli(ctx, c.startMilli, c.topic)
	case startCommitted:
		fetched, ferr := adm.FetchOffsets(ctx, c.group)
		if errors.Is(ferr, kerr.GroupIDNotFound) {
			ferr = nil // a group that never committed
		}
		if ferr != nil {
			return nil, fmt.Errorf("fetching the offsets of group %s: %w", c.group, ferr)
		}
		if err := fetched.Error(); err != nil {
			return nil, fmt.Errorf("fetching the offsets of group %s: %w", c.group, err)
		}
		for _, p := range parts {
			if o, ok := fetched.Lookup(c.topic, p); ok && o.At >= 0 {
				out[p] = o.At
			}
		}
		fallthrough
	default:
		listed, err = adm.ListStartOffsets(ctx, c.topic)
	}
	if err != nil {
		return nil, fmt.Errorf("listing the %s offsets of %s: %w", c.start, c.topic, err)
	}
	for _, p := range parts {
		if _, done := out[p]; done {
			continue
		}
		o, ok := listed.Lookup(c.topic, p)
		if !ok {
			return nil, fmt.Errorf("listing the %s offsets of %s: no offset for partition %d", c.start, c.topic, p)
		}
		if o.Err != nil {
			return nil, fmt.Errorf("listing the %s offsets of %s partition %d: %w", c.start, c.topic, p, o.Err)
		}
		out[p] = o.Offset
	}
	return out, nil
}

// endOffsets lists where each partition ends now: the last stable offset
// for read_committed, else the high watermark.
func (c *config) endOffsets(ctx context.Context, adm *kadm.Client) (kadm.ListedOffsets, error) {
	var (
		l   kadm.ListedOffsets
		err error
	)
	if c.committed {
		l, err = adm.ListCommittedOffsets(ctx, c.topic)
	} else {
		l, err = adm.ListEndOffsets(ctx, c.topic)
	}
	if err != nil {
		return nil, fmt.Errorf("listing the end offsets of %s: %w", c.topic, err)
	}
	if err := l.Error(); err != nil {
		return nil, fmt.Errorf("listing the end offsets of %s: %w", c.topic, err)
	}
	return l, nil
}

// consumerOpts are the options of a client reading partitions from the
// given offsets. A partition whose offset is gone (retention) fails the
// read rather than silently skipping to another offset.
func (c *config) consumerOpts(from map[int32]int64) []kgo.Opt {
	parts := map[int32]kgo.Offset{}
	for p, o := range from {
		parts[p] = kgo.NewOffset().At(o)
	}
	opts := []kgo.Opt{
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{c.topic: parts}),
		kgo.ConsumeResetOffset(kgo.NoResetOffset()),
		kgo.WithPools(records),
	}
	if c.committed {
		opts = append(opts, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	}
	return opts
}
