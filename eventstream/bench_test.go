package eventstream

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/streamsql/streamsql/eventstream/wal"
)

// BenchmarkIngestToSubscriber measures the time from a client starting a
// POST /events to a WebSocket subscriber holding the event, over real
// HTTP on loopback; with the write-ahead log (an fsync per request, or
// per group of concurrent requests) and without. It reports p50 and p99.
func BenchmarkIngestToSubscriber(b *testing.B) {
	for _, mode := range []string{"wal", "memory"} {
		b.Run(mode, func(b *testing.B) {
			cfg := Config{}
			if mode == "wal" {
				cfg.StateDir = wal.OSDir(b.TempDir())
			}
			srv, err := New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Close()
			hs := httptest.NewServer(srv)
			defer hs.Close()
			ctx := context.Background()
			c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(hs.URL, "http")+"/events?topic=bench", nil)
			if err != nil {
				b.Fatal(err)
			}
			defer c.CloseNow()
			client := &http.Client{}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				resp, err := client.Post(hs.URL+"/events?topic=bench", "application/json", strings.NewReader(`{"order":1,"amount":9.5}`))
				if err != nil {
					b.Fatal(err)
				}
				resp.Body.Close()
				if _, _, err := c.Read(ctx); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		})
	}
}
