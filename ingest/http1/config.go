package http1

// Config bounds what the parser keeps per message. The zero value is not
// ready: call EnsureDefaults (NewConnParser does it on its own copy).
type Config struct {
	// RequestBodyLimit is how many bytes of each request body are kept in
	// Message.Body. Default 64 KiB; 0 after EnsureDefaults only when
	// DisableRequestBodies is set.
	RequestBodyLimit int
	// DisableRequestBodies turns request body capture off (the zero
	// RequestBodyLimit would otherwise mean "use the default").
	DisableRequestBodies bool
	// ResponseBodyLimit is how many bytes of each response body are kept.
	// Default 0: response bodies are counted, not kept.
	ResponseBodyLimit int
	// MaxHeaderBytes caps the start line plus header block (and, separately,
	// a chunked trailer block). Beyond it the message gets the anomaly
	// "oversized_header", the rest of the block is skipped, and the parser
	// resynchronises if the length of a body that follows is unknown
	// (see AnomOversizedHeader). Default 64 KiB.
	MaxHeaderBytes int
	// MaxHeaders caps the header lines kept per message (trailers included).
	// Extra lines are dropped and counted in Message.DroppedHeaders with the
	// anomaly "too_many_headers". Default 500.
	MaxHeaders int
	// MaxPipelineDepth caps the requests waiting for a response. Beyond it
	// the oldest is emitted without a response, with the anomaly
	// "pipeline_overflow". Default 1000.
	MaxPipelineDepth int
}

// Defaults of Config.
const (
	DefaultRequestBodyLimit = 64 << 10
	DefaultMaxHeaderBytes   = 64 << 10
	DefaultMaxHeaders       = 500
	DefaultMaxPipelineDepth = 1000
)

// EnsureDefaults replaces zero (and negative) fields by their defaults.
func (c *Config) EnsureDefaults() {
	switch {
	case c.DisableRequestBodies:
		c.RequestBodyLimit = 0
	case c.RequestBodyLimit <= 0:
		c.RequestBodyLimit = DefaultRequestBodyLimit
	}
	if c.ResponseBodyLimit < 0 {
		c.ResponseBodyLimit = 0
	}
	if c.MaxHeaderBytes <= 0 {
		c.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if c.MaxHeaders <= 0 {
		c.MaxHeaders = DefaultMaxHeaders
	}
	if c.MaxPipelineDepth <= 0 {
		c.MaxPipelineDepth = DefaultMaxPipelineDepth
	}
}
