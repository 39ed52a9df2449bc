package ingest

import (
	"context"
	"io"
	"log/slog"
	"slices"

	"github.com/spanlake/spanlake/reassembly"
)

// replayCarry feeds the packets of the previous run's checkpoint to eng,
// before the run's own files, after making the files they came from known
// for attribution. A checkpoint that cannot be read is logged and skipped:
// its connections are then split, as without carry-over, but the run goes
// on (the damage is in spanlake's own state, not in the user's input).
func (d *driver) replayCarry(ctx context.Context, in *CarryIn, log *slog.Logger, eng engine, pkt *reassembly.Packet) error {
	byTime := slices.Clone(in.Sources)
	slices.SortStableFunc(byTime, func(a, b *SourceFile) int { return a.FirstPacket.Compare(b.FirstPacket) })
	for _, s := range byTime {
		d.sources.add(s)
	}
	if in.Path == "" { // nothing was carried: only the bookkeeping
		return nil
	}
	r, err := OpenPacketReader(in.Path)
	if err != nil {
		log.Error("cannot read the connections carried over from the previous run; they will be split", "file", in.Path, "err", err)
		return nil
	}
	defer r.Close()
	dec := NewDecoder()
	for {
		data, ci, link, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Error("damaged checkpoint of carried-over connections; the rest of them will be split", "file", in.Path, "err", err)
			break
		}
		if dec.Decode(data, ci, link, pkt) {
			if err := eng.add(pkt); err != nil {
				return err
			}
		}
		if dec.Stats.Packets&0xfff == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
	log.Info("replayed connections carried over from the previous run", "file", in.Path,
		"connections", len(in.Written), "packets", dec.Stats.Packets)
	return nil
}
