package inf

// IndexRebuilds reports how many times d rebuilt its line index after
// edits.
func IndexRebuilds(d *Document) int { return d.lazy.rebuilds }

// ResetSubstitution empties d's substitution memo and restores its
// budget, so that a test can measure a reader as if it came first.
func ResetSubstitution(d *Document) { d.lazy.resetSubst() }

// SubstitutionUsed returns the part of Limits.MaxSubstitution d has used.
func SubstitutionUsed(d *Document) int64 {
	d.lazy.subMu.Lock()
	defer d.lazy.subMu.Unlock()
	return d.lazy.subUsed
}
