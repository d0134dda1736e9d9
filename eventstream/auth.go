package eventstream

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"path"
)

// Authorization failures: ErrUnauthorized (no or unknown token, 401) and
// ErrForbidden (a known token without the scope, 403).
var (
	ErrUnauthorized = errors.New("missing or invalid bearer token")
	ErrForbidden    = errors.New("token not allowed")
)

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

// authorize checks that token grants scope on topic. With no tokens
// configured everything is allowed. Errors wrap ErrUnauthorized or
// ErrForbidden and never contain the token.
func (s *Server) authorize(token, topic string, scope Scope) error {
	if len(s.cfg.Tokens) == 0 {
		return nil
	}
	rules := s.rulesFor(token)
	if len(rules) == 0 {
		return ErrUnauthorized
	}
	if granted(rules, topic)&scope == scope {
		return nil
	}
	return fmt.Errorf("%w: no %s scope on topic %q", ErrForbidden, scopeName(scope), topic)
}

// TokenRules returns the rules of the call's bearer token (the
// Authorization header, or access_token for browsers' WebSockets),
// compared in constant time; on is false when no tokens are configured
// (everything is allowed). For hosts that authorise on their own (a
// Durable Object's sockets).
func (s *Server) TokenRules(c Call) (rules []TokenRule, on bool) {
	if len(s.cfg.Tokens) == 0 {
		return nil, false
	}
	return s.rulesFor(c.bearer()), true
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

// readableTopics filters topics to those token may read; all is true
// when no tokens are configured or the token reads every topic ("*"), so
// the full engine may be used.
func (s *Server) readableTopics(token string, topics []string) (readable []string, all bool, err error) {
	if len(s.cfg.Tokens) == 0 {
		return topics, true, nil
	}
	rules := s.rulesFor(token)
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

// authorizeTables checks that token may read every table (table names
// are matched like topics). With no tables it only checks that the token
// is valid. Errors wrap ErrUnauthorized or ErrForbidden.
func (s *Server) authorizeTables(token string, tables []string) error {
	if len(s.cfg.Tokens) == 0 {
		return nil
	}
	rules := s.rulesFor(token)
	if len(rules) == 0 {
		return ErrUnauthorized
	}
	for _, t := range tables {
		if granted(rules, t)&ScopeRead == 0 {
			return NoReadScope(t)
		}
	}
	return nil
}

// NoReadScope is the refusal of a query reading table without the scope
// (wraps ErrForbidden): the words `streamsql serve` and the Durable Object
// both answer with.
func NoReadScope(table string) error {
	return fmt.Errorf("%w: no read scope on %q", ErrForbidden, table)
}
