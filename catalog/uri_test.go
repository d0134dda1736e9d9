package catalog

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

func TestOpenURIRedactsSecrets(t *testing.T) {
	RegisterScheme("testsecret", "testsecret-conn", func(u *url.URL) (map[string]string, error) {
		return nil, errors.New("refused")
	})
	_, err := OpenURI("testsecret://tok3n:hunter2@host/x?token=abc123&group=g&sasl_password=pw9&token_env=MY_VAR", RoleSource, nil)
	if err == nil {
		t.Fatal("no error")
	}
	for _, secret := range []string{"hunter2", "abc123", "pw9", "tok3n"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error shows secret %q: %v", secret, err)
		}
	}
	if !strings.Contains(err.Error(), "group=g") || !strings.Contains(err.Error(), "token_env=MY_VAR") {
		t.Errorf("error lost the harmless options: %v", err)
	}
	if _, err := OpenURI("nosuch://h/x?password=s3", RoleSource, (*arrow.Schema)(nil)); err == nil || strings.Contains(err.Error(), "s3") && !strings.Contains(err.Error(), "xxxxx") {
		t.Errorf("unknown scheme: %v", err)
	}
	if _, err := OpenURI("bad://%zz", RoleSource, nil); err == nil || !strings.Contains(err.Error(), "malformed URI") {
		t.Errorf("malformed: %v", err)
	}
}
