package inf

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// Package is one driver package for Audit.
type Package struct {
	Name string    // a label, typically the INF's path
	Doc  *Document // the parsed INF (stamped, if it was an INX)
	// SignatureScore is the SS byte of the driver rank (0xSSGGTHHH). 0,
	// the default, is a trusted signature; Windows uses higher values for
	// unsigned packages. The INF alone cannot tell, so the caller says.
	SignatureScore uint8
}

// AuditEntry is one package's driver for a service and binary.
type AuditEntry struct {
	Package      string
	Service      string
	Binary       string
	DriverVer    DriverVer
	Install      string   // DDInstall section
	FeatureScore uint8    // 0xFF when not given
	HardwareIDs  []string // IDs of the models lines that install it
}

// AuditCandidate is a package offering a driver for a hardware ID.
type AuditCandidate struct {
	Package   string
	Rank      uint32 // 0xSSGGTHHH for a device whose hardware ID is the one listed
	DriverVer DriverVer
}

// AuditChoice is the driver Windows would pick for a hardware ID among
// the packages of a group: lowest rank, then latest DriverVer date, then
// highest version.
type AuditChoice struct {
	HardwareID string
	Winner     AuditCandidate
	Tied       bool             // another candidate is equal on all three: Windows picks arbitrarily
	Candidates []AuditCandidate // ordered best first
}

// AuditGroup gathers the packages that install the same service with the
// same driver binary.
type AuditGroup struct {
	Service string
	Binary  string
	Entries []AuditEntry
	// VersionsDiffer is set when the entries' DriverVer differ: loading
	// one copy (boot.wim) and offering another ($WinPEDriver$) makes the
	// first loaded win and the other be reported as bad.
	VersionsDiffer bool
	Choices        []AuditChoice // per hardware ID listed by more than one entry
}

// AuditReport is the result of Audit.
type AuditReport struct {
	Groups   []AuditGroup
	Warnings []Warning // per package, prefixed with the package name
}

// Conflicts returns the groups whose versions differ.
func (r *AuditReport) Conflicts() []AuditGroup {
	var out []AuditGroup
	for _, g := range r.Groups {
		if g.VersionsDiffer {
			out = append(out, g)
		}
	}
	return out
}

// offerRec is one hardware ID offered by a device of a package for the
// driver of a group; Audit sorts them to find the IDs several packages
// offer, without a map entry per ID.
type offerRec struct {
	id    string
	seq   int32 // order of the offer
	group int32
	entry int32 // index in Audit's entry list
	pkg   int32
	rank  uint32
	ver   int32 // index in Audit's version list
	first bool  // the entry's first offer of this ID (case-insensitive)
}

// cmpLower compares strings.ToLower(a) and strings.ToLower(b), without
// allocating for ASCII.
func cmpLower(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		x, y := a[i], b[i]
		if x >= utf8.RuneSelf || y >= utf8.RuneSelf {
			return strings.Compare(strings.ToLower(a[i:]), strings.ToLower(b[i:]))
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return cmp.Compare(x, y)
		}
	}
	return cmp.Compare(len(a), len(b))
}

