// Command inftool reads INF, INX, hive INF and txtsetup.oem files the way
// Windows does, and shows what they hold.
//
// Usage:
//
//	inftool roundtrip FILE                 parse FILE and write it back to stdout
//	inftool dump [--json] [--lang ID] [--codepage N] FILE
//	                                       sections, keys and fields after substitution
//	inftool driver [--arch amd64] [--os 10.0.19041] [--json] [--set K=V]... FILE
//	                                       version, class, models, hardware IDs,
//	                                       services and files (an .inx is stamped
//	                                       for --arch first, with --set placeholders)
//	inftool oem [--json] FILE              components, files, hardware IDs, lint warnings
//	inftool audit [--arch amd64] [--os 10.0.19041] [--set K=V]... DIR...
//	                                       driver version consistency across packages
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/winbootkit/winbootkit/inf"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "inftool:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  inftool roundtrip FILE
  inftool dump [--json] [--lang ID] [--codepage N] FILE
  inftool driver [--arch amd64] [--os 10.0.19041] [--json] [--set K=V]... FILE
  inftool oem [--json] FILE
  inftool audit [--arch amd64] [--os 10.0.19041] [--set K=V]... DIR...`

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return errors.New("no command")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "roundtrip":
		return cmdRoundtrip(rest, stdout, stderr)
	case "dump":
		return cmdDump(rest, stdout, stderr)
	case "driver":
		return cmdDriver(rest, stdout, stderr)
	case "oem":
		return cmdOEM(rest, stdout, stderr)
	case "audit":
		return cmdAudit(rest, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	fmt.Fprintln(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// setFlags collects repeated --set K=V placeholders.
type setFlags map[string]string

func (s setFlags) String() string { return fmt.Sprint(map[string]string(s)) }

func (s setFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("--set wants KEY=VALUE, got %q", v)
	}
	s[k] = val
	return nil
}

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fl := flag.NewFlagSet(name, flag.ContinueOnError)
	fl.SetOutput(stderr)
	return fl
}

func oneFile(fl *flag.FlagSet) (string, error) {
	if fl.NArg() != 1 {
		return "", fmt.Errorf("%s wants one FILE", fl.Name())
	}
	return fl.Arg(0), nil
}

func readOpts(path string) *inf.ReadOptions {
	o := &inf.ReadOptions{}
	if strings.EqualFold(filepath.Ext(path), ".oem") {
		o.Dialect = inf.TextSetup
	}
	return o
}

func cmdRoundtrip(args []string, stdout, stderr io.Writer) error {
	fl := newFlags("roundtrip", stderr)
	if err := fl.Parse(args); err != nil {
		return err
	}
	path, err := oneFile(fl)
	if err != nil {
		return err
	}
	d, err := inf.Open(path, readOpts(path))
	if err != nil {
		return err
	}
	_, err = d.WriteTo(stdout)
	return err
}

func cmdDump(args []string, stdout, stderr io.Writer) error {
	fl := newFlags("dump", stderr)
	asJSON := fl.Bool("json", false, "write JSON")
	lang := fl.String("lang", "", "LANGID for [Strings.LCID] selection, e.g. 0x0407 (default 0x0409)")
	cp := fl.Int("codepage", 0, "ANSI code page of files without BOM, e.g. 1251 or 932")
	if err := fl.Parse(args); err != nil {
		return err
	}
	path, err := oneFile(fl)
	if err != nil {
		return err
	}
	o := readOpts(path)
	if *cp != 0 {
		enc, ok := inf.CodePage(*cp)
		if !ok {
			return fmt.Errorf("unknown code page %d", *cp)
		}
		o.CodePage = enc
	}
	if *lang != "" {
		v, err := strconv.ParseUint(*lang, 0, 16)
		if err != nil {
			return fmt.Errorf("--lang %q: %w", *lang, err)
		}
		o.Language = uint16(v)
	}
	d, err := inf.Open(path, o)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, d.Summary())
	}
	return d.Dump(stdout)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// openDriver opens an INF, stamping an .inx for the architecture.
func openDriver(path string, arch inf.Arch, set setFlags) (*inf.Document, error) {
	d, err := inf.Open(path, nil)
	if err != nil {
		return nil, err
	}
	if strings.EqualFold(filepath.Ext(path), ".inx") || len(set) > 0 {
		if err := d.Stamp(inf.StampOptions{Arch: arch, Placeholders: set}); err != nil {
			return nil, err
		}
	}
	return d, nil
}

type driverJSON struct {
	File        string        `json:"file"`
	OS          string        `json:"os"`
	Class       string        `json:"class"`
	ClassGUID   string        `json:"classGuid"`
	Provider    string        `json:"provider"`
	DriverVer   string        `json:"driverVer"`
	Catalog     string        `json:"catalog"`
	Models      []string      `json:"models"`
	Devices     []deviceJSON  `json:"devices"`
	HardwareIDs []string      `json:"hardwareIds"`
	Services    []serviceJSON `json:"services"`
	Files       []fileJSON    `json:"files"`
	Warnings    []inf.Warning `json:"warnings"`
}

type deviceJSON struct {
	Description string   `json:"description"`
	Install     string   `json:"install"`
	IDs         []string `json:"ids"`
}

type serviceJSON struct {
	Name           string `json:"name"`
	ServiceType    string `json:"serviceType"`
	StartType      string `json:"startType"`
	ErrorControl   string `json:"errorControl"`
	ServiceBinary  string `json:"serviceBinary"`
	LoadOrderGroup string `json:"loadOrderGroup,omitempty"`
}

type fileJSON struct {
	Name   string `json:"name"`
	Source string `json:"source"`
	DirID  int    `json:"dirid"`
	Subdir string `json:"subdir,omitempty"`
	Listed bool   `json:"listed"`
}

func cmdDriver(args []string, stdout, stderr io.Writer) error {
	fl := newFlags("driver", stderr)
	arch := fl.String("arch", "amd64", "architecture: x86, amd64, arm64")
	osv := fl.String("os", "10.0.19041", "Windows version major.minor[.build]")
	asJSON := fl.Bool("json", false, "write JSON")
	set := setFlags{}
	fl.Var(set, "set", "INX placeholder KEY=VALUE (repeatable)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	path, err := oneFile(fl)
	if err != nil {
		return err
	}
	o, err := inf.ParseOS(*arch, *osv)
	if err != nil {
		return err
	}
	d, err := openDriver(path, o.Arch, set)
	if err != nil {
		return err
	}
	dr, err := d.Driver(o)
	if err != nil {
		return err
	}
	j := driverJSON{File: path, OS: o.String(), Class: dr.Version.Class, ClassGUID: dr.Version.ClassGUID,
		Provider: dr.Version.Provider, Catalog: dr.Catalog, HardwareIDs: dr.HardwareIDs(),
		Models: []string{}, Devices: []deviceJSON{}, Services: []serviceJSON{}, Files: []fileJSON{}, Warnings: dr.Warnings}
	if dr.Version.HasDriverVer {
		j.DriverVer = dr.Version.DriverVer.String()
	}
	for _, m := range dr.Manufacturers {
		sec := m.Section
		if sec == "" {
			sec = "(none applies)"
		}
		j.Models = append(j.Models, m.Manufacturer.Name+": "+sec)
	}
	for _, dv := range dr.Devices {
		in := "(missing)"
		if dv.Install != nil {
			in = dv.Install.Name
		}
		j.Devices = append(j.Devices, deviceJSON{Description: dv.Description, Install: in, IDs: dv.IDs()})
	}
	for _, s := range dr.Services {
		j.Services = append(j.Services, serviceJSON{Name: s.Name, ServiceType: s.ServiceType.String(), StartType: s.StartType.String(),
			ErrorControl: s.ErrorControl.String(), ServiceBinary: s.ServiceBinary, LoadOrderGroup: s.LoadOrderGroup})
	}
	for _, f := range dr.Files {
		j.Files = append(j.Files, fileJSON{Name: f.Name, Source: f.SourcePath(), DirID: f.DirID, Subdir: f.Subdir, Listed: f.Listed})
	}
	if *asJSON {
		return writeJSON(stdout, j)
	}
	fmt.Fprintf(stdout, "file:      %s\nos:        %s\nclass:     %s %s\nprovider:  %s\ndriverver: %s\ncatalog:   %s\n",
		j.File, j.OS, j.Class, j.ClassGUID, j.Provider, j.DriverVer, j.Catalog)
	for _, m := range j.Models {
		fmt.Fprintf(stdout, "models:    %s\n", m)
	}
	for _, dv := range j.Devices {
		fmt.Fprintf(stdout, "device:    %s -> [%s] %s\n", dv.Description, dv.Install, strings.Join(dv.IDs, ", "))
	}
	for _, id := range j.HardwareIDs {
		fmt.Fprintf(stdout, "hwid:      %s\n", id)
	}
	for _, s := range j.Services {
		fmt.Fprintf(stdout, "service:   %s type=%s start=%s error=%s binary=%s group=%q\n", s.Name, s.ServiceType, s.StartType, s.ErrorControl, s.ServiceBinary, s.LoadOrderGroup)
	}
	for _, f := range j.Files {
		fmt.Fprintf(stdout, "file:      %s (from %s) -> DIRID %d %s\n", f.Name, f.Source, f.DirID, f.Subdir)
	}
	for _, w := range j.Warnings {
		fmt.Fprintf(stdout, "warning:   %s\n", w)
	}
	return nil
}

type oemJSON struct {
	DiskList   []string          `json:"disks"`
	Defaults   map[string]string `json:"defaults"`
	Options    []oemOptionJSON   `json:"options"`
	ConfigList []string          `json:"configs"`
	Warnings   []inf.Warning     `json:"warnings"`
}

type oemOptionJSON struct {
	Component   string   `json:"component"`
	ID          string   `json:"id"`
	Description string   `json:"description"`
	Service     string   `json:"service"`
	Files       []string `json:"files"`
	HardwareIDs []string `json:"hardwareIds"`
	Config      []string `json:"config"`
}

func cmdOEM(args []string, stdout, stderr io.Writer) error {
	fl := newFlags("oem", stderr)
	asJSON := fl.Bool("json", false, "write JSON")
	if err := fl.Parse(args); err != nil {
		return err
	}
	path, err := oneFile(fl)
	if err != nil {
		return err
	}
	o, err := inf.OpenOEM(path, nil)
	if err != nil {
		return err
	}
	j := oemJSON{Defaults: map[string]string{}, Options: []oemOptionJSON{}, DiskList: []string{}, ConfigList: []string{}}
	for _, d := range o.Disks {
		j.DiskList = append(j.DiskList, fmt.Sprintf("%s = %q tag %s dir %s", d.Name, d.Description, d.TagFile, d.Directory))
	}
	for _, d := range o.Defaults {
		j.Defaults[d.Component] = d.ID
	}
	for _, c := range o.Components {
		for _, op := range c.Options {
			oj := oemOptionJSON{Component: c.Name, ID: op.ID, Description: op.Description, Service: op.Service(),
				Files: []string{}, HardwareIDs: []string{}, Config: []string{}}
			for _, f := range op.Files {
				s := fmt.Sprintf("%s %s on %s", f.Type, f.Name, f.Disk)
				if f.DriverKey != "" {
					s += " key " + f.DriverKey
				}
				oj.Files = append(oj.Files, s)
			}
			for _, h := range op.HardwareIDs {
				oj.HardwareIDs = append(oj.HardwareIDs, h.ID+" -> "+h.Service)
			}
			for _, v := range o.ConfigValues(&op) {
				oj.Config = append(oj.Config, fmt.Sprintf(`Services\%s\%s %q = %s`, op.Service(), v.Subkey, v.Name, inf.FormatRegData(v.Type, v.Data)))
			}
			j.Options = append(j.Options, oj)
		}
	}
	for _, c := range o.Configs {
		j.ConfigList = append(j.ConfigList, c.Key)
	}
	j.Warnings = o.Lint(os.DirFS(filepath.Dir(path)))
	if j.Warnings == nil {
		j.Warnings = []inf.Warning{}
	}
	if *asJSON {
		return writeJSON(stdout, j)
	}
	for _, d := range j.DiskList {
		fmt.Fprintf(stdout, "disk:     %s\n", d)
	}
	for _, k := range sortedKeys(j.Defaults) {
		fmt.Fprintf(stdout, "default:  %s = %s\n", k, j.Defaults[k])
	}
	for _, op := range j.Options {
		fmt.Fprintf(stdout, "option:   [%s] %s %q service %s\n", op.Component, op.ID, op.Description, op.Service)
		for _, f := range op.Files {
			fmt.Fprintf(stdout, "  file:   %s\n", f)
		}
		for _, h := range op.HardwareIDs {
			fmt.Fprintf(stdout, "  hwid:   %s\n", h)
		}
		for _, c := range op.Config {
			fmt.Fprintf(stdout, "  config: %s\n", c)
		}
	}
	for _, w := range j.Warnings {
		fmt.Fprintf(stdout, "warning:  %s\n", w)
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	k := make([]string, 0, len(m))
	for x := range m {
		k = append(k, x)
	}
	sort.Strings(k)
	return k
}

func cmdAudit(args []string, stdout, stderr io.Writer) error {
	fl := newFlags("audit", stderr)
	arch := fl.String("arch", "amd64", "architecture: x86, amd64, arm64")
	osv := fl.String("os", "10.0.19041", "Windows version major.minor[.build]")
	set := setFlags{}
	fl.Var(set, "set", "INX placeholder KEY=VALUE (repeatable)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() == 0 {
		return errors.New("audit wants at least one DIR")
	}
	o, err := inf.ParseOS(*arch, *osv)
	if err != nil {
		return err
	}
	var pkgs []inf.Package
	for _, dir := range fl.Args() {
		err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			ext := strings.ToLower(filepath.Ext(p))
			if e.IsDir() || (ext != ".inf" && ext != ".inx") {
				return nil
			}
			d, err := openDriver(p, o.Arch, set)
			if err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			if d.CheckSignature() != nil || d.Section("Manufacturer") == nil {
				return nil // not a device INF (hive INF, layout, ...)
			}
			pkgs = append(pkgs, inf.Package{Name: p, Doc: d})
			return nil
		})
		if err != nil {
			return err
		}
	}
	rep, err := inf.Audit(pkgs, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d packages, %d drivers, %d with differing versions (%s)\n", len(pkgs), len(rep.Groups), len(rep.Conflicts()), o)
	for _, g := range rep.Groups {
		if len(g.Entries) < 2 && !g.VersionsDiffer {
			continue
		}
		state := "same version"
		if g.VersionsDiffer {
			state = "VERSIONS DIFFER"
		}
		fmt.Fprintf(stdout, "\n%s (%s): %s\n", g.Service, g.Binary, state)
		for _, e := range g.Entries {
			fmt.Fprintf(stdout, "  %s  %s  [%s]\n", e.DriverVer, e.Package, e.Install)
		}
		for _, ch := range g.Choices {
			tie := ""
			if ch.Tied {
				tie = " (tie: Windows picks arbitrarily)"
			}
			fmt.Fprintf(stdout, "  %s -> %s rank %#08x %s%s\n", ch.HardwareID, ch.Winner.Package, ch.Winner.Rank, ch.Winner.DriverVer, tie)
		}
	}
	return nil
}
