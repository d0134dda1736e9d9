package rest

import (
	"encoding/json"
	"maps"
	"net/http"
	"testing"
)

// loadConfig GETs the table ns.events and returns its "config".
func loadConfig(t *testing.T, url string) map[string]string {
	t.Helper()
	rsp, err := http.Get(url + "/v1/namespaces/ns/tables/events")
	if err != nil {
		t.Fatal(err)
	}
	defer rsp.Body.Close()
	if rsp.StatusCode != http.StatusOK {
		t.Fatalf("load table: status %d", rsp.StatusCode)
	}
	var body struct {
		Config map[string]string `json:"config"`
	}
	if err := json.NewDecoder(rsp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return body.Config
}

// Options.TableConfig is vended in every load-table response (a copy: the
// caller's map changing later changes nothing); without it the config is
// empty.
func TestTableConfigIsVended(t *testing.T) {
	vended := map[string]string{"s3.endpoint": "http://s3.local", "s3.access-key-id": "id"}
	want := maps.Clone(vended)
	url, _ := serve(t, Options{TableConfig: vended})
	createEvents(t, client(t, url), "ns")
	vended["s3.endpoint"] = "changed"
	if got := loadConfig(t, url); !maps.Equal(got, want) {
		t.Errorf("config %v, want %v", got, want)
	}
	plain, _ := serve(t, Options{})
	createEvents(t, client(t, plain), "ns")
	if got := loadConfig(t, plain); len(got) != 0 {
		t.Errorf("config without TableConfig: %v", got)
	}
}
