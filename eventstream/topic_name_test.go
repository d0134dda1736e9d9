package eventstream

import (
	"regexp"
	"strings"
	"testing"
)

// validTopic is the hand-written form of this pattern (no regexp is
// compiled at start-up); they must agree.
var topicPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.\-]{0,127}$`)

func TestValidTopicMatchesPattern(t *testing.T) {
	names := []string{"", "a", "_", "orders", "cdc.orders", "a-b", "A9", "9a", ".a", "-a", "a b", "a/b", "é", "a\x00",
		"ordersé", strings.Repeat("a", 128), strings.Repeat("a", 129), "_" + strings.Repeat("9", 127), "a:b", "a$"}
	for c := 0; c < 256; c++ {
		names = append(names, string(rune(c)), "a"+string([]byte{byte(c)}), string([]byte{byte(c)})+"a")
	}
	for _, n := range names {
		if got, want := validTopic(n), topicPattern.MatchString(n); got != want {
			t.Errorf("validTopic(%q) = %v, the pattern says %v", n, got, want)
		}
	}
}