// Audit checks driver version consistency across packages, as matters for
// WinPE, where a driver injected into boot.wim and a copy offered later
// must be identical. For each package it works out what installs on o,
// groups the drivers by service and binary, reports groups whose DriverVer
// differ, and for every hardware ID offered by several packages which one
// Windows ranks first. The packages' warnings, prefixed with their names,
// stop at the largest Limits.MaxWarnings of their documents.
func Audit(pkgs []Package, o OS) (*AuditReport, error) {
	rep := &AuditReport{}
	drivers := make([]*Driver, len(pkgs))
	nrec, maxWarn := 0, 0
	for i, p := range pkgs {
		dr, err := p.Doc.Driver(o)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.Name, err)
		}
		drivers[i] = dr
		for _, dv := range dr.Devices {
			if dv.Install != nil {
				nrec += len(dv.Install.Services) * (1 + len(dv.CompatibleIDs))
			}
		}
		maxWarn = max(maxWarn, p.Doc.lim.MaxWarnings)
	}
	w := &warnings{max: maxWarn}
	groups := map[string]int32{} // lower(service) NUL lower(binary) -> index in rep.Groups
	type entryPos struct{ group, index int32 }
	var entries []entryPos
	var vers []DriverVer
	recs := make([]offerRec, 0, nrec)
	for pi, p := range pkgs {
		dr := drivers[pi]
		for _, x := range dr.Warnings {
			if w.room() {
				x.Msg = p.Name + ": " + x.Msg
				w.list = append(w.list, x)
			}
		}
		type key struct {
			group   int32
			install string
		}
		pkgEntries := map[key]int32{} // -> index in entries
		// What each install contributes: the group of each service (-1
		// when not ranked) and the index of its DriverVer.
		type installInfo struct {
			groups []int32
			ver    int32
		}
		infos := map[*Install]installInfo{}
		for _, dv := range dr.Devices {
			in := dv.Install
			if in == nil {
				continue
			}
			info, ok := infos[in]
			if !ok {
				ver := dr.Version.DriverVer
				if in.DriverVer != nil {
					ver = *in.DriverVer
				}
				vers = append(vers, ver)
				info = installInfo{ver: int32(len(vers) - 1), groups: make([]int32, len(in.Services))}
				for i, sv := range in.Services {
					info.groups[i] = -1
					if sv.Flags&AddServiceAssoc == 0 && len(in.Services) > 1 {
						continue // only the function driver of a device is ranked
					}
					bin := sv.BinaryName()
					g := strings.ToLower(sv.Name) + "\x00" + strings.ToLower(bin)
					gi, seen := groups[g]
					if !seen {
						gi = int32(len(rep.Groups))
						groups[g] = gi
						rep.Groups = append(rep.Groups, AuditGroup{Service: sv.Name, Binary: bin})
					}
					info.groups[i] = gi
				}
				infos[in] = info
			}
			for i, gi := range info.groups {
				if gi < 0 {
					continue
				}
				sv := in.Services[i]
				k := key{gi, in.Name}
				ei, ok := pkgEntries[k]
				if !ok {
					grp := &rep.Groups[gi]
					grp.Entries = append(grp.Entries, AuditEntry{Package: p.Name, Service: sv.Name, Binary: grp.Binary,
						DriverVer: vers[info.ver], Install: in.Name, FeatureScore: in.FeatureScore})
					ei = int32(len(entries))
					entries = append(entries, entryPos{gi, int32(len(grp.Entries) - 1)})
					pkgEntries[k] = ei
				}
				// The device is assumed to report the ID as its first
				// hardware ID: a match on the INF's hardware ID scores
				// 0x0000, on one of its compatible IDs 0x1000.
				base := uint32(p.SignatureScore)<<24 | uint32(in.FeatureScore)<<16
				pos := 0
				dv.eachID(func(id string) {
					ident := uint32(0)
					if pos > 0 {
						ident = 0x1000
					}
					pos++
					recs = append(recs, offerRec{id: id, seq: int32(len(recs)), group: gi, entry: ei, pkg: int32(pi), rank: base | ident, ver: info.ver})
				})
			}
		}
	}
	for gi := range rep.Groups {
		grp := &rep.Groups[gi]
		for i := 1; i < len(grp.Entries); i++ {
			if grp.Entries[i].DriverVer.Compare(grp.Entries[0].DriverVer) != 0 {
				grp.VersionsDiffer = true
			}
		}
	}

	// Offers by ID (case-insensitive), then group, then order: each run
	// of one ID and group lists the packages offering it there.
	slices.SortFunc(recs, func(a, b offerRec) int {
		if c := cmpLower(a.id, b.id); c != 0 {
			return c
		}
		if a.group != b.group {
			return cmp.Compare(a.group, b.group)
		}
		return cmp.Compare(a.seq, b.seq)
	})
	seenEntry := map[int32]bool{}
	var cands []AuditCandidate
	for i := 0; i < len(recs); {
		j := i + 1
		for j < len(recs) && cmpLower(recs[i].id, recs[j].id) == 0 {
			j++
		}
		// The spelling of the ID's last offer names it.
		name := recs[i]
		for _, r := range recs[i:j] {
			if r.seq > name.seq {
				name = r
			}
		}
		for g := i; g < j; {
			h := g + 1
			for h < j && recs[h].group == recs[g].group {
				h++
			}
			cands = cands[:0]
			clear(seenEntry)
			for k := g; k < h; k++ {
				r := &recs[k]
				if !seenEntry[r.entry] {
					seenEntry[r.entry] = true
					r.first = true
				}
				pkg := pkgs[r.pkg].Name
				found := false
				for c := range cands {
					if cands[c].Package == pkg {
						cands[c].Rank = min(cands[c].Rank, r.rank)
						found = true
					}
				}
				if !found {
					cands = append(cands, AuditCandidate{Package: pkg, Rank: r.rank, DriverVer: vers[r.ver]})
				}
			}
			if len(cands) >= 2 {
				cs := slices.Clone(cands)
				sort.SliceStable(cs, func(a, b int) bool { return better(cs[a], cs[b]) })
				grp := &rep.Groups[recs[g].group]
				grp.Choices = append(grp.Choices, AuditChoice{HardwareID: name.id, Winner: cs[0], Tied: !better(cs[0], cs[1]), Candidates: cs})
			}
			g = h
		}
		i = j
	}

	// Each entry's IDs, in the order first offered.
	firsts := recs[:0]
	for _, r := range recs {
		if r.first {
			firsts = append(firsts, r)
		}
	}
	slices.SortFunc(firsts, func(a, b offerRec) int { return cmp.Compare(a.seq, b.seq) })
	count := make([]int32, len(entries))
	for _, r := range firsts {
		count[r.entry]++
	}
	ids := make([]string, len(firsts))
	next := make([]int32, len(entries)) // where each entry's next ID goes
	off := int32(0)
	for e, n := range count {
		next[e] = off
		if n > 0 {
			pos := entries[e]
			rep.Groups[pos.group].Entries[pos.index].HardwareIDs = ids[off : off+n : off+n]
		}
		off += n
	}
	for _, r := range firsts {
		ids[next[r.entry]] = r.id
		next[r.entry]++
	}
	rep.Warnings = w.result()
	return rep, nil
}

// better orders candidates as Windows ranks drivers: lower rank, then a
// later DriverVer date, then a higher version.
func better(a, b AuditCandidate) bool {
	if a.Rank != b.Rank {
		return a.Rank < b.Rank
	}
	return a.DriverVer.Compare(b.DriverVer) > 0
}
