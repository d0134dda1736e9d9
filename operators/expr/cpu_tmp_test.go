package expr

import (
	"os"
	"strings"
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"
)

func threadCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(1, &ru) // RUSAGE_THREAD
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestCPUBench(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for _, sql := range pick([]string{"i > 500", "f >= 500.5", "i < f", "s = 'duckdb7'", "i + 7", "i * i", "i > 100 AND i < 900",
		"date_trunc('minute', ts)", "date_trunc('month', ts)", "date_bin(INTERVAL '5 minutes', ts)", "date_part('hour', ts)",
		"s LIKE 'stream%'", "s LIKE '%sql%'", "s LIKE 's%e_m%1'", "s ILIKE 'stream%'", "lower(s)", "i IN (1, 5, 10, 50, 100, 500)",
		"CASE WHEN i > 500 THEN 'hi' ELSE 'lo' END", "CAST(i AS VARCHAR)"}) {
		rec, refs, layout := benchBatch(false)
		e, _ := bindSQL(sql, refs)
		ev, _ := Compile(e, layout)
		ctx := &Context{Mem: nil}
		const iters = 200
		runtime.GC()
		start := threadCPU()
		for k := 0; k < iters; k++ {
			out, err := ev.Eval(ctx, rec)
			if err != nil {
				t.Fatal(err)
			}
			out.Release()
		}
		d := threadCPU() - start
		fmt.Printf("%-45s %7.2f ns/row\n", sql, float64(d.Nanoseconds())/iters/benchRows)
		rec.Release()
	}
}

func pick(all []string) []string {
	if f := os.Getenv("ONLY"); f != "" {
		var out []string
		for _, s := range all {
			if strings.Contains(s, f) {
				out = append(out, s, s, s)
			}
		}
		return out
	}
	return all
}
