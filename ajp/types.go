// Package ajp is an AJP13 client: the packet codec, one backend connection
// (Conn), a connection pool with liveness checks (Pool), and the exchange of
// one request and its streamed response. It knows nothing about workers or
// load balancing and uses only the standard library. docs/ajp13.md is the
// wire contract.
package ajp

import (
	"errors"
	"fmt"
	"io"
)

// Header is one request or response header, or one request attribute
// (name and value).
type Header struct {
	Name  string
	Value string
}

// Request is everything one FORWARD_REQUEST packet carries. The caller
// fills it; the encoder does not add or remove headers (the caller adds
// "content-length: 0" where mod_jk would, and drops hop-by-hop headers).
type Request struct {
	Method     string // unknown methods go as 0xFF + stored_method (0x0D)
	Protocol   string // e.g. "HTTP/1.1"
	URI        string // encoded path, no query, starts with '/'
	RemoteAddr string
	RemoteHost string // "" is sent as a null string
	ServerName string
	ServerPort int
	IsSSL      bool
	Headers    []Header

	// Attributes, sent in mod_jk's order when set.
	Secret      string
	RemoteUser  string
	AuthType    string
	QueryString string
	HasQuery    bool // send 0x05 even when QueryString is empty ("?" alone)
	Route       string
	SSLCert     string
	SSLCipher   string
	SSLSession  string
	SSLKeySize  int    // < 0: not sent
	SSLProtocol string // AJP_SSL_PROTOCOL, "" = not sent
	// The next three are sent whenever set; "" = not sent (the hex
	// vectors of docs/ajp13.md#test-vectors omit them). The worker always sets them,
	// as mod_jk always sends them.
	RemotePort string // AJP_REMOTE_PORT
	LocalAddr  string // AJP_LOCAL_ADDR
	Activation string // JK_LB_ACTIVATION (ACT/DIS/STP)
	// Attributes holds extra req_attribute (0x0A) pairs (JkEnvVar). The
	// caller must only put operator-configured names here, never names
	// derived from client input (Ghostcat).
	Attributes []Header
}

// Body is the request body of one client request, shared by every attempt
// at forwarding it. Kept holds body bytes already read from the client; they
// are re-sent on every attempt. Rest is the unread remainder. Once an
// exchange has read from Rest the request can no longer be replayed
// (Result.BodyStreamed).
type Body struct {
	// ContentLength is the declared length, or -1 when unknown (chunked
	// upload, HTTP/2 without length). 0 means no body.
	ContentLength int64
	Kept          []byte
	Rest          io.Reader
}

// ResponseWriter receives the response of one exchange. The exchange calls
// WriteHead exactly once before any Write. An error from WriteHead aborts
// the exchange (the backend connection is closed) and comes back as an
// *Error of kind KindHeadRejected: that is how fail_on_status is applied
// before anything reaches the client. An error from Write or Flush is a
// client error (KindClientWrite).
//
// The headers slice passed to WriteHead is only valid during the call: the
// connection reuses it for the next response (the strings in it may be
// kept). The slice passed to Write aliases the connection's read buffer
// and must not be retained, as io.Writer requires.
type ResponseWriter interface {
	WriteHead(status int, headers []Header) error
	Write(p []byte) (int, error)
	Flush() error
}

// ReasonWriter is an optional ResponseWriter method: the exchange calls
// SetReason with SEND_HEADERS' status_msg ("" when empty) just before
// WriteHead, as mod_jk passes it to httpd as the reason phrase.
type ReasonWriter interface {
	SetReason(reason string)
}

// ProgressWriter is an optional ResponseWriter method: the exchange calls
// Progress when the backend asks for request body (GET_BODY_CHUNK), a sign
// that it is alive and working on the request before any reply byte.
type ProgressWriter interface {
	Progress()
}

// Result describes one exchange, successful or not.
type Result struct {
	Status       int
	HeadSent     bool  // WriteHead returned nil: the client may have seen bytes
	BodyBytes    int64 // body bytes handed to ResponseWriter.Write
	Sent         int64 // bytes written to the backend (all packets)
	Received     int64 // bytes read from the backend (all packets)
	BodyStreamed bool  // bytes from Body.Rest were sent: replay impossible
	Replied      bool  // the member sent a status (even a refused one) or asked for body: it has the request
	Reuse        bool  // END_RESPONSE allowed reuse and nothing went wrong
	Trailing     bool  // bytes followed END_RESPONSE: the connection is not reused
}

// Stage says how far an exchange got before it failed.
type Stage uint8

const (
	StageConnect  Stage = iota + 1 // dialing the backend
	StagePing                      // CPing/CPong (connect, prepost or interval)
	StageSend                      // writing FORWARD_REQUEST / the first body packet
	StageReply                     // waiting for SEND_HEADERS (body may be flowing)
	StageResponse                  // after SEND_HEADERS, streaming the body
)

func (s Stage) String() string {
	switch s {
	case StageConnect:
		return "connect"
	case StagePing:
		return "ping"
	case StageSend:
		return "send"
	case StageReply:
		return "reply"
	case StageResponse:
		return "response"
	}
	return "unknown"
}

// Kind classifies what went wrong.
type Kind uint8

const (
	KindIO           Kind = iota + 1 // read/write/dial error, EOF from the backend
	KindTimeout                      // a deadline passed (socket, ping or reply timeout)
	KindProtocol                     // framing error: bad magic, truncated or oversized packet
	KindInvalid                      // well framed but not allowed: unknown type, second SEND_HEADERS, chunk too long, bad code
	KindTooLarge                     // request headers do not fit in max_packet_size (413, no retry)
	KindClientRead                   // reading the client's request body failed
	KindClientWrite                  // writing to the client failed
	KindHeadRejected                 // ResponseWriter.WriteHead refused the status
	KindNoSlot                       // no free pool slot within the acquire timeout
	KindClosed                       // the pool was closed
	KindPathDead                     // the request's bytes were retransmitted without an acknowledgement (pathcheck.go)
)

func (k Kind) String() string {
	names := [...]string{"", "io", "timeout", "protocol", "invalid", "too-large",
		"client-read", "client-write", "head-rejected", "no-slot", "closed", "path-dead"}
	if int(k) < len(names) {
		return names[k]
	}
	return "unknown"
}

// Error is the classified failure of one exchange or pool operation.
type Error struct {
	Stage Stage
	Kind  Kind
	// Reused is true when the connection came from the pool rather than a
	// fresh dial (a failure then may be a keep-alive race).
	Reused bool
	Err    error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("ajp %s: %s", e.Stage, e.Kind)
	}
	return fmt.Sprintf("ajp %s: %s: %v", e.Stage, e.Kind, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Timeout reports whether the error is a deadline (net.Error convention).
func (e *Error) Timeout() bool { return e.Kind == KindTimeout }

// ErrPoolClosed is wrapped by errors from a closed pool.
var ErrPoolClosed = errors.New("ajp: pool closed")

// Packet sizes (docs/ajp13.md#packet-size).
const (
	MinPacketSize     = 8192
	MaxPacketSize     = 65536
	DefaultPacketSize = 8192
)
