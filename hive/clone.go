package hive

import (
	"bytes"
	"maps"
	"slices"
)

// clone returns a deep copy of the hive, so an operation that may fail
// half-way can work on the copy and be swapped in only when it succeeds.
func (h *Hive) clone() *Hive {
	c := *h
	c.buf = bytes.Clone(h.buf)
	c.binOf = slices.Clone(h.binOf)
	c.starts = slices.Clone(h.starts)
	c.damaged = slices.Clone(h.damaged)
	c.warnings = slices.Clone(h.warnings)
	for i := range c.freeIdx.buckets {
		c.freeIdx.buckets[i] = slices.Clone(h.freeIdx.buckets[i])
	}
	c.listSorted = maps.Clone(h.listSorted)
	c.skByDesc = nil
	c.scratch = nil
	return &c
}

// transact runs fn on a copy of the hive and keeps the result only when fn
// succeeds, so a failed multi-step edit leaves the hive as it was.
func (h *Hive) transact(fn func(c *Hive) error) error {
	c := h.clone()
	if err := fn(c); err != nil {
		return err
	}
	*h = *c
	return nil
}
