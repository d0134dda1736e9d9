package kafka

import (
	"context"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors/file"
)

// Options are validated against the spec: unknown, missing, misplaced or
// malformed options are errors that say what is valid.
func TestOptionsAreValidated(t *testing.T) {
	base := func(kv ...string) map[string]string {
		m := map[string]string{"connector": "kafka", "brokers": "localhost:1", "topic": "t", "schema": "id BIGINT"}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "<unset>" {
				delete(m, kv[i])
			} else {
				m[kv[i]] = kv[i+1]
			}
		}
		return m
	}
	for _, c := range []struct {
		opts map[string]string
		want []string
	}{
		{base("colour", "red"), []string{`unknown option "colour"`, "brokers", "transactional_id"}},
		{base("brokers", "<unset>"), []string{"missing option brokers"}},
		{base("topic", ""), []string{"missing option topic"}},
		{base("type", "both"), []string{`option type "both"`}},
		{base("type", "sink", "schema", "<unset>", "group", "g"), []string{"option group applies to a source, not a sink"}},
		{base("key", "id"), []string{"option key applies to a sink, not a source"}},
		{base("format", "avro"), []string{`option format "avro"`, "json, raw, csv"}},
		{base("type", "sink", "schema", "<unset>", "format", "csv"), []string{"a sink writes json or raw"}},
		{base("start", "committed"), []string{"start=committed needs a group"}},
		{base("partitions", "0,0"), []string{"option partitions"}},
		{base("isolation", "dirty"), []string{"option isolation"}},
		{base("schema", "<unset>", "metadata", "_nope"), []string{`"_nope" is not one of all, _topic`}},
		{base("metadata", "all"), []string{"the metadata option applies to a sampled schema"}},
		{base("sample", "0"), []string{"option sample"}},
		{base("schema", "id"), []string{"option schema", "want NAME TYPE"}},
		{base("schema", "_offset VARCHAR"), []string{"metadata column _offset must be BIGINT"}},
		{base("format", "raw", "schema", "id BIGINT"), []string{`VARCHAR column named "value"`}},
		{base("type", "sink", "schema", "<unset>", "transaction_timeout", "soon"), []string{"option transaction_timeout"}},
		{base("sasl_mechanism", "GSSAPI"), []string{"option sasl_mechanism"}},
		{base("sasl_mechanism", "PLAIN"), []string{"needs sasl_username", "KAFKA_PASSWORD"}},
		{base("sasl_username", "u"), []string{"sasl_username needs sasl_mechanism"}},
		{base("tls", "maybe"), []string{"option tls"}},
	} {
		_, err := catalog.OpenConnector("kafka", c.opts, nil)
		mustContain(t, err, c.want...)
	}
	schema, _ := file.ParseColumns("id BIGINT")
	_, err := catalog.OpenConnector("kafka", base(), schema)
	mustContain(t, err, "declare the columns or the schema option, not both")
}

// URIs carry every option as a query parameter; the brokers are the host
// part and the topic the path.
func TestParseURI(t *testing.T) {
	tbl, err := catalog.OpenURI("kafka://h1:9092,h2:9093/events?group=g&start=latest&schema=id%20BIGINT&format=json", catalog.RoleSource, nil)
	if err != nil {
		t.Fatal(err)
	}
	k := tbl.(*Table)
	if strings.Join(k.cfg.brokers, ",") != "h1:9092,h2:9093" || k.cfg.topic != "events" || k.cfg.group != "g" || k.cfg.start != startLatest || k.cfg.role != forSource {
		t.Fatalf("config %+v", k.cfg)
	}
	sink, err := catalog.OpenURI("kafka://h1:9092/out?key=id&transactional_id=tx", catalog.RoleSink, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c := sink.(*Table).cfg; c.role != forSink || c.key != "id" || c.txnID != "tx" {
		t.Fatalf("sink config %+v", c)
	}
	for uri, want := range map[string]string{
		"kafka:///events?schema=id%20BIGINT":               "names no broker",
		"kafka://h:1/?schema=id%20BIGINT":                  "one topic",
		"kafka://h:1/a/b?schema=id%20BIGINT":               "one topic",
		"kafka://h:1/t?topic=x&schema=id%20BIGINT":         "the topic is the URI's path",
		"kafka://h:1/t?brokers=x&schema=id%20BIGINT":       "the brokers are the URI's host part",
		"kafka://h:1/t?group=a&group=b&schema=id%20BIGINT": "option group given 2 times",
	} {
		_, err := catalog.OpenURI(uri, catalog.RoleSource, nil)
		mustContain(t, err, want)
	}
}

// SASL credentials come from the options, the URI or KAFKA_PASSWORD, and
// a password never shows in an error.
func TestSASLAndSecretsStayOutOfErrors(t *testing.T) {
	mem := checked(t)
	addr := cluster(t, "ev", 1, kfake.EnableSASL(), kfake.Superuser("PLAIN", "alice", "s3cret-pw"))
	schema, _ := file.ParseColumns("n BIGINT")
	t.Setenv(passwordEnv, "s3cret-pw")
	tbl := open(t, addr, "ev", schema, "sasl_mechanism", "PLAIN", "sasl_username", "alice")
	if rs := openReaders(t, tbl, mem, nil); len(rs) != 1 {
		t.Fatalf("%d splits", len(rs))
	}
	t.Setenv(passwordEnv, "")
	wrong := open(t, addr, "ev", schema, "sasl_mechanism", "PLAIN", "sasl_username", "alice", "sasl_password", "wrong-pw-123")
	_, err := wrong.OpenStream(context.Background(), catalog.StreamRequest{Columns: []int{0}, Alloc: mem})
	if err == nil {
		t.Fatal("a wrong password connected")
	}
	if strings.Contains(err.Error(), "wrong-pw-123") {
		t.Fatalf("the password is in the error: %v", err)
	}
	// The URI form: the password in the user information is redacted.
	tbl2, err := catalog.OpenURI("kafka://alice:s3cret-pw@"+addr+"/ev?schema=n%20BIGINT", catalog.RoleSource, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rs := openReaders(t, tbl2.(*Table), mem, nil); len(rs) != 1 {
		t.Fatalf("%d splits over the URI", len(rs))
	}
	_, err = catalog.OpenURI("kafka://alice:s3cret-pw@"+addr+"/ev?schema=n%20BIGINT&colour=red", catalog.RoleSource, nil)
	mustContain(t, err, "unknown option")
	if strings.Contains(err.Error(), "s3cret-pw") {
		t.Fatalf("the password is in the error: %v", err)
	}
}
