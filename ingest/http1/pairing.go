package http1

import "time"

// Pairing of responses to requests, emission in Depth order, and the
// bookkeeping that keeps a capture loss from silently pairing a request
// with another request's response.
//
// Normally pairing is FIFO (HTTP/1.x answers in order). After a loss whose
// position is unknown (a gap in a header block or chunk framing, skipped
// non-HTTP bytes, an oversized header block after which the length of the
// body is unknown; see half.oversized) whole messages may be missing, so
// the connection is "misaligned": responses pair only with requests seen
// before the response started (causality); after a response-side loss the
// newest such request is taken (older ones most likely had their responses
// in the lost bytes) and the older ones are emitted without a response.
// Every exchange paired while misaligned carries the loss's anomaly code.
// Alignment is trusted again once every request has its response, unless
// the client pipelines (then timing cannot tell which response was lost).
//
// Emission is in Depth order, with one exception that keeps memory bounded
// by MaxPipelineDepth without dropping anything: a response without request
// that would have to wait behind unfinished exchanges, either because it is
// owed to a request dropped by pipeline_overflow or because the queue is
// full, is "loose": it is not queued and is emitted as soon as it ends (see
// orphan). At most one loose exchange exists at a time, since responses are
// parsed one after the other. The order stays a function of the byte
// streams alone, which carry-over relies on (it skips as many exchanges as
// an earlier run emitted).

// newExchange allocates the next exchange in Depth order and queues it.
func (c *ConnParser) newExchange() *pending {
	p := c.allocExchange()
	c.queue = append(c.queue, p)
	return p
}

// allocExchange allocates the next exchange without queueing it.
func (c *ConnParser) allocExchange() *pending {
	c.depth++
	p := &pending{epoch: c.epoch}
	p.ex.ConnID, p.ex.Client, p.ex.Server, p.ex.Depth = c.id, c.client, c.server, c.depth
	return p
}

// addRequest registers a request whose start line just arrived at ts.
func (c *ConnParser) addRequest(ts time.Time, http09 bool) *pending {
	respBusy := c.half[1].inMessage()
	pipelined := len(c.wait) > 0 || respBusy
	if pipelined && (respBusy && c.half[1].p != nil && !c.half[1].p.ex.Upgraded ||
		len(c.wait) > 0 && c.wait[len(c.wait)-1].epoch == c.epoch) {
		// Evidence from this side of the last response-side loss.
		c.pipelining = true
	}
	p := c.newExchange()
	p.ex.Request = &p.req
	p.ex.Pipelined = pipelined
	p.http09 = http09
	p.req.FirstByte = ts
	p.waiting = true
	c.wait = append(c.wait, p)
	if len(c.wait) > c.cfg.MaxPipelineDepth {
		old := c.wait[0]
		c.wait = popFront(c.wait, 1)
		old.waiting = false
		old.respDone = true
		old.ex.Anomalies = addAnomaly(old.ex.Anomalies, AnomPipelineOverflow)
		c.owed++
		c.flush()
	}
	return p
}

// nextIsHTTP09 reports whether the response to come answers an HTTP/0.9
// request (which gets raw bytes, no status line).
func (c *ConnParser) nextIsHTTP09() bool {
	return c.misaligned == "" && c.owed == 0 && len(c.wait) > 0 && c.wait[0].http09
}

// pairResponse finds the exchange of a response whose start line arrived at
// ts (see the file comment for the rules).
func (c *ConnParser) pairResponse(ts time.Time) *pending {
	if c.misaligned == "" {
		if c.owed > 0 {
			c.owed--
			return c.orphan(AnomPipelineOverflow, true)
		}
		if len(c.wait) == 0 {
			return c.orphan("", false)
		}
		p := c.wait[0]
		c.wait = popFront(c.wait, 1)
		p.waiting = false
		p.ex.Response = &p.rsp
		return p
	}
	k := 0 // requests that started no later than the response
	for k < len(c.wait) && !c.wait[k].req.FirstByte.After(ts) {
		k++
	}
	if k == 0 {
		return c.orphan(c.misaligned, false)
	}
	pick := 0
	if c.misalignResp {
		pick = k - 1
		for _, old := range c.wait[:pick] {
			old.waiting = false
			old.respDone = true
			old.ex.Anomalies = addAnomaly(old.ex.Anomalies, c.misaligned)
		}
	}
	p := c.wait[pick]
	// A request sent after the response-side loss, with only requests from
	// before the loss ahead of it, is answered by the first response found
	// after the loss unless the client pipelines.
	flag := !c.misalignResp || c.pipelining || p.epoch != c.epoch
	for _, old := range c.wait[:pick] {
		flag = flag || old.epoch == c.epoch
	}
	c.wait = popFront(c.wait, pick+1)
	p.waiting = false
	p.ex.Response = &p.rsp
	if flag {
		p.ex.Anomalies = addAnomaly(p.ex.Anomalies, c.misaligned)
	}
	if c.owed > 0 {
		c.owed = 0 // the overflowed requests' answers are part of the confusion
	}
	c.flush()
	return p
}

