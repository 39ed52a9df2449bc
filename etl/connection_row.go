package etl

import (
	"github.com/spanlake/spanlake/reassembly"
	"github.com/spanlake/spanlake/schema"
)

// connectionRow builds the fact_tcp_connection row of rec.
func connectionRow(rec *reassembly.ConnRecord, exchanges int, sourceKey int64, dims *dimSet) schema.FactTCPConnection {
	info := &rec.Info
	first := info.FirstSeen.UTC()
	dims.date(first)
	c, s := reassembly.ClientToServer, reassembly.ServerToClient
	sum := func(a [2]uint64) int64 { return int64(a[0] + a[1]) }
	return schema.FactTCPConnection{
		ConnectionID: int64(info.ID), DateKey: dateKey(first), TimeKey: timeKey(first),
		ClientKey: dims.endpoint(info.Client.Addr()), ServerKey: dims.endpoint(info.Server.Addr()), SourceFileKey: sourceKey,
		ClientIP: info.Client.Addr().Unmap().String(), ClientPort: int32(info.Client.Port()),
		ServerIP: info.Server.Addr().Unmap().String(), ServerPort: int32(info.Server.Port()), VLAN: int32(info.VLAN),
		FirstTS: micros(first), LastTS: micros(rec.LastSeen), DurationUs: rec.LastSeen.Sub(first).Microseconds(),
		ConnState: rec.State, History: rec.History, CloseReason: rec.CloseReason, HandshakeSeen: info.HandshakeSeen,
		OrigPackets: int64(rec.Packets[c]), RespPackets: int64(rec.Packets[s]),
		OrigPayloadBytes: int64(rec.PayloadBytes[c]), RespPayloadBytes: int64(rec.PayloadBytes[s]),
		OrigBytes: int64(rec.DeliveredBytes[c]), RespBytes: int64(rec.DeliveredBytes[s]),
		OrigMissedBytes: int64(rec.MissedBytes[c]), RespMissedBytes: int64(rec.MissedBytes[s]),
		Gaps: sum(rec.Gaps), Retransmissions: sum(rec.Retransmissions), OutOfOrder: sum(rec.OutOfOrder),
		ConflictingOverlaps: sum(rec.ConflictingOverlaps), KeepAlives: sum(rec.KeepAlives), ZeroWindowProbes: sum(rec.ZeroWindowProbes),
		HTTPExchanges: int64(exchanges), Anomalies: rec.Anomalies,
	}
}
