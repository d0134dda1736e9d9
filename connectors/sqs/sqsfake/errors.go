package sqsfake

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// apiError is an error response of the service.
type apiError struct {
	code string // the error's short code, e.g. QueueDoesNotExist
	msg  string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func newError(code, msg string) *apiError { return &apiError{code: code, msg: msg} }

func errorf(code, format string, args ...any) *apiError {
	return &apiError{code: code, msg: fmt.Sprintf(format, args...)}
}

// errorInfo is how the service reports a code: the shape in __type, the
// code of the x-amzn-query-error header (what the SDK's ErrorCode returns
// for SQS), the HTTP status and whose fault it is.
type errorInfo struct {
	shape  string
	query  string
	status int
	sender bool
}

var errorInfos = map[string]errorInfo{
	"QueueDoesNotExist":            {"QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", 400, true},
	"QueueNameExists":              {"QueueNameExists", "QueueAlreadyExists", 400, true},
	"ReceiptHandleIsInvalid":       {"ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", 400, true},
	"MessageNotInflight":           {"MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight", 400, true},
	"PurgeQueueInProgress":         {"PurgeQueueInProgress", "AWS.SimpleQueueService.PurgeQueueInProgress", 403, true},
	"BatchEntryIdsNotDistinct":     {"BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", 400, true},
	"BatchRequestTooLong":          {"BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong", 400, true},
	"EmptyBatchRequest":            {"EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest", 400, true},
	"InvalidBatchEntryId":          {"InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId", 400, true},
	"TooManyEntriesInBatchRequest": {"TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", 400, true},
	"UnsupportedOperation":         {"UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation", 400, true},
	"InvalidAttributeName":         {"InvalidAttributeName", "", 400, true},
	"InvalidAttributeValue":        {"InvalidAttributeValue", "", 400, true},
	"InvalidMessageContents":       {"InvalidMessageContents", "", 400, true},
	"RequestThrottled":             {"RequestThrottled", "RequestThrottled", 400, true},
	"OverLimit":                    {"OverLimit", "OverLimit", 403, true},
	"InternalError":                {"InternalError", "InternalError", 500, false},
	"ServiceUnavailable":           {"ServiceUnavailable", "ServiceUnavailable", 503, false},
}

func infoOf(code string) errorInfo {
	if i, ok := errorInfos[code]; ok {
		return i
	}
	// InvalidParameterValue, MissingParameter and the like are not
	// modelled shapes: the SDK reports the query code.
	return errorInfo{shape: code, query: code, status: 400, sender: true}
}

// writeError answers with err as the service would.
func writeError(w http.ResponseWriter, err error) {
	e, ok := err.(*apiError)
	if !ok {
		e = newError("InternalError", err.Error())
	}
	info := infoOf(e.code)
	if info.query != "" {
		fault := "Sender"
		if !info.sender {
			fault = "Receiver"
		}
		w.Header().Set("X-Amzn-Query-Error", info.query+";"+fault)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(info.status)
	b, _ := json.Marshal(map[string]string{"__type": "com.amazonaws.sqs#" + info.shape, "message": e.msg})
	_, _ = w.Write(b)
}

// batchError is one entry of a batch response's Failed list.
type batchError struct {
	ID          string `json:"Id"`
	SenderFault bool   `json:"SenderFault"`
	Code        string `json:"Code"`
	Message     string `json:"Message,omitempty"`
}

func entryError(id string, err error) batchError {
	e, ok := err.(*apiError)
	if !ok {
		e = newError("InternalError", err.Error())
	}
	return batchError{ID: id, SenderFault: infoOf(e.code).sender, Code: e.code, Message: e.msg}
}
