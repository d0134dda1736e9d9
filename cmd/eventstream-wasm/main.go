//go:build js

// Command eventstream-wasm is the hot tier (package eventstream and its
// live queries) compiled to WebAssembly for a Cloudflare Durable Object.
//
// The object runs it with Go's wasm_exec.js. Before go.run it sets
// globalThis.__streamsqlRegister; main calls it with the API object below
// and then parks, so every call arrives from JavaScript. Each call returns
// a Promise and does its work on a goroutine of its own: a call that
// waits for a timer or for JavaScript (a cold-tier send) must let the
// event loop run.
//
//	start(configJSON, hooks)        → Promise<void>
//	serveHTTP(requestJSON, body)    → Promise<{status, headers, body}>
//	acceptSocket(requestJSON)       → Promise<{status, attachment} | {status, headers, body}>
//	openSocket(id, attachmentJSON)  → Promise<void>
//	socketMessage(id, text)         → Promise<attachmentJSON | "">
//	socketClosed(id)                → Promise<void>
//	flush()                         → Promise<pendingBytes>
//	broadcast(topic, eventJSON)     → Promise<id>
//	query(sql, paramsJSON)          → Promise<resultJSON>
//	stats()                         → Promise<statsJSON>
//
// hooks are the object's: sql(query, ...args) → rows (arrays, blobs as
// Uint8Array), send(id, text, lastId), sendAll(ids, frames, lastId) (one
// batch of frames to many sockets, each list joined with newlines),
// close(id, code, reason), coldSend(topic, Uint8Array) → Promise,
// flushSoon(), log(text).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"syscall/js"
)

// host is the one Host of this wasm instance (one per Durable Object).
var host *Host

func main() {
	register := js.Global().Get("__streamsqlRegister")
	if register.Type() != js.TypeFunction {
		panic("eventstream-wasm: globalThis.__streamsqlRegister is not set: run this module from the Durable Object shim")
	}
	api := js.Global().Get("Object").New()
	export := func(name string, f func(args []js.Value) (any, error)) {
		api.Set(name, js.FuncOf(func(_ js.Value, args []js.Value) any { return promise(func() (any, error) { return f(args) }) }))
	}
	export("start", start)
	export("serveHTTP", serveHTTP)
	export("acceptSocket", acceptSocket)
	export("openSocket", withHost(func(h *Host, a []js.Value) (any, error) {
		var att Attachment
		if err := json.Unmarshal([]byte(a[1].String()), &att); err != nil {
			return nil, fmt.Errorf("opening socket: reading its attachment: %w", err)
		}
		return nil, h.OpenSocket(a[0].String(), att)
	}))
	export("socketMessage", withHost(func(h *Host, a []js.Value) (any, error) {
		att, err := h.SocketMessage(context.Background(), a[0].String(), a[1].String())
		if err != nil || att == nil {
			return "", err
		}
		b, err := json.Marshal(att)
		return string(b), err
	}))
	export("socketClosed", withHost(func(h *Host, a []js.Value) (any, error) {
		h.SocketClosed(a[0].String())
		return nil, nil
	}))
	export("flush", withHost(func(h *Host, _ []js.Value) (any, error) {
		pending, err := h.Flush(context.Background())
		return float64(pending), err
	}))
	export("evict", withHost(func(h *Host, _ []js.Value) (any, error) {
		return h.Evict(), nil
	}))
	export("broadcast", withHost(func(h *Host, a []js.Value) (any, error) {
		return h.Broadcast(context.Background(), a[0].String(), a[1].String())
	}))
	export("query", withHost(func(h *Host, a []js.Value) (any, error) {
		out, err := h.Query(context.Background(), a[0].String(), json.RawMessage(a[1].String()))
		return string(out), err
	}))
	export("stats", withHost(func(h *Host, _ []js.Value) (any, error) {
		b, err := json.Marshal(h.Stats())
		return string(b), err
	}))
	register.Invoke(api)
	select {} // calls arrive from JavaScript
}

// withHost runs f once start has succeeded.
func withHost(f func(*Host, []js.Value) (any, error)) func([]js.Value) (any, error) {
	return func(a []js.Value) (any, error) {
		if host == nil {
			return nil, errors.New("the event stream host is not started")
		}
		return f(host, a)
	}
}

// start opens the host: replays the write-ahead log from the object's
// SQLite storage.
func start(a []js.Value) (any, error) {
	if host != nil {
		return nil, errors.New("starting the event stream host: already started")
	}
	if len(a) < 2 {
		return nil, errors.New("starting the event stream host: want start(configJSON, hooks)")
	}
	hooks := a[1]
	if hc, err := parseHostConfig(a[0].String()); err == nil { // replay already runs under the limit
		debug.SetMemoryLimit(hc.GoMemLimit)
	}
	logf := func(format string, args ...any) { hooks.Call("log", fmt.Sprintf(format, args...)) }
	h, err := NewHost(a[0].String(), jsSQL{hooks}, jsPeer{hooks}, jsCold{hooks}, logf)
	if err != nil {
		return nil, err
	}
	host = h
	return nil, nil
}

// serveHTTP answers one plain request.
func serveHTTP(a []js.Value) (any, error) {
	if host == nil {
		return nil, errors.New("the event stream host is not started")
	}
	req, err := readRequest(a)
	if err != nil {
		return nil, err
	}
	return responseValue(host.ServeHTTP(context.Background(), req)), nil
}

// acceptSocket decides a WebSocket handshake.
func acceptSocket(a []js.Value) (any, error) {
	if host == nil {
		return nil, errors.New("the event stream host is not started")
	}
	req, err := readRequest(a)
	if err != nil {
		return nil, err
	}
	acc := host.AcceptSocket(context.Background(), req)
	if acc.Refusal != nil {
		return responseValue(*acc.Refusal), nil
	}
	att, err := json.Marshal(acc.Attachment)
	if err != nil {
		return nil, fmt.Errorf("accepting socket: %w", err)
	}
	return map[string]any{"status": acc.Status, "attachment": string(att)}, nil
}

// readRequest reads (requestJSON, body?) arguments.
func readRequest(a []js.Value) (Request, error) {
	var req Request
	if len(a) == 0 {
		return req, errors.New("reading request: no arguments")
	}
	if err := json.Unmarshal([]byte(a[0].String()), &req); err != nil {
		return req, fmt.Errorf("reading request: %w", err)
	}
	if len(a) > 1 && a[1].Truthy() {
		req.Body = make([]byte, a[1].Get("length").Int())
		js.CopyBytesToGo(req.Body, a[1])
	}
	return req, nil
}

// responseValue is a Response as a JavaScript object.
func responseValue(r Response) any {
	headers, _ := json.Marshal(r.Headers) // strings only: cannot fail
	body := js.Global().Get("Uint8Array").New(len(r.Body))
	js.CopyBytesToJS(body, r.Body)
	return map[string]any{"status": r.Status, "headers": string(headers), "body": body}
}
