package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	icerest "github.com/apache/iceberg-go/catalog/rest"
	"github.com/apache/iceberg-go/table"
)

func TestCatalogServeAnswersRESTClients(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	var out bytes.Buffer
	go func() {
		done <- catalogServe(ctx, []string{"--warehouse", dir, "--addr", "127.0.0.1:0", "--token", "tok"},
			&out, func(addr string) { addrc <- addr })
	}()
	var addr string
	select {
	case addr = <-addrc:
	case err := <-done:
		t.Fatalf("catalog serve stopped: %v", err)
	}

	c, err := icerest.NewCatalog(context.Background(), "t", "http://"+addr, icerest.WithOAuthToken("tok"))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := c.CreateNamespace(context.Background(), table.Identifier{"ns"}, nil); err != nil {
		t.Error(err)
	}
	if _, err := icerest.NewCatalog(context.Background(), "t", "http://"+addr, icerest.WithOAuthToken("bad")); !errors.Is(err, icerest.ErrUnauthorized) {
		t.Errorf("wrong token: %v", err)
	}
	_ = c.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "catalog.db")); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "serving the Iceberg REST catalog") {
		t.Errorf("stdout = %q", out.String())
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{"127.0.0.1:1": true, "[::1]:1": true, "0.0.0.0:1": false, "10.0.0.1:1": false} {
		a, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := isLoopback(a); got != want {
			t.Errorf("isLoopback(%s) = %v", addr, got)
		}
	}
}

func TestCatalogCommandErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"catalog"}, 2},
		{[]string{"catalog", "list"}, 2},
		{[]string{"catalog", "serve", "extra"}, 2},
		{[]string{"catalog", "serve", "--bogus"}, 2},
		{[]string{"catalog", "serve", "--warehouse", file}, 1},
		{[]string{"catalog", "serve", "--warehouse", t.TempDir(), "--addr", "127.0.0.1:99999"}, 1},
	} {
		if code, _, errOut := runCLI(t, "", tc.args...); code != tc.code {
			t.Errorf("%v: exit %d, want %d (stderr %q)", tc.args, code, tc.code, errOut)
		}
	}
}
