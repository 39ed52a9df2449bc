// Package http1 turns the two reassembled byte streams of one TCP connection
// into HTTP/1.x exchanges (a request paired with its response).
//
// It owns HTTP/1.x framing: start lines, header blocks, Content-Length,
// chunked transfer coding, close-delimited bodies, interim (1xx) responses,
// upgrades, pipelining and the pairing of responses to requests. It must not
// know about capture files, TCP reassembly internals or the warehouse: bytes
// come in through the reassembly.Handler interface and exchanges leave
// through a callback.
//
// The parser is incremental (bytes may be split at any point), lenient like
// a real server, and treats protocol oddities as data: they become anomaly
// codes (see anomalies.go) on the Exchange, never errors. Capture gaps are
// expected; after a gap whose position cannot be known the parser
// resynchronises on the next plausible start line instead of abandoning the
// connection, and flags every exchange whose pairing the gap may have made
// uncertain.
package http1
