package ingest

import (
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// The DecodingLayerParser follows NextLayerType from layer to layer. Left
// alone it would walk from an IP header straight into an inner IP header
// (IP-in-IP, 6in4) with no depth limit, and from UDP into whatever layer
// gopacket associates with the port. The wrappers below stop the parser at
// every encapsulation boundary instead, so that Decoder.level can count the
// nesting and check each tunnel header itself.

// ip4Layer is layers.IPv4 that stops at fragments and at any payload other
// than TCP or UDP.
type ip4Layer struct{ layers.IPv4 }

// NextLayerType implements gopacket.DecodingLayer.
func (l *ip4Layer) NextLayerType() gopacket.LayerType {
	if l.isFragment() {
		return gopacket.LayerTypeFragment
	}
	return transportOnly(l.Protocol)
}

// isFragment reports whether the header is one fragment of a datagram.
func (l *ip4Layer) isFragment() bool {
	return l.Flags&layers.IPv4MoreFragments != 0 || l.FragOffset != 0
}

// ip6Layer is layers.IPv6 that goes on only into extension headers, TCP
// and UDP.
type ip6Layer struct{ layers.IPv6 }

// NextLayerType implements gopacket.DecodingLayer.
func (l *ip6Layer) NextLayerType() gopacket.LayerType {
	return ip6Next(l.nextHeader())
}

// nextHeader is the protocol after the fixed header and the hop-by-hop
// options (which layers.IPv6 decodes itself).
func (l *ip6Layer) nextHeader() layers.IPProtocol {
	if l.HopByHop != nil {
		return l.HopByHop.NextHeader
	}
	return l.NextHeader
}

// ip6ExtLayer is layers.IPv6ExtensionSkipper with the same stops as
// ip6Layer.
type ip6ExtLayer struct{ layers.IPv6ExtensionSkipper }

// NextLayerType implements gopacket.DecodingLayer.
func (l *ip6ExtLayer) NextLayerType() gopacket.LayerType {
	return ip6Next(l.NextHeader)
}

// ip6FragLayer is layers.IPv6Fragment with the same stops as ip6Layer:
// it goes on only behind an atomic fragment (offset 0, no more
// fragments), which is a whole packet.
type ip6FragLayer struct{ layers.IPv6Fragment }

// NextLayerType implements gopacket.DecodingLayer.
func (l *ip6FragLayer) NextLayerType() gopacket.LayerType {
	if l.isFragment() {
		return gopacket.LayerTypeFragment
	}
	return ip6Next(l.NextHeader)
}

// isFragment reports whether the header is one fragment of a datagram
// (false for an atomic fragment).
func (l *ip6FragLayer) isFragment() bool {
	return l.FragmentOffset != 0 || l.MoreFragments
}

func ip6Next(p layers.IPProtocol) gopacket.LayerType {
	switch p {
	case layers.IPProtocolIPv6HopByHop, layers.IPProtocolIPv6Routing, layers.IPProtocolIPv6Destination, layers.IPProtocolIPv6Fragment:
		return p.LayerType()
	}
	return transportOnly(p)
}

// transportOnly maps TCP and UDP to their layers and everything else
// (tunnels included) to LayerTypeZero, which ends the parser's walk.
func transportOnly(p layers.IPProtocol) gopacket.LayerType {
	switch p {
	case layers.IPProtocolTCP:
		return layers.LayerTypeTCP
	case layers.IPProtocolUDP:
		return layers.LayerTypeUDP
	}
	return gopacket.LayerTypeZero
}

// udpLayer is layers.UDP that always ends the parser's walk: what follows
// is chosen by Decoder.udpTunnel.
type udpLayer struct{ layers.UDP }

// NextLayerType implements gopacket.DecodingLayer.
func (l *udpLayer) NextLayerType() gopacket.LayerType { return gopacket.LayerTypeZero }
