package reassembly

// connList is an intrusive doubly linked list of connections ordered by last
// activity (oldest at head), so expiry and eviction only look at the head.
type connList struct {
	head, tail *conn
	n          int
}

func (l *connList) pushBack(c *conn) {
	if c.list != nil {
		panic("BUG: reassembly: conn already in a list")
	}
	c.list = l
	c.lprev, c.lnext = l.tail, nil
	if l.tail != nil {
		l.tail.lnext = c
	} else {
		l.head = c
	}
	l.tail = c
	l.n++
}

func (l *connList) remove(c *conn) {
	if c.list != l {
		panic("BUG: reassembly: conn not in this list")
	}
	if c.lprev != nil {
		c.lprev.lnext = c.lnext
	} else {
		l.head = c.lnext
	}
	if c.lnext != nil {
		c.lnext.lprev = c.lprev
	} else {
		l.tail = c.lprev
	}
	c.lprev, c.lnext, c.list = nil, nil, nil
	l.n--
}

// moveToBack marks c as the most recently active connection of l.
func (l *connList) moveToBack(c *conn) {
	if l.tail == c {
		return
	}
	l.remove(c)
	l.pushBack(c)
}