// maxQueueSlack bounds the responses without request that may wait in the
// queue behind an unfinished exchange (e.g. while a request body is still
// arriving); beyond it such responses are loose (emitted as soon as they
// end, out of Depth order), so none is ever dropped.
const maxQueueSlack = 64

// orphan creates the exchange of a response that has no request. owed says
// it answers a request dropped by pipeline_overflow. The exchange is loose
// (not queued; emitted as soon as the response ends) when it would have to
// wait behind an unfinished exchange and either it is owed (the requests
// ahead of it may wait for long: up to MaxPipelineDepth of them) or the
// queue is full. A non-empty queue always starts with an unfinished
// exchange (flush).
func (c *ConnParser) orphan(flag string, owed bool) *pending {
	var p *pending
	if len(c.queue) > 0 && (owed || len(c.queue) >= c.cfg.MaxPipelineDepth+maxQueueSlack) {
		p = c.allocExchange()
		p.loose = true
		c.loose = p
	} else {
		p = c.newExchange()
	}
	p.reqDone = true
	p.ex.Response = &p.rsp
	p.ex.Anomalies = addAnomaly(p.ex.Anomalies, AnomResponseWithoutRequest)
	if flag != "" {
		p.ex.Anomalies = addAnomaly(p.ex.Anomalies, flag)
	}
	if c.lostEver != "" {
		// Most likely the answer to a request lost in a gap.
		p.ex.Anomalies = addAnomaly(p.ex.Anomalies, c.lostEver)
	}
	return p
}

// lost records a loss of position on one side (code is the anomaly that
// explains it) and enters the misaligned state.
func (c *ConnParser) lost(resp bool, code string) {
	c.lostEver = code
	if resp {
		c.epoch++
		c.misalignResp = true
		// Requests that were waiting may have been answered in the loss.
		for _, p := range c.wait {
			p.ex.Anomalies = addAnomaly(p.ex.Anomalies, code)
		}
	}
	if c.misaligned == "" || resp {
		c.misaligned = code
	}
}

// requestDone is called when the request of p ended.
func (c *ConnParser) requestDone(p *pending) {
	p.reqDone = true
	c.flush()
}

// responseDone is called when the final response of p ended.
func (c *ConnParser) responseDone(p *pending) {
	p.respDone = true
	if c.misaligned != "" && len(c.wait) == 0 && !c.pipelining && !c.half[0].resyncing() {
		c.misaligned, c.misalignResp = "", false
	}
	if p.loose {
		c.emitLoose()
		return
	}
	c.flush()
}

// emitLoose emits the loose exchange (see orphan), if any.
func (c *ConnParser) emitLoose() {
	if p := c.loose; p != nil {
		c.loose = nil
		c.emit(&p.ex)
	}
}

// flush emits the exchanges at the head of the queue that are finished.
func (c *ConnParser) flush() {
	n := 0
	for n < len(c.queue) && c.queue[n].reqDone && c.queue[n].respDone {
		c.emit(&c.queue[n].ex)
		c.queue[n] = nil
		n++
	}
	if n > 0 {
		c.queue = popFront(c.queue, n)
	}
}

// upgrade switches the connection to tunnel mode after p's response.
func (c *ConnParser) upgrade(p *pending) {
	p.ex.Upgraded = true
	c.upgraded = p
}

// tunnel counts bytes that follow an upgrade.
func (c *ConnParser) tunnel(resp bool, n int64) {
	if c.upgraded == nil {
		return
	}
	if resp {
		c.upgraded.ex.TunnelBytes[1] += n
	} else {
		c.upgraded.ex.TunnelBytes[0] += n
	}
}

// popFront removes the first n elements in place, so the backing array is
// reused (queues are short; pipelines are bounded by MaxPipelineDepth).
func popFront(s []*pending, n int) []*pending {
	m := copy(s, s[n:])
	clear(s[m:])
	return s[:m]
}
