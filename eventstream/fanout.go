package eventstream

// Seq is the cursor's position in its topic: the seq of the last event
// Next returned, or the one the cursor starts after. Hosts that fan one
// cursor out to many subscribers compare positions with it to hand a
// caught-up subscriber over with no gap and no duplicate.
func (c *Cursor) Seq() uint64 { return c.seq }
