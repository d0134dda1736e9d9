package nats

import (
	"fmt"
	"net/url"
	"strings"
)

// parseCoreURI turns nats://[user:password@]host:port/subject?queue=q&…
// into connector nats's options: the path is the subject, the query
// parameters are options.
func parseCoreURI(u *url.URL) (map[string]string, error) {
	opts, err := uriOptions(u)
	if err != nil {
		return nil, err
	}
	subject := strings.Trim(u.Path, "/")
	if subject != "" {
		if opts["subject"] != "" {
			return nil, fmt.Errorf("the subject is given twice, in the path and as subject=")
		}
		opts["subject"] = subject
	}
	return opts, nil
}

// parseJetStreamURI turns jetstream://host:port/stream[/consumer]?subject=…
// into connector jetstream's options.
func parseJetStreamURI(u *url.URL) (map[string]string, error) {
	opts, err := uriOptions(u)
	if err != nil {
		return nil, err
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) > 2 || parts[0] == "" {
		return nil, fmt.Errorf("want jetstream://host:port/STREAM[/CONSUMER]")
	}
	for i, name := range []string{"stream", "consumer"} {
		if i >= len(parts) {
			break
		}
		if opts[name] != "" {
			return nil, fmt.Errorf("the %s is given twice, in the path and as %s=", name, name)
		}
		opts[name] = parts[i]
	}
	return opts, nil
}

// uriOptions takes the server from the URI's host and user information
// and the other options from its query.
func uriOptions(u *url.URL) (map[string]string, error) {
	if u.Host == "" {
		return nil, fmt.Errorf("the URI names no server (want %s://host:port/…)", u.Scheme)
	}
	opts := map[string]string{}
	for k, vs := range u.Query() {
		k = strings.ToLower(k)
		if len(vs) != 1 {
			return nil, fmt.Errorf("option %s given %d times", k, len(vs))
		}
		if k == "servers" {
			return nil, fmt.Errorf("option servers: name the server in the URI's host")
		}
		opts[k] = vs[0]
	}
	server := &url.URL{Scheme: "nats", Host: u.Host, User: u.User}
	opts["servers"] = server.String()
	return opts, nil
}
