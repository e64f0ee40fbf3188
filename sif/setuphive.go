package sif

import (
	"fmt"
	"io/fs"

	"github.com/winbootkit/winbootkit/hive"
	"github.com/winbootkit/winbootkit/inf"
)

// DefaultSetupHiveRoot is the root key name of hives that Windows 2000, XP
// and 2003 create with RegSaveKey, and that ReactOS' mkhive gives its
// hives.
const DefaultSetupHiveRoot = "$$$PROTO.HIV"

// SetupHiveOptions control BuildSetupHive. The zero value (or nil) builds a
// SETUPREG.HIV the way ReactOS does.
type SetupHiveOptions struct {
	// RootName is the hive's root key name. Default DefaultSetupHiveRoot.
	RootName string

	// Minor is the regf format version 1.Minor. Default hive.Version13,
	// which every text-mode setup loader reads.
	Minor uint32

	// Roots maps the INF roots to keys of the hive (see
	// inf.ApplyOptions). Default SetupHiveRoots(): HKLM\SYSTEM is the
	// hive's root and CurrentControlSet is ControlSet001. The keys the
	// mapping targets are created even when no line writes there, as
	// mkhive creates ControlSet001.
	Roots map[string]string

	// Hive configures the new hive (limits, clock, root security).
	Hive *hive.Options
}

// BuildSetupHive builds a text-mode setup hive from hive INFs, the way
// ReactOS' mkhive builds SETUPREG.HIV ("mkhive -h:SETUPREG hivesys.inf
// *_reg.inf setupreg.inf"): each INF in the order given applies its
// [DelReg] section and then its [AddReg] section (inf.ApplyHiveINF), with
// HKLM mapped by Roots. Pass hivesys.inf, then the drivers' *_reg.inf,
// then setupreg.inf, whose [DelReg] takes out what the setup hive must not
// have. The report lists every line's outcome; lines no root maps are
// OutcomeUnmapped.
func BuildSetupHive(opts *SetupHiveOptions, infs ...*inf.Document) (*hive.Hive, *inf.ApplyReport, error) {
	var o SetupHiveOptions
	if opts != nil {
		o = *opts
	}
	if o.RootName == "" {
		o.RootName = DefaultSetupHiveRoot
	}
	if o.Minor == 0 {
		o.Minor = hive.Version13
	}
	if o.Roots == nil {
		o.Roots = SetupHiveRoots()
	}
	h, err := hive.New(o.RootName, o.Minor, o.Hive)
	if err != nil {
		return nil, nil, fmt.Errorf("sif: %w: %w", ErrInvalid, err)
	}
	for _, k := range sortedValues(o.Roots) {
		if k != "" {
			if err := h.CreateKey(k); err != nil {
				return nil, nil, fmt.Errorf("sif: root mapping %q: %w: %w", k, ErrInvalid, err)
			}
		}
	}
	rep, err := inf.ApplyHiveINF(h, &inf.ApplyOptions{Roots: o.Roots}, infs...)
	if err != nil {
		return nil, rep, fmt.Errorf("sif: %w", err)
	}
	return h, rep, nil
}

// OpenHiveINF reads a hive INF such as hivesys.inf or setupreg.inf, with
// the limits of opts.
func OpenHiveINF(path string, opts *ReadOptions) (*inf.Document, error) {
	b, err := readFile(path, opts.limits().MaxFileSize)
	if err != nil {
		return nil, err
	}
	d, err := inf.Parse(b, opts.infOptions(inf.SetupAPI))
	if err != nil {
		return nil, parseError(path, err)
	}
	return d, nil
}

// SaveHive writes h to path atomically (see internal/atomicfile); perm is
// used for a new file (0 means 0644).
func SaveHive(h *hive.Hive, path string, perm fs.FileMode) error {
	return writeAtomic(path, h, perm)
}

func sortedValues(m map[string]string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range m {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sortStrings(out)
	return out
}
