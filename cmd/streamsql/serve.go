package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/streamsql/streamsql/eventstream"
	"github.com/streamsql/streamsql/eventstream/wal"
)

// serveTokenEnv supplies --token's default, keeping the token out of
// process listings.
const serveTokenEnv = "STREAMSQL_TOKEN"

// serveCmd runs `streamsql serve …` until SIGINT or SIGTERM.
func serveCmd(args []string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, args, stdout, stderr, nil)
}

// serveConfig reads serve's flags into a server configuration and the
// address to listen on.
func serveConfig(args []string, stderr io.Writer) (eventstream.Config, string, tierOptions, error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	addr := fs.String("addr", "127.0.0.1:8787", "the address to listen on")
	stateDir := fs.String("state-dir", filepath.Join(".streamsql", "serve"), "where the write-ahead log lives")
	warehouse := fs.String("warehouse", "", "Iceberg warehouse of the cold tier (default: warehouse/ beside --state-dir, i.e. .streamsql/warehouse)")
	coldOn := fs.Bool("cold", true, "run the cold tier: batch every topic into the warehouse (or --pipelines) and query both tiers as one table")
	pipelines := fs.String("pipelines", "", "send the cold-tier batches to a Cloudflare Pipelines stream (pipelines+https://STREAM-ID.ingest.cloudflare.com) instead of the warehouse")
	wrangler := fs.String("wrangler", "", "read --batch-max-bytes/--batch-max-seconds from the first [[pipelines]] entry of this wrangler.toml")
	retention := fs.Duration("hot-retention", eventstream.DefaultHotRetention, "how long events stay in the hot tier")
	hotBytes := fs.Int64("hot-max-bytes", eventstream.DefaultHotMaxBytes, "most event bytes held per topic")
	batchBytes := fs.Int64("batch-max-bytes", 1<<20, "dual path: flush a cold-tier batch at this size")
	batchSecs := fs.Int("batch-max-seconds", 60, "dual path: flush a cold-tier batch after this long")
	token := fs.String("token", "", "bearer token with every scope (default $"+serveTokenEnv+"; none: no auth)")
	tokensFile := fs.String("tokens-file", "", "file of `token topic-glob read,write` lines")
	var schemas, origins, timeFields listFlag
	fs.Var(&schemas, "topic-schema", "declare a topic's columns: 'orders=id BIGINT, amount DOUBLE'; repeatable")
	fs.Var(&origins, "allow-origin", "host pattern browsers may open WebSockets from (e.g. app.example.com); repeatable")
	fs.Var(&timeFields, "event-time-field", "event-time field of a topic: TOPIC=FIELD (default: timestamp); repeatable")
	if err := fs.Parse(args); err != nil {
		return eventstream.Config{}, "", tierOptions{}, usagef("serve: %v", err)
	}
	if fs.NArg() > 0 {
		return eventstream.Config{}, "", tierOptions{}, usagef("serve takes no arguments, got %q", fs.Args())
	}
	cfg := eventstream.Config{
		StateDir:        wal.OSDir(*stateDir),
		HotRetention:    *retention,
		HotMaxBytes:     *hotBytes,
		Warehouse:       *warehouse,
		BatchMaxBytes:   *batchBytes,
		BatchMaxSeconds: *batchSecs,
		AllowOrigins:    origins,
		Logf:            log.New(stderr, "", log.LstdFlags).Printf,
	}
	for _, s := range schemas {
		ts, err := eventstream.ParseTopicSchema(s)
		if err != nil {
			return cfg, "", tierOptions{}, usagef("serve: --topic-schema: %v", err)
		}
		cfg.Topics = append(cfg.Topics, ts)
	}
	for _, f := range timeFields {
		topic, field, ok := strings.Cut(f, "=")
		if !ok || topic == "" || field == "" {
			return cfg, "", tierOptions{}, usagef("serve: --event-time-field wants TOPIC=FIELD, got %q", f)
		}
		if cfg.EventTimeFields == nil {
			cfg.EventTimeFields = map[string]string{}
		}
		cfg.EventTimeFields[topic] = field
	}
	if *token == "" {
		*token = os.Getenv(serveTokenEnv)
	}
	if *token != "" {
		cfg.Tokens = append(cfg.Tokens, eventstream.TokenRule{Token: *token, Topics: "*", Scopes: eventstream.ScopeRead | eventstream.ScopeWrite})
	}
	if *tokensFile != "" {
		rules, err := readTokensFile(*tokensFile)
		if err != nil {
			return cfg, "", tierOptions{}, err
		}
		cfg.Tokens = append(cfg.Tokens, rules...)
	}
	to := tierOptions{enabled: *coldOn, warehouse: *warehouse, pipelines: *pipelines,
		batchBytes: *batchBytes, batchSecs: *batchSecs, stateDir: *stateDir}
	if *wrangler != "" {
		b, err := readWranglerBatch(*wrangler)
		if err != nil {
			return cfg, "", to, err
		}
		if b.maxBytes > 0 {
			to.batchBytes, cfg.BatchMaxBytes = b.maxBytes, b.maxBytes
		}
		if b.maxSeconds > 0 {
			to.batchSecs, cfg.BatchMaxSeconds = b.maxSeconds, b.maxSeconds
		}
	}
	if to.batchSecs <= 0 || to.batchBytes <= 0 {
		return cfg, "", to, usagef("serve: --batch-max-bytes and --batch-max-seconds must be positive")
	}
	return cfg, *addr, to, nil
}

// readTokensFile reads `token topic-glob read,write` lines.
func readTokensFile(path string) ([]eventstream.TokenRule, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading tokens file: %w", err)
	}
	defer f.Close()
	var rules []eventstream.TokenRule
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		rule, ok, err := eventstream.ParseTokenLine(sc.Text())
		if err != nil {
			return nil, fmt.Errorf("reading tokens file %s:%d: %w", path, n, err)
		}
		if ok {
			rules = append(rules, rule)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading tokens file: %w", err)
	}
	return rules, nil
}

// serve runs the hot tier until ctx ends. ready, when set, gets the bound
// address once the server accepts connections (tests bind port 0).
func serve(ctx context.Context, args []string, stdout, stderr io.Writer, ready func(addr string)) error {
	cfg, addr, to, err := serveConfig(args, stderr)
	if err != nil {
		return err
	}
	tier, err := openCold(&cfg, to)
	if err != nil {
		return err
	}
	es, err := eventstream.New(cfg)
	if err != nil {
		tier.close()
		return err
	}
	defer es.Close()
	// The dual path stops before the hot tier closes: a closed hot tier
	// reads as the end of input, which would end its jobs for good.
	defer tier.close()
	if err := tier.start(ctx, es, stderr); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", addr, err)
	}
	if len(cfg.Tokens) == 0 && !isLoopback(ln.Addr()) {
		fmt.Fprintf(stdout, "warning: serving %s without --token: anyone can read and write events\n", ln.Addr())
	}
	srv := &http.Server{Handler: es, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "serving events at http://%s (state %s, replayed %d events)\n", ln.Addr(), cfg.StateDir, es.ReplayedEvents)
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-served:
		return fmt.Errorf("serving events: %w", err)
	case <-ctx.Done():
	}
	// In-flight ingests finish (their events are then durable and
	// acknowledged); WebSockets are hijacked, so es.Close ends them.
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("stopping event server: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving events: %w", err)
	}
	if err := tier.close(); err != nil {
		return err
	}
	return es.Close()
}
