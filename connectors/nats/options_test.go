package nats

import (
	"net/url"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/catalog"
)

// Options are validated against the spec: unknown ones list the valid
// ones, missing required ones say what they are, values are checked.
func TestOptionErrors(t *testing.T) {
	for _, c := range []struct {
		connector string
		opts      map[string]string
		want      string
	}{
		{"nats", map[string]string{"subject": "a", "colour": "red"}, `unknown option "colour" (valid: connector, creds, format, queue, schema, servers, subject, subject_column, token, type)`},
		{"nats", map[string]string{"format": "raw"}, "option subject is required"},
		{"nats", map[string]string{"subject": "a", "format": "xml"}, `option format "xml": want json, raw, csv`},
		{"nats", map[string]string{"subject": "a", "type": "both"}, `option type "both": want source or sink`},
		{"nats", map[string]string{"subject": "a.>", "type": "sink"}, "without wildcards"},
		{"nats", map[string]string{"subject": "a", "type": "sink", "queue": "q"}, "queue applies to sources only"},
		{"nats", map[string]string{"subject": "a", "schema": "id"}, "option schema"},
		{"jetstream", map[string]string{"consumer": "c"}, "option stream is required"},
		{"jetstream", map[string]string{"stream": "a.b"}, `option stream "a.b": not a valid stream name`},
		{"jetstream", map[string]string{"stream": "S", "ack_wait": "soon"}, `option ack_wait "soon"`},
		{"jetstream", map[string]string{"stream": "S", "max_ack_pending": "0"}, "option max_ack_pending"},
		{"jetstream", map[string]string{"stream": "S", "ack_policy": "none"}, `option ack_policy "none": want explicit or all`},
		{"jetstream", map[string]string{"stream": "S", "msg_id": "id"}, "apply to sinks only"},
		{"jetstream", map[string]string{"stream": "S", "type": "sink"}, "a sink needs option subject or subject_column"},
	} {
		_, err := parseOptions(c.opts, c.connector == "jetstream")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v: want error containing %q, got %v", c.connector, c.opts, c.want, err)
		}
	}
}

// URIs map to options: host to servers, path to subject or stream and
// consumer, query to the rest.
func TestURIs(t *testing.T) {
	for _, c := range []struct {
		uri  string
		want map[string]string
		err  string
	}{
		{uri: "nats://h:4222/orders.>?queue=q&format=raw", want: map[string]string{"servers": "nats://h:4222", "subject": "orders.>", "queue": "q", "format": "raw"}},
		{uri: "nats://u:secret@h:4222/s", want: map[string]string{"servers": "nats://u:secret@h:4222", "subject": "s"}},
		{uri: "jetstream://h:4222/EV/job?subject=ev.a", want: map[string]string{"servers": "nats://h:4222", "stream": "EV", "consumer": "job", "subject": "ev.a"}},
		{uri: "jetstream://h:4222/OUT?subject=out.x&type=sink", want: map[string]string{"servers": "nats://h:4222", "stream": "OUT", "subject": "out.x", "type": "sink"}},
		{uri: "jetstream://h:4222/", err: "want jetstream://host:port/STREAM[/CONSUMER]"},
		{uri: "jetstream://h:4222/a/b/c", err: "want jetstream://host:port/STREAM[/CONSUMER]"},
		{uri: "jetstream://h:4222/EV?stream=X", err: "the stream is given twice"},
		{uri: "nats://h:4222/s?subject=t", err: "the subject is given twice"},
		{uri: "nats:///s", err: "names no server"},
		{uri: "nats://h/s?servers=nats://other", err: "name the server in the URI's host"},
	} {
		u, err := url.Parse(c.uri)
		if err != nil {
			t.Fatal(err)
		}
		parse := parseCoreURI
		if u.Scheme == "jetstream" {
			parse = parseJetStreamURI
		}
		got, err := parse(u)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: want error %q, got %v", c.uri, c.err, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.uri, err)
			continue
		}
		if len(got) != len(c.want) {
			t.Errorf("%s: options %v, want %v", c.uri, got, c.want)
		}
		for k, v := range c.want {
			if got[k] != v {
				t.Errorf("%s: %s=%q, want %q", c.uri, k, got[k], v)
			}
		}
	}
}

// Tokens and passwords never appear in errors, whether they come from the
// URI's password, the token option or the environment. (A token written
// as the URI's user name, nats://TOKEN@host, is shown by catalog.OpenURI's
// own error wrapping: keep tokens in $NATS_TOKEN.)
func TestSecretsStayOutOfErrors(t *testing.T) {
	t.Setenv("NATS_TOKEN", "env-token-xyz")
	// Nothing listens on port 1: connecting fails and the error names the
	// server.
	for _, uri := range []string{
		"nats://user:pw-secret-abc@127.0.0.1:1/s?format=raw",
		"jetstream://127.0.0.1:1/EV?token=opt-secret-ghi&format=raw",
	} {
		_, err := catalog.OpenURI(uri, catalog.RoleSource, nil)
		if err == nil {
			t.Fatalf("%s: connected to nothing", uri)
		}
		for _, secret := range []string{"pw-secret-abc", "opt-secret-ghi", "env-token-xyz"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error leaks a secret: %v", err)
			}
		}
		if !strings.Contains(err.Error(), "connecting to nats://") {
			t.Errorf("error does not name the server: %v", err)
		}
	}
}

// The token comes from the option, else from $NATS_TOKEN, and is used.
func TestTokenAuth(t *testing.T) {
	ts := startServer(t)
	ts.stop()
	ts.token = "s3cr3t"
	ts.start()
	opts := func() map[string]string {
		return map[string]string{"servers": ts.url(), "subject": "x", "format": "raw"}
	}
	if _, err := catalog.OpenConnector("nats", opts(), nil); err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("want an authorization error without the token, got %v", err)
	}
	t.Setenv("NATS_TOKEN", "s3cr3t")
	openTable(t, "nats", opts(), nil)
	t.Setenv("NATS_TOKEN", "wrong")
	o := opts()
	o["token"] = "s3cr3t"
	openTable(t, "nats", o, nil)
}
