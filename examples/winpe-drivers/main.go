// Command winpe-drivers keeps one version of each driver across WinPE and
// the Windows it installs. It audits the driver packages meant for
// boot.wim against the $WinPEDriver$ folder of the installation media:
// which drivers come in differing versions (the first one loaded wins and
// the others are marked bad, Microsoft's KB 2686316) and which package
// Windows would rank first for each hardware ID. It then writes the drvload
// lines of startnet.cmd (WinPE start-up) and InstallOS.bat (run from the
// media root before Setup), and an unattend.xml whose windowsPE DriverPaths
// name the boot.wim packages chosen (Setup copies them into the driver store
// of the Windows it installs, as it does the $WinPEDriver$ drivers).
//
// Usage:
//
//	winpe-drivers [-o DIR]
//	winpe-drivers --pe DIR --winpedriver DIR [--arch amd64] [--os 10.0.19041]
//	              [--pe-root X:\Drivers] [--strict] [-o DIR]
//
// Without arguments it audits small INFs built in memory (three drivers of
// a made-up vendor, one of them in two versions). --pe is the folder of
// driver packages that goes into boot.wim, where WinPE sees it as --pe-root
// (default X:\Drivers); --winpedriver is the media's $WinPEDriver$ folder.
// Every .inf below them is read (an INF that does not parse is an error
// naming it). --arch and --os say which Windows the drivers are chosen for.
//
// For each driver (service and binary) the version Windows picks is the
// one to use everywhere. startnet.cmd loads the boot.wim packages that
// have that version and leaves out, with a rem line saying why, those that
// do not; InstallOS.bat loads the chosen version of every driver (from
// boot.wim, or from $WinPEDriver$ next to it) and then starts setup.exe;
// unattend.xml lists the boot.wim package folders startnet.cmd loads,
// so that the installed Windows gets the versions WinPE loaded. With
// --strict a version conflict is an error and nothing is written.
//
// Every input is checked before anything is written; the outputs are
// written to temporary files and renamed into place only when all of them
// are complete, so an error leaves no partial output.
//
// Real use:
//
//	go run ./examples/winpe-drivers --pe ./winpe-drivers --winpedriver /mnt/usb/'$WinPEDriver$' \
//	    --arch amd64 --os 10.0.22621 -o ./generated
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/winbootkit/winbootkit/inf"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "winpe-drivers:", strings.ReplaceAll(err.Error(), "\n", " "))
		os.Exit(1)
	}
}

const usage = `usage:
  winpe-drivers [-o DIR]        audit embedded demo INFs, write out/startnet.cmd, InstallOS.bat, unattend.xml
  winpe-drivers --pe DIR --winpedriver DIR [--arch amd64] [--os 10.0.19041]
                [--pe-root X:\Drivers] [--strict] [-o DIR]
options:`

// The two sets of packages.
const (
	setPE  = "boot.wim"
	setWPD = "$WinPEDriver$"
)

type config struct {
	out, pe, wpd, arch, osVer, peRoot string
	strict                            bool
}

