package reassembly

import (
	"errors"
	"fmt"
	"time"
)

// Config bounds the assembler's memory and sets its timeouts. The zero value
// of a field means "use the default"; see EnsureDefaults.
type Config struct {
	// MaxConnections caps the flow table: connections and flows awaiting
	// their handshake together. When a new flow would exceed it, one flow
	// gives up its slot first (flowcap.go says which), closed with
	// CloseReason "evicted".
	//
	// Cost: a flow awaiting its handshake holds about 420 bytes, a
	// connection about 1 KB, plus, once it carries payload (ingest creates
	// the parser lazily), about 1.4 KB for its HTTP parser and its pending
	// exchange, and whatever it buffers (MaxBufferedBytesTotal bounds
	// out-of-order bytes, the HTTP limits header blocks). Measured on the
	// slowloris capture (every flow an open connection with a half-sent
	// request): about 2.5 KB per flow. The default, 100,000, therefore holds
	// about 250 MB of flow state at worst (the whole process then peaks
	// near 800 MiB: README, "Memory and limits") and fits a 2 GB sensor.
	// Raise it with RAM when more connections are open at once.
	MaxConnections int
	// MaxBufferedBytesPerConn caps the out-of-order bytes buffered per
	// direction; going over forces gaps (anomaly "buffer_overflow").
	MaxBufferedBytesPerConn int
	// MaxBufferedBytesTotal caps out-of-order bytes over all connections;
	// going over flushes, with gaps, the direction buffering most.
	MaxBufferedBytesTotal int64
	// IdleTimeout closes a connection without packets for this long (packet
	// time). The default is Zeek's tcp_inactivity_timeout.
	IdleTimeout time.Duration
	// CloseTimeout keeps a connection this long (packet time) after FIN both
	// ways or RST, so reordered and late packets still find it.
	CloseTimeout time.Duration
	// ReorderPackets and ReorderTimeout say how long a hole the peer has
	// already ACKed may stay open before it is declared lost: whichever
	// comes first, counted from the ACK.
	ReorderPackets int
	ReorderTimeout time.Duration
}

// Defaults of Config.
const (
	DefaultMaxConnections          = 100_000
	DefaultMaxBufferedBytesPerConn = 4 << 20
	DefaultMaxBufferedBytesTotal   = 256 << 20
	DefaultIdleTimeout             = 5 * time.Minute
	DefaultCloseTimeout            = 5 * time.Second
	DefaultReorderPackets          = 128
	DefaultReorderTimeout          = 2 * time.Second
)

// EnsureDefaults replaces zero fields with their defaults.
func (c *Config) EnsureDefaults() {
	if c.MaxConnections == 0 {
		c.MaxConnections = DefaultMaxConnections
	}
	if c.MaxBufferedBytesPerConn == 0 {
		c.MaxBufferedBytesPerConn = DefaultMaxBufferedBytesPerConn
	}
	if c.MaxBufferedBytesTotal == 0 {
		c.MaxBufferedBytesTotal = DefaultMaxBufferedBytesTotal
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.CloseTimeout == 0 {
		c.CloseTimeout = DefaultCloseTimeout
	}
	if c.ReorderPackets == 0 {
		c.ReorderPackets = DefaultReorderPackets
	}
	if c.ReorderTimeout == 0 {
		c.ReorderTimeout = DefaultReorderTimeout
	}
}

// ErrInvalidConfig marks every error returned by Config.Validate.
var ErrInvalidConfig = errors.New("reassembly: invalid config")

// Validate reports the first unusable field. Call it after EnsureDefaults.
func (c *Config) Validate() error {
	switch {
	case c.MaxConnections <= 0:
		return fmt.Errorf("%w: MaxConnections %d must be positive", ErrInvalidConfig, c.MaxConnections)
	case c.MaxBufferedBytesPerConn <= 0:
		return fmt.Errorf("%w: MaxBufferedBytesPerConn %d must be positive", ErrInvalidConfig, c.MaxBufferedBytesPerConn)
	case c.MaxBufferedBytesTotal <= 0:
		return fmt.Errorf("%w: MaxBufferedBytesTotal %d must be positive", ErrInvalidConfig, c.MaxBufferedBytesTotal)
	case int64(c.MaxBufferedBytesPerConn) > c.MaxBufferedBytesTotal:
		return fmt.Errorf("%w: MaxBufferedBytesPerConn %d exceeds MaxBufferedBytesTotal %d", ErrInvalidConfig, c.MaxBufferedBytesPerConn, c.MaxBufferedBytesTotal)
	case c.IdleTimeout <= 0:
		return fmt.Errorf("%w: IdleTimeout %v must be positive", ErrInvalidConfig, c.IdleTimeout)
	case c.CloseTimeout <= 0:
		return fmt.Errorf("%w: CloseTimeout %v must be positive", ErrInvalidConfig, c.CloseTimeout)
	case c.ReorderPackets <= 0:
		return fmt.Errorf("%w: ReorderPackets %d must be positive", ErrInvalidConfig, c.ReorderPackets)
	case c.ReorderTimeout <= 0:
		return fmt.Errorf("%w: ReorderTimeout %v must be positive", ErrInvalidConfig, c.ReorderTimeout)
	}
	return nil
}
