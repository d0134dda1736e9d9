package kafka

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// parseURI turns kafka://host:port[,host2:port]/topic?opt=v… into options:
// the hosts are brokers, the path the topic, every query parameter an
// option. User information, if any, is the SASL user and password.
func parseURI(u *url.URL) (map[string]string, error) {
	opts := map[string]string{}
	for k, vs := range u.Query() {
		k = strings.ToLower(k)
		if len(vs) != 1 {
			return nil, fmt.Errorf("option %s given %d times", k, len(vs))
		}
		opts[k] = vs[0]
	}
	if u.Host == "" {
		return nil, errors.New("the URI names no broker: want kafka://host:port/topic")
	}
	if _, set := opts["brokers"]; set {
		return nil, errors.New("the brokers are the URI's host part, not an option")
	}
	opts["brokers"] = u.Host
	topic := strings.Trim(u.Path, "/")
	if topic == "" || strings.Contains(topic, "/") {
		return nil, errors.New("the URI path must be one topic: kafka://host:port/topic")
	}
	if _, set := opts["topic"]; set {
		return nil, errors.New("the topic is the URI's path, not an option")
	}
	opts["topic"] = topic
	if u.User != nil {
		opts["sasl_username"] = u.User.Username()
		if p, ok := u.User.Password(); ok {
			opts["sasl_password"] = p
		}
		if _, set := opts["sasl_mechanism"]; !set {
			opts["sasl_mechanism"] = "PLAIN"
		}
	}
	return opts, nil
}
