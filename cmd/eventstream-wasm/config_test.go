//go:build !js

package main

import (
	"strings"
	"testing"
	"time"
)

// TestHostConfig: the object's settings become the server's, with serve's
// defaults, and bad settings are refused without echoing secrets.
func TestHostConfig(t *testing.T) {
	hc, err := parseHostConfig(`{"token":"s3cret","tokens":"# comment\nro orders.* read","topicSchemas":["orders=id BIGINT"],"hotRetention":"90s","subscriberQueue":9}`)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := hc.serverConfig(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HotRetention != 90*time.Second || len(cfg.Tokens) != 2 || len(cfg.Topics) != 1 || cfg.SubscriberQueue != 9 ||
		cfg.BatchMaxSeconds != defaultBatchMaxSeconds || hc.GoMemLimit != defaultGoMemLimit {
		t.Fatalf("config %+v", cfg)
	}
	for _, raw := range []string{
		`{"hotRetention":"soon"}`,
		`{"topicSchemas":["orders"]}`,
		`{"tokens":"s3cret orders"}`,
		`{"tokens":"s3cret orders fly"}`,
	} {
		hc, err := parseHostConfig(raw)
		if err == nil {
			_, err = hc.serverConfig(nil, nil)
		}
		if err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: %v", raw, err)
		}
	}
	if _, err := parseHostConfig(`{"unknown":1}`); err == nil {
		t.Error("an unknown setting was accepted")
	}
	if hc, err := parseHostConfig(""); err != nil || hc.BatchMaxBytes != defaultBatchMaxBytes {
		t.Errorf("empty config: %+v %v", hc, err)
	}
}

// TestNewHostFailures: storage or configuration that cannot work stops
// the host from starting, with the cause.
func TestNewHostFailures(t *testing.T) {
	if _, err := NewHost(`{"hotRetention":"x"}`, newSQLite(t), newFakePeer(), newFakeCold(), t.Logf); err == nil {
		t.Error("bad config accepted")
	}
	if _, err := NewHost(`{`, newSQLite(t), newFakePeer(), newFakeCold(), t.Logf); err == nil {
		t.Error("bad JSON accepted")
	}
	db := newSQLite(t)
	db.setFail(func(q string) error {
		if strings.Contains(q, "cold_cursor") {
			return errInjected
		}
		return nil
	})
	if _, err := NewHost(`{}`, db, newFakePeer(), newFakeCold(), t.Logf); err == nil || !strings.Contains(err.Error(), "cold-tier") {
		t.Errorf("cold table failure: %v", err)
	}
	db.setFail(func(string) error { return errInjected })
	if _, err := NewHost(`{}`, db, newFakePeer(), newFakeCold(), t.Logf); err == nil {
		t.Error("storage failure ignored")
	}
}

// TestRecorderDefaults: a handler that only writes a body answers 200.
func TestRecorderDefaults(t *testing.T) {
	r := &recorder{header: map[string][]string{}}
	r.Write([]byte("x"))
	r.WriteHeader(500) // too late: the status is sent
	if resp := r.response(); resp.Status != 200 || string(resp.Body) != "x" {
		t.Fatalf("%+v", resp)
	}
}
