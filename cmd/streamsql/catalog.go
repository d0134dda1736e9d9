package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/streamsql/streamsql/connectors/iceberg"
	"github.com/streamsql/streamsql/connectors/iceberg/rest"
)

// catalogTokenEnv supplies --token's default, keeping the token out of
// process listings.
const catalogTokenEnv = "STREAMSQL_CATALOG_TOKEN"

// catalogCmd runs `streamsql catalog serve …` until SIGINT or SIGTERM.
func catalogCmd(args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "serve" {
		return usagef("catalog wants a subcommand: serve")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return catalogServe(ctx, args[1:], stdout, nil)
}

// catalogServe serves the warehouse through the Iceberg REST catalog
// protocol until ctx ends. ready, when set, gets the bound address once
// the server accepts connections (tests bind port 0).
func catalogServe(ctx context.Context, args []string, stdout io.Writer, ready func(addr string)) error {
	fs := flag.NewFlagSet("catalog serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dir := fs.String("warehouse", iceberg.DefaultWarehouse, "the warehouse directory to serve")
	addr := fs.String("addr", "127.0.0.1:8181", "the address to listen on")
	token := fs.String("token", os.Getenv(catalogTokenEnv), "bearer token clients must send (default $"+catalogTokenEnv+"; none: no auth)")
	prefix := fs.String("prefix", "", "catalog path prefix advertised in /v1/config, also the only accepted warehouse name")
	if err := fs.Parse(args); err != nil {
		return usagef("catalog serve: %v", err)
	}
	if fs.NArg() > 0 {
		return usagef("catalog serve takes no arguments, got %q", fs.Args())
	}

	cat, closeCat, err := rest.OpenWarehouse(*dir)
	if err != nil {
		return err
	}
	defer closeCat()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", *addr, err)
	}
	if *token == "" && !isLoopback(ln.Addr()) {
		fmt.Fprintf(stdout, "warning: serving %s without --token\n", ln.Addr())
	}
	srv := &http.Server{
		Handler:           rest.NewHandler(cat, rest.Options{Token: *token, Prefix: *prefix, Warehouse: *prefix}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "serving the Iceberg REST catalog of %s at http://%s\n", *dir, ln.Addr())
	if ready != nil {
		ready(ln.Addr().String())
	}

	select {
	case err := <-served:
		return fmt.Errorf("serving catalog: %w", err)
	case <-ctx.Done():
	}
	// Let in-flight commits finish: cutting one off leaves the client
	// unsure whether it landed.
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("stopping catalog server: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving catalog: %w", err)
	}
	return nil
}

// isLoopback reports whether addr is a loopback TCP address.
func isLoopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}
