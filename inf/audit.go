package inf

import (
	"fmt"
	"sort"
	"strings"
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

// Audit checks driver version consistency across packages, as matters for
// WinPE, where a driver injected into boot.wim and a copy offered later
// must be identical. For each package it works out what installs on o,
// groups the drivers by service and binary, reports groups whose DriverVer
// differ, and for every hardware ID offered by several packages which one
// Windows ranks first.
func Audit(pkgs []Package, o OS) (*AuditReport, error) {
	rep := &AuditReport{}
	groups := map[string]*AuditGroup{}
	var order []string
	offers := map[string]map[string][]AuditCandidate{} // group -> lower(hwid) -> candidates
	hwNames := map[string]string{}
	for _, p := range pkgs {
		dr, err := p.Doc.Driver(o)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.Name, err)
		}
		for _, w := range dr.Warnings {
			w.Msg = p.Name + ": " + w.Msg
			rep.Warnings = append(rep.Warnings, w)
		}
		type key struct{ group, install string }
		entries := map[key]*AuditEntry{}
		var ekeys []key
		for _, dv := range dr.Devices {
			if dv.Install == nil {
				continue
			}
			ver := dr.Version.DriverVer
			if dv.Install.DriverVer != nil {
				ver = *dv.Install.DriverVer
			}
			for _, sv := range dv.Install.Services {
				if sv.Flags&AddServiceAssoc == 0 && len(dv.Install.Services) > 1 {
					continue // only the function driver of a device is ranked
				}
				bin := sv.BinaryName()
				g := strings.ToLower(sv.Name) + "\x00" + strings.ToLower(bin)
				if groups[g] == nil {
					groups[g] = &AuditGroup{Service: sv.Name, Binary: bin}
					order = append(order, g)
					offers[g] = map[string][]AuditCandidate{}
				}
				k := key{g, dv.Install.Name}
				e := entries[k]
				if e == nil {
					e = &AuditEntry{Package: p.Name, Service: sv.Name, Binary: bin, DriverVer: ver,
						Install: dv.Install.Name, FeatureScore: dv.Install.FeatureScore}
					entries[k] = e
					ekeys = append(ekeys, k)
				}
				for pos, id := range dv.IDs() {
					if !containsFold(e.HardwareIDs, id) {
						e.HardwareIDs = append(e.HardwareIDs, id)
					}
					// The device is assumed to report id as its first
					// hardware ID: a match on the INF's hardware ID scores
					// 0x0000, on one of its compatible IDs 0x1000.
					ident := uint32(0)
					if pos > 0 {
						ident = 0x1000
					}
					rank := uint32(p.SignatureScore)<<24 | uint32(e.FeatureScore)<<16 | ident
					lid := strings.ToLower(id)
					hwNames[lid] = id
					cands := offers[g][lid]
					replaced := false
					for i := range cands {
						if cands[i].Package == p.Name {
							if rank < cands[i].Rank {
								cands[i].Rank = rank
							}
							replaced = true
						}
					}
					if !replaced {
						cands = append(cands, AuditCandidate{Package: p.Name, Rank: rank, DriverVer: ver})
					}
					offers[g][lid] = cands
				}
			}
		}
		for _, k := range ekeys {
			groups[k.group].Entries = append(groups[k.group].Entries, *entries[k])
		}
	}
	for _, g := range order {
		grp := groups[g]
		for i := 1; i < len(grp.Entries); i++ {
			if grp.Entries[i].DriverVer.Compare(grp.Entries[0].DriverVer) != 0 {
				grp.VersionsDiffer = true
			}
		}
		ids := make([]string, 0, len(offers[g]))
		for id := range offers[g] {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			cands := offers[g][id]
			if len(cands) < 2 {
				continue
			}
			sort.SliceStable(cands, func(i, j int) bool { return better(cands[i], cands[j]) })
			ch := AuditChoice{HardwareID: hwNames[id], Winner: cands[0], Candidates: cands}
			ch.Tied = !better(cands[0], cands[1])
			grp.Choices = append(grp.Choices, ch)
		}
		rep.Groups = append(rep.Groups, *grp)
	}
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
