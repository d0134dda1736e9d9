package eventstream

import (
	"errors"
	"net/http"
	"testing"
)

func TestCheckOrigin(t *testing.T) {
	s := &Server{cfg: Config{AllowOrigins: []string{"app.example.com", "*.Preview.example.com"}}}
	for _, c := range []struct {
		origin string
		ok     bool
	}{
		{"", true}, // not a browser
		{"https://do.example.net", true},
		{"https://DO.example.net", true},
		{"https://app.example.com", true},
		{"https://pr-1.preview.example.com", true},
		{"https://evil.example.com", false},
		{"https://do.example.net.evil.com", false},
		{"null", false},
		{"%zz", false},
	} {
		h := http.Header{}
		if c.origin != "" {
			h.Set("Origin", c.origin)
		}
		err := s.CheckOrigin(Call{Header: h, Host: "do.example.net"})
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrForbidden)) {
			t.Errorf("origin %q: %v, want allowed=%v", c.origin, err, c.ok)
		}
	}
}
