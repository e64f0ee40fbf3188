package sif

import (
	"io"
	"io/fs"
	"sort"

	"github.com/winbootkit/winbootkit/internal/atomicfile"
)

// Every type that is saved writes itself.
var (
	_ io.WriterTo = (*SIF)(nil)
	_ io.WriterTo = (*Winnt)(nil)
	_ io.WriterTo = (*CHKPCI)(nil)
)

// writeAtomic saves src to path through internal/atomicfile.
func writeAtomic(path string, src io.WriterTo, perm fs.FileMode) error {
	return atomicfile.WriteTo(path, src, perm)
}

func sortStrings(s []string) { sort.Strings(s) }
