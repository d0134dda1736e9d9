package live

import (
	"sync"
)

// subscriber is one Subscribe call: a bounded queue the job's fanout
// fills without ever blocking, drained by the subscriber's own goroutine
// into its deliver callback.
type subscriber struct {
	queue   chan Update
	deliver func(Update) error
	stop    chan struct{} // closed by cancel: deliver nothing more
	ended   chan struct{} // closed by end: drain the queue, then deliver endErr
	endErr  error
	endOnce sync.Once
	stopped sync.Once
	done    chan struct{} // closed when the goroutine exited
	job     *sharedJob    // set by the manager before the goroutine starts
	release func() bool   // unregisters the context's AfterFunc; set before the goroutine starts
}

func newSubscriber(queueLen int, deliver func(Update) error) *subscriber {
	return &subscriber{
		queue: make(chan Update, queueLen), deliver: deliver,
		stop: make(chan struct{}), ended: make(chan struct{}), done: make(chan struct{}),
	}
}

// offer queues u without blocking; false means the queue is full.
func (s *subscriber) offer(u Update) bool {
	select {
	case s.queue <- u:
		return true
	default:
		return false
	}
}

// end finishes the subscription with err: the updates queued so far are
// delivered, then Update{Err: err}. The first call wins.
func (s *subscriber) end(err error) {
	s.endOnce.Do(func() {
		s.endErr = err
		close(s.ended)
	})
}

// cancel stops delivery at once (queued updates are dropped).
func (s *subscriber) cancel() { s.stopped.Do(func() { close(s.stop) }) }

// run delivers updates until the subscription ends, is cancelled or
// deliver fails; then it calls leave (which unregisters it).
func (s *subscriber) run(leave func(*subscriber)) {
	defer close(s.done)
	defer s.release()
	defer leave(s)
	for {
		select {
		case <-s.stop:
			return
		case u := <-s.queue:
			if !s.send(u) {
				return
			}
		case <-s.ended:
			s.drainAndEnd()
			return
		}
	}
}

// drainAndEnd delivers what is queued, then the end of the subscription.
func (s *subscriber) drainAndEnd() {
	for {
		select {
		case u := <-s.queue:
			if !s.send(u) {
				return
			}
		default:
			s.send(Update{Err: s.endErr})
			return
		}
	}
}

// send delivers u unless the subscription was cancelled; false stops the
// loop (cancelled, or deliver failed: the consumer is gone).
func (s *subscriber) send(u Update) bool {
	select {
	case <-s.stop:
		return false
	default:
	}
	return s.deliver(u) == nil
}
