package exec

import (
	"context"
	"time"
)

// RunReporting is RunJobs that also calls report every interval while the
// jobs run (from its own goroutine; report must be safe to call
// concurrently with the jobs, as Job.Metrics is), and once more at the
// end. interval <= 0 reports only at the end.
func RunReporting(ctx context.Context, jobs []*Job, interval time.Duration, report func()) error {
	stop := make(chan struct{})
	done := make(chan struct{})
	if interval > 0 {
		go func() {
			defer close(done)
			t := time.NewTicker(interval)
			defer t.Stop()
			for {
				select {
				case <-t.C:
					report()
				case <-stop:
					return
				}
			}
		}()
	} else {
		close(done)
	}
	err := RunJobs(ctx, jobs)
	close(stop)
	<-done
	report()
	return err
}