func run(args []string, stdout, stderr io.Writer) error {
	var c config
	fl := flag.NewFlagSet("winpe-drivers", flag.ContinueOnError)
	fl.SetOutput(io.Discard) // errors come back from Parse; -h prints to stdout
	fl.Usage = func() {}
	fl.StringVar(&c.out, "o", "out", "output directory")
	fl.StringVar(&c.pe, "pe", "", "folder of driver packages for boot.wim")
	fl.StringVar(&c.wpd, "winpedriver", "", "the media's $WinPEDriver$ folder")
	fl.StringVar(&c.arch, "arch", "amd64", "architecture: x86, amd64 or arm64")
	fl.StringVar(&c.osVer, "os", "10.0.19041", "Windows version the drivers are for")
	fl.StringVar(&c.peRoot, "pe-root", `X:\Drivers`, "where the --pe folder is inside WinPE")
	fl.BoolVar(&c.strict, "strict", false, "fail, writing nothing, when driver versions differ")
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, usage)
			fl.SetOutput(stdout)
			fl.PrintDefaults()
			return nil
		}
		return err
	}
	switch {
	case fl.NArg() > 0:
		return fmt.Errorf("unexpected argument %q", fl.Arg(0))
	case c.out == "":
		return errors.New("-o: empty output directory")
	case (c.pe == "") != (c.wpd == ""):
		return errors.New("--pe and --winpedriver go together (or give neither for the embedded demo INFs)")
	case !strings.HasPrefix(c.peRoot, `\`) && !(len(c.peRoot) >= 3 && c.peRoot[1] == ':' && c.peRoot[2] == '\\'):
		return fmt.Errorf("--pe-root %q: want a Windows path such as X:\\Drivers", c.peRoot)
	}
	o, err := inf.ParseOS(c.arch, c.osVer)
	if err != nil {
		return fmt.Errorf("--arch %s --os %s: %w", c.arch, c.osVer, err)
	}
	c.peRoot = strings.TrimRight(c.peRoot, `\`)

	var pkgs []pkg
	standIn := c.pe == ""
	if standIn {
		if pkgs, err = demoPackages(); err != nil {
			return err
		}
	} else {
		for _, s := range []struct{ flag, dir, set string }{{"--pe", c.pe, setPE}, {"--winpedriver", c.wpd, setWPD}} {
			p, err := readPackages(s.flag, s.dir, s.set)
			if err != nil {
				return err
			}
			pkgs = append(pkgs, p...)
		}
	}
	ipkgs := make([]inf.Package, len(pkgs))
	for i, p := range pkgs {
		ipkgs[i] = inf.Package{Name: p.name(), Doc: p.doc}
	}
	rep, err := inf.Audit(ipkgs, o)
	if err != nil {
		return err
	}
	plan := makePlan(pkgs, rep)
	if c.strict && len(rep.Conflicts()) > 0 {
		var msgs []string
		for _, g := range rep.Conflicts() {
			var vs []string
			for _, e := range g.Entries {
				vs = append(vs, e.Package+" "+e.DriverVer.String())
			}
			msgs = append(msgs, g.Binary+": "+strings.Join(vs, " vs "))
		}
		return fmt.Errorf("--strict: driver versions differ: %s", strings.Join(msgs, "; "))
	}

	startnet, installOS := plan.scripts(c, o)
	unattend := plan.unattend(c, o)
	outs := []output{
		textOutput(filepath.Join(c.out, "startnet.cmd"), startnet),
		textOutput(filepath.Join(c.out, "InstallOS.bat"), installOS),
		textOutput(filepath.Join(c.out, "unattend.xml"), unattend),
	}
	if err := writeAll(outs); err != nil {
		return err
	}

	if standIn {
		fmt.Fprintln(stdout, "winpe-drivers: embedded demo INFs (a made-up vendor; no driver files)")
	}
	plan.printAudit(stdout, o, rep)
	fmt.Fprintf(stdout, "\nwrote %s\n", c.out+string(filepath.Separator))
	fmt.Fprintf(stdout, "  %-14s wpeinit, %d drvload line(s), %d package(s) left out\n", "startnet.cmd", len(plan.startnet), len(plan.skipped))
	fmt.Fprintf(stdout, "  %-14s %d drvload line(s), then setup.exe\n", "InstallOS.bat", len(plan.installOS))
	fmt.Fprintf(stdout, "  %-14s windowsPE DriverPaths: %s\n", "unattend.xml", strings.Join(plan.driverPaths(c), ", "))
	return nil
}

// pkg is one driver package: an INF in one of the two sets.
type pkg struct {
	set string // setPE or setWPD
	rel string // the INF's path below its set's folder, slash-separated
	doc *inf.Document
}

func (p pkg) name() string { return p.set + "/" + p.rel }

// readPackages reads every .inf below dir.
func readPackages(flagName, dir, set string) ([]pkg, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("%s %s: %w", flagName, dir, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s %s: is a file, not a folder of driver packages", flagName, dir)
	}
	var out []pkg
	err = filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("%s %s: %w", flagName, p, err)
		}
		if e.IsDir() || !strings.EqualFold(filepath.Ext(p), ".inf") {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		d, err := inf.Open(p, nil)
		if err == nil {
			err = d.CheckSignature()
		}
		if err != nil {
			return fmt.Errorf("%s %s: not a driver INF: %w", flagName, p, err)
		}
		if _, err := d.Version(); err != nil {
			return fmt.Errorf("%s %s: not a driver INF: %w", flagName, p, err)
		}
		out = append(out, pkg{set: set, rel: filepath.ToSlash(rel), doc: d})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s %s: holds no .inf file", flagName, dir)
	}
	return out, nil
}

// plan is what the scripts and the answer file load.
type plan struct {
	pkgs      map[string]pkg
	chosen    map[string]inf.AuditEntry // group key -> the entry Windows picks
	startnet  []pkg                     // boot.wim packages that have the chosen versions
	skipped   []skip                    // boot.wim packages left out of startnet.cmd
	installOS []pkg                     // one package per driver, the chosen version
	unused    []pkg                     // packages that install nothing on the OS
}

type skip struct {
	p      pkg
	reason string
}

func groupKey(g inf.AuditGroup) string { return strings.ToLower(g.Service + "/" + g.Binary) }

// pick returns the entry of g Windows would use: the package that wins the
// most hardware IDs offered by several packages (inf.Audit's ranking), or,
// when no ID is shared, the latest DriverVer. Ties go to the earlier entry
// (boot.wim's, as those are read first).
func pick(g inf.AuditGroup) inf.AuditEntry {
	wins := map[string]int{}
	for _, ch := range g.Choices {
		if !ch.Tied {
			wins[ch.Winner.Package]++
		}
	}
	best := g.Entries[0]
	for _, e := range g.Entries[1:] {
		if w, bw := wins[e.Package], wins[best.Package]; w > bw || w == bw && e.DriverVer.Compare(best.DriverVer) > 0 {
			best = e
		}
	}
	return best
}

func makePlan(pkgs []pkg, rep *inf.AuditReport) *plan {
	pl := &plan{pkgs: map[string]pkg{}, chosen: map[string]inf.AuditEntry{}}
	groupsOf := map[string][]inf.AuditGroup{} // package -> groups it is in
	for _, p := range pkgs {
		pl.pkgs[p.name()] = p
	}
	for _, g := range rep.Groups {
		pl.chosen[groupKey(g)] = pick(g)
		seen := map[string]bool{}
		for _, e := range g.Entries {
			if !seen[e.Package] {
				seen[e.Package] = true
				groupsOf[e.Package] = append(groupsOf[e.Package], g)
			}
		}
	}
	// startnet.cmd: boot.wim packages whose every driver has the chosen
	// version.
	for _, p := range pkgs {
		if p.set != setPE {
			continue
		}
		gs := groupsOf[p.name()]
		if len(gs) == 0 {
			pl.unused = append(pl.unused, p)
			continue
		}
		var why []string
		for _, g := range gs {
			ch := pl.chosen[groupKey(g)]
			for _, e := range g.Entries {
				if e.Package == p.name() && e.DriverVer.Compare(ch.DriverVer) != 0 {
					why = append(why, fmt.Sprintf("%s is %s here but %s (%s) is the version Windows picks", g.Binary, e.DriverVer, ch.Package, ch.DriverVer))
				}
			}
		}
		if len(why) > 0 {
			pl.skipped = append(pl.skipped, skip{p, strings.Join(why, "; ")})
			continue
		}
		pl.startnet = append(pl.startnet, p)
	}
	// InstallOS.bat: per driver, a boot.wim package with the chosen version
	// when there is one (already loaded by startnet.cmd), else the chosen
	// package.
	loaded := map[string]bool{}
	for _, g := range rep.Groups {
		ch := pl.chosen[groupKey(g)]
		use := ch.Package
		for _, e := range g.Entries {
			if pl.pkgs[e.Package].set == setPE && e.DriverVer.Compare(ch.DriverVer) == 0 && !pl.isSkipped(e.Package) {
				use = e.Package
				break
			}
		}
		if !loaded[use] {
			loaded[use] = true
			pl.installOS = append(pl.installOS, pl.pkgs[use])
		}
	}
	for _, p := range pkgs {
		if p.set == setWPD && len(groupsOf[p.name()]) == 0 {
			pl.unused = append(pl.unused, p)
		}
	}
	return pl
}

func (pl *plan) isSkipped(name string) bool {
	for _, s := range pl.skipped {
		if s.p.name() == name {
			return true
		}
	}
	return false
}

// winPath is the path of a package's INF as the scripts reach it: below
// --pe-root inside WinPE, or below the media's $WinPEDriver$ folder next to
// InstallOS.bat.
func (c config) winPath(p pkg) string {
	rel := strings.ReplaceAll(p.rel, "/", `\`)
	if p.set == setPE {
		return c.peRoot + `\` + rel
	}
	return `%~dp0$WinPEDriver$\` + rel
}

// batchQuote quotes a path for a drvload line; % is doubled, except in the
// %~dp0 prefix, which the batch file expands.
func batchQuote(p string) string {
	rest, media := strings.CutPrefix(p, "%~dp0")
	rest = strings.ReplaceAll(rest, "%", "%%")
	if media {
		rest = "%~dp0" + rest
	}
	return `"` + rest + `"`
}

func remLine(s string) string {
	return "rem " + strings.NewReplacer("%", "%%", "\r", " ", "\n", " ", "&", "^&", "|", "^|", "<", "^<", ">", "^>").Replace(s)
}

// scripts renders startnet.cmd and InstallOS.bat (CRLF line endings).
func (pl *plan) scripts(c config, o inf.OS) (string, string) {
	var sn, inst strings.Builder
	sn.WriteString("@echo off\r\n")
	sn.WriteString(remLine(fmt.Sprintf("startnet.cmd written by winpe-drivers for %s: the drivers of %s in the versions Windows picks.", o, c.peRoot)) + "\r\n")
	sn.WriteString("wpeinit\r\n")
	for _, p := range pl.startnet {
		fmt.Fprintf(&sn, "drvload %s\r\n", batchQuote(c.winPath(p)))
	}
	for _, s := range pl.skipped {
		sn.WriteString(remLine(fmt.Sprintf("not loaded: %s: %s", c.winPath(s.p), s.reason)) + "\r\n")
	}
	inst.WriteString("@echo off\r\n")
	inst.WriteString(remLine(fmt.Sprintf("InstallOS.bat written by winpe-drivers for %s: run it from the root of the installation media.", o)) + "\r\n")
	inst.WriteString(remLine("It loads one version of each driver, the one Setup also installs, then starts Setup.") + "\r\n")
	for _, p := range pl.installOS {
		fmt.Fprintf(&inst, "drvload %s\r\n", batchQuote(c.winPath(p)))
	}
	inst.WriteString("\"%~dp0setup.exe\" %*\r\n")
	return sn.String(), inst.String()
}

// driverPaths are the folders of the boot.wim packages startnet.cmd
// loads, sorted, without duplicates.
func (pl *plan) driverPaths(c config) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range pl.startnet {
		d := c.winPath(p)
		d = d[:strings.LastIndex(d, `\`)]
		if !seen[strings.ToLower(d)] {
			seen[strings.ToLower(d)] = true
			out = append(out, d)
		}
	}
	sort.Strings(out)
	return out
}

// unattend renders an answer file with the DriverPaths of the chosen
// boot.wim packages in the windowsPE pass (Microsoft-Windows-
// PnpCustomizationsWinPE: Setup copies the drivers to the driver store of
// the Windows image it installs).
func (pl *plan) unattend(c config, o inf.OS) string {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n")
	b.WriteString("<!-- written by winpe-drivers for " + xmlEscape(o.String()) + ": merge these settings into your answer file. -->\r\n")
	b.WriteString("<unattend xmlns=\"urn:schemas-microsoft-com:unattend\">\r\n")
	b.WriteString("  <settings pass=\"windowsPE\">\r\n")
	paths := pl.driverPaths(c)
	if len(paths) == 0 {
		b.WriteString("    <!-- no boot.wim driver package to add -->\r\n  </settings>\r\n</unattend>\r\n")
		return b.String()
	}
	fmt.Fprintf(&b, "    <component name=\"Microsoft-Windows-PnpCustomizationsWinPE\" processorArchitecture=\"%s\" publicKeyToken=\"31bf3856ad364e35\" language=\"neutral\" versionScope=\"nonSxS\" xmlns:wcm=\"http://schemas.microsoft.com/WMIConfig/2002/State\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\r\n",
		o.Arch)
	b.WriteString("      <DriverPaths>\r\n")
	for i, d := range paths {
		fmt.Fprintf(&b, "        <PathAndCredentials wcm:action=\"add\" wcm:keyValue=\"%d\">\r\n          <Path>%s</Path>\r\n        </PathAndCredentials>\r\n", i+1, xmlEscape(d))
	}
	b.WriteString("      </DriverPaths>\r\n    </component>\r\n  </settings>\r\n</unattend>\r\n")
	return b.String()
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace(s)
}

// printAudit prints the audit: per driver, the packages and versions, and
// the package Windows picks.
func (pl *plan) printAudit(w io.Writer, o inf.OS, rep *inf.AuditReport) {
	n := map[string]int{}
	for _, p := range pl.pkgs {
		n[p.set]++
	}
	fmt.Fprintf(w, "drivers for %s: %d packages for %s, %d in %s\n", o, n[setPE], setPE, n[setWPD], setWPD)
	for _, g := range rep.Groups {
		ch := pl.chosen[groupKey(g)]
		state := "same version everywhere"
		switch {
		case g.VersionsDiffer:
			state = "CONFLICT: versions differ"
		case len(g.Entries) == 1:
			state = "one package"
		}
		fmt.Fprintf(w, "\n%s (%s): %s\n", g.Service, g.Binary, state)
		width := 0
		for _, e := range g.Entries {
			width = max(width, len(e.Package))
		}
		for _, e := range g.Entries {
			mark := ""
			if e.Package == ch.Package {
				mark = "  <- Windows picks this"
			}
			fmt.Fprintf(w, "  %-*s  %s%s\n", width, e.Package, e.DriverVer, mark)
		}
		for _, c := range g.Choices {
			tied := ""
			if c.Tied {
				tied = " (tie: same rank and version, either copy)"
			}
			fmt.Fprintf(w, "  %s: %s, rank %#08x%s\n", c.HardwareID, c.Winner.Package, c.Winner.Rank, tied)
		}
		if g.VersionsDiffer {
			fmt.Fprintln(w, "  the first version loaded wins and the others are marked bad: use one version on all the media")
		}
	}
	for _, p := range pl.unused {
		fmt.Fprintf(w, "\n%s: installs nothing on %s\n", p.name(), o)
	}
	if len(rep.Warnings) > 0 {
		fmt.Fprintf(w, "\n%d INF warning(s)", len(rep.Warnings))
		for i, wn := range rep.Warnings {
			if i == 3 {
				fmt.Fprint(w, ", ...")
				break
			}
			fmt.Fprintf(w, "\n  %s", wn)
		}
		fmt.Fprintln(w)
	}
}
