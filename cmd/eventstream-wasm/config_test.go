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

// TestRequestCall: the object's request becomes the server's call, with
// headers looked up regardless of case and a malformed URL refused.
func TestRequestCall(t *testing.T) {
	r := Request{Method: "POST", URL: "https://do.example/events?topic=orders&access_token=x",
		Headers: []Header{{"content-type", "application/json"}, {"Authorization", "Bearer t"}}, Body: []byte("{}")}
	c, err := r.call()
	if err != nil {
		t.Fatal(err)
	}
	if c.Path != "/events" || c.Query.Get("topic") != "orders" || c.Header.Get("Content-Type") != "application/json" ||
		c.Header.Get("AUTHORIZATION") != "Bearer t" || c.Header.Get("Accept") != "" || c.ContentLength != 2 {
		t.Errorf("call %+v", c)
	}
	if _, err := (Request{Method: "GET", URL: "http://a b/%zz"}).call(); err == nil {
		t.Error("a malformed URL was taken")
	}
}
