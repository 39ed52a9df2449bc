package reassembly

import (
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/cespare/xxhash/v2"
)

// connKey identifies a connection in the flow table: the VLAN and the two
// endpoints, unordered (lo sorts before hi), so both directions find it.
type connKey struct {
	vlan   uint16
	lo, hi netip.AddrPort
}

func makeKey(p *Packet) connKey {
	if p.Src.Compare(p.Dst) <= 0 {
		return connKey{vlan: p.VLAN, lo: p.Src, hi: p.Dst}
	}
	return connKey{vlan: p.VLAN, lo: p.Dst, hi: p.Src}
}

// wellKnownHTTPPort reports ports that are almost always the server side of
// an HTTP connection picked up mid-stream.
func wellKnownHTTPPort(port uint16) bool {
	switch port {
	case 80, 8080, 8000, 8008, 8888, 3128, 443, 81, 591:
		return true
	}
	return false
}

// guessServerIsDst decides the roles of a connection whose handshake was not
// seen, from its first packet: a well-known HTTP port wins, then the lower
// port; on a tie the destination is the server.
func guessServerIsDst(p *Packet) bool {
	sp, dp := p.Src.Port(), p.Dst.Port()
	sw, dw := wellKnownHTTPPort(sp), wellKnownHTTPPort(dp)
	switch {
	case dw && !sw:
		return true
	case sw && !dw:
		return false
	case sp == dp:
		return true
	default:
		return dp < sp
	}
}

// connID is ConnInfo.ID: xxhash64 over client address and port, server
// address and port, and FirstSeen in Unix microseconds, in a fixed
// big-endian layout (IPv4 as IPv4-mapped IPv6), so it is stable across runs
// and machines. The VLAN is deliberately not part of it (it stays part of
// the flow-table key and is recorded on the connection): one connection
// seen on two VLANs of a SPAN session — both sides of a router — gets one
// id, so the warehouse can recognise the double, and adding or stripping a
// tag does not change the rows.
func connID(client, server netip.AddrPort, first time.Time) uint64 {
	var b [18 + 18 + 8]byte
	ca, sa := client.Addr().As16(), server.Addr().As16()
	copy(b[0:], ca[:])
	binary.BigEndian.PutUint16(b[16:], client.Port())
	copy(b[18:], sa[:])
	binary.BigEndian.PutUint16(b[34:], server.Port())
	binary.BigEndian.PutUint64(b[36:], uint64(first.UnixMicro()))
	return xxhash.Sum64(b[:])
}
