package eventstream

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"path"
	"strings"
)

// Authorization failures: ErrUnauthorized (no or unknown token, 401) and
// ErrForbidden (a known token without the scope, 403).
var (
	ErrUnauthorized = errors.New("missing or invalid bearer token")
	ErrForbidden    = errors.New("token not allowed")
)

// bearer returns the request's token: the Authorization header, or the
// access_token query parameter for browser WebSockets, which cannot set
// headers. "" when there is none.
func bearer(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if tok, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(tok)
		}
		return ""
	}
	return r.URL.Query().Get("access_token")
}

// rulesFor returns the rules of token (compared in constant time).
func (s *Server) rulesFor(token string) []TokenRule {
	var out []TokenRule
	for _, rule := range s.cfg.Tokens {
		if subtle.ConstantTimeCompare([]byte(rule.Token), []byte(token)) == 1 {
			out = append(out, rule)
		}
	}
	return out
}

// Authorize checks that the request's bearer token grants scope on topic.
// With no tokens configured everything is allowed. Errors wrap
// ErrUnauthorized or ErrForbidden and never contain the token.
func (s *Server) Authorize(r *http.Request, topic string, scope Scope) error {
	if len(s.cfg.Tokens) == 0 {
		return nil
	}
	rules := s.rulesFor(bearer(r))
	if len(rules) == 0 {
		return ErrUnauthorized
	}
	if granted(rules, topic)&scope == scope {
		return nil
	}
	return fmt.Errorf("%w: no %s scope on topic %q", ErrForbidden, scopeName(scope), topic)
}

// TokenRules returns the rules of the request's bearer token (the
// Authorization header, or access_token for browsers' WebSockets),
// compared in constant time; on is false when no tokens are configured
// (everything is allowed). For hosts that authorise on their own (a
// Durable Object's sockets).
func (s *Server) TokenRules(r *http.Request) (rules []TokenRule, on bool) {
	if len(s.cfg.Tokens) == 0 {
		return nil, false
	}
	return s.rulesFor(bearer(r)), true
}

// Granted is the union of the scopes rules give on topic.
func Granted(rules []TokenRule, topic string) Scope { return granted(rules, topic) }

// granted is the union of the scopes rules give on topic.
func granted(rules []TokenRule, topic string) Scope {
	var have Scope
	for _, rule := range rules {
		if ok, _ := path.Match(rule.Topics, topic); ok {
			have |= rule.Scopes
		}
	}
	return have
}

// readableTopics filters topics to those the request may read; all is
// true when no tokens are configured or the token reads every topic
// ("*"), so the full engine may be used.
func (s *Server) readableTopics(r *http.Request, topics []string) (readable []string, all bool, err error) {
	if len(s.cfg.Tokens) == 0 {
		return topics, true, nil
	}
	rules := s.rulesFor(bearer(r))
	if len(rules) == 0 {
		return nil, false, ErrUnauthorized
	}
	for _, rule := range rules {
		if rule.Topics == "*" && rule.Scopes&ScopeRead != 0 {
			return topics, true, nil
		}
	}
	for _, t := range topics {
		if granted(rules, t)&ScopeRead != 0 {
			readable = append(readable, t)
		}
	}
	if len(readable) == 0 {
		return nil, false, fmt.Errorf("%w: no read scope on any topic", ErrForbidden)
	}
	return readable, false, nil
}

func scopeName(s Scope) string {
	switch s {
	case ScopeRead:
		return "read"
	case ScopeWrite:
		return "write"
	}
	return "read,write"
}

// WriteAuthError answers an Authorize failure: 401 with a Bearer
// challenge, or 403.
func WriteAuthError(w http.ResponseWriter, err error) {
	if errors.Is(err, ErrUnauthorized) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="streamsql"`)
		writeError(w, http.StatusUnauthorized, err.Error())
		return
	}
	writeError(w, http.StatusForbidden, err.Error())
}

// AuthorizeTables checks that the request's token may read every table
// (table names are matched like topics): the hook for handlers mounted
// with Handle, such as live queries. With no tables it only checks that
// the token is valid. Errors wrap ErrUnauthorized or ErrForbidden.
func (s *Server) AuthorizeTables(r *http.Request, tables []string) error {
	if len(s.cfg.Tokens) == 0 {
		return nil
	}
	rules := s.rulesFor(bearer(r))
	if len(rules) == 0 {
		return ErrUnauthorized
	}
	for _, t := range tables {
		if granted(rules, t)&ScopeRead == 0 {
			return fmt.Errorf("%w: no read scope on %q", ErrForbidden, t)
		}
	}
	return nil
}
