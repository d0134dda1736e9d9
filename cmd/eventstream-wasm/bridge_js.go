//go:build js

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall/js"
)

// promise runs work on a goroutine and returns a Promise of its result.
// The goroutine may wait for timers and JavaScript promises: the call has
// already returned to the event loop.
func promise(work func() (any, error)) js.Value {
	var executor js.Func
	executor = js.FuncOf(func(_ js.Value, args []js.Value) any {
		resolve, reject := args[0], args[1]
		go func() {
			v, err := safely(work)
			if err != nil {
				reject.Invoke(js.Global().Get("Error").New(err.Error()))
				return
			}
			resolve.Invoke(v)
		}()
		return nil
	})
	p := js.Global().Get("Promise").New(executor)
	executor.Release()
	return p
}

// safely turns a panic (a JavaScript exception thrown through syscall/js)
// into an error, so one bad call does not end the instance.
func safely(work func() (any, error)) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("eventstream-wasm: %v", r)
		}
	}()
	return work()
}

// await waits for a JavaScript promise. Call it from a goroutine, never
// from a synchronous callback.
func await(ctx context.Context, p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	then := js.FuncOf(func(_ js.Value, a []js.Value) any {
		var v js.Value
		if len(a) > 0 {
			v = a[0]
		}
		ch <- result{v: v}
		return nil
	})
	catch := js.FuncOf(func(_ js.Value, a []js.Value) any {
		msg := "rejected"
		if len(a) > 0 {
			msg = a[0].Call("toString").String()
		}
		ch <- result{err: errors.New(msg)}
		return nil
	})
	defer then.Release()
	defer catch.Release()
	p.Call("then", then, catch)
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		return js.Undefined(), ctx.Err()
	}
}

// call invokes hooks[name], turning a thrown exception into an error.
func call(hooks js.Value, name string, args ...any) (v js.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return hooks.Call(name, args...), nil
}

// jsSQL runs statements through hooks.sql (ctx.storage.sql.exec).
type jsSQL struct{ hooks js.Value }

var _ SQL = jsSQL{}

// Exec implements SQL.
func (s jsSQL) Exec(query string, args ...any) ([][]any, error) {
	jsArgs := make([]any, 0, len(args)+1)
	jsArgs = append(jsArgs, query)
	for _, a := range args {
		switch x := a.(type) {
		case []byte:
			u := js.Global().Get("Uint8Array").New(len(x))
			js.CopyBytesToJS(u, x)
			jsArgs = append(jsArgs, u)
		case int64:
			jsArgs = append(jsArgs, float64(x))
		default:
			jsArgs = append(jsArgs, x)
		}
	}
	res, err := call(s.hooks, "sql", jsArgs...)
	if err != nil {
		return nil, fmt.Errorf("running %q: %w", query, err)
	}
	rows := make([][]any, res.Length())
	u8 := js.Global().Get("Uint8Array")
	for i := range rows {
		r := res.Index(i)
		row := make([]any, r.Length())
		for j := range row {
			v := r.Index(j)
			switch {
			case v.Type() == js.TypeNumber:
				row[j] = v.Float()
			case v.Type() == js.TypeString:
				row[j] = v.String()
			case v.InstanceOf(u8):
				b := make([]byte, v.Length())
				js.CopyBytesToGo(b, v)
				row[j] = b
			case v.IsNull() || v.IsUndefined():
				row[j] = nil
			default:
				return nil, fmt.Errorf("running %q: unexpected %s value", query, v.Type())
			}
		}
		rows[i] = row
	}
	return rows, nil
}

// jsPeer reaches the object's WebSockets.
type jsPeer struct{ hooks js.Value }

var _ Peer = jsPeer{}

func (p jsPeer) Send(id, text, lastID string) { call(p.hooks, "send", id, text, lastID) }

// SendAll crosses to JavaScript once: ids and frames go as two strings
// joined with newlines, which hooks.sendAll splits.
func (p jsPeer) SendAll(ids []string, frames [][]byte, lastID string) {
	call(p.hooks, "sendAll", strings.Join(ids, "\n"), string(bytes.Join(frames, []byte{'\n'})), lastID)
}

func (p jsPeer) Close(id string, code int, reason string) { call(p.hooks, "close", id, code, reason) }

// jsCold sends cold-tier batches through hooks.coldSend.
type jsCold struct{ hooks js.Value }

var _ ColdSink = jsCold{}

func (c jsCold) Send(ctx context.Context, topic string, events []byte) error {
	u := js.Global().Get("Uint8Array").New(len(events))
	js.CopyBytesToJS(u, events)
	p, err := call(c.hooks, "coldSend", topic, u)
	if err != nil {
		return err
	}
	_, err = await(ctx, p)
	return err
}

func (c jsCold) FlushSoon() { call(c.hooks, "flushSoon") }
