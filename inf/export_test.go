package inf

// IndexRebuilds reports how many times d rebuilt its line index after
// edits.
func IndexRebuilds(d *Document) int { return d.lazy.rebuilds }
