package sif

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"io/fs"

	"github.com/winbootkit/winbootkit/internal/atomicfile"
)

// WriteText writes the slipstream as a plan for people to review: the
// driver, the txtsetup.sif entries, the hive INF lines, the files to copy,
// the 0PE entries and the warnings.
func (s *Slipstream) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }
	p("driver %s (%s option %s, %s)\n", s.DriverFile, s.Component, s.ID, s.Arch)
	p("  description %q\n", s.Description)
	p("  service %s: Type %d, Start %d, ErrorControl %d, Group %q, ImagePath %s\n",
		s.Service, s.Values.Type, s.Values.Start, s.Values.ErrorControl, s.Values.Group, s.Values.ImagePath)
	p("  class GUID %s\n", s.ClassGUID)
	for _, id := range s.HardwareIDs {
		p("  hardware ID %s\n", id)
	}
	p("\ntxtsetup.sif:\n")
	for _, e := range s.Entries {
		sec := e.Section
		if sec == "" {
			sec = archSection(SectionSourceDisksFiles, s.Arch) + " or " + SectionSourceDisksFiles
		}
		p("  [%s] %s\n", sec, e.Text)
	}
	p("\nhive INF [AddReg] (and the setup hive, HKLM\\SYSTEM\\CurrentControlSet = ControlSet001):\n")
	lines, err := s.HiveLines()
	if err != nil {
		return err
	}
	for _, l := range lines {
		p("  %s\n", l)
	}
	p("\nfiles:\n")
	for _, c := range s.Copies {
		p("  %s %s -> %s", c.Type, c.Source, c.Media)
		if c.Compressed != "" {
			p(" (or %s)", c.Compressed)
		}
		if c.Install != "" {
			p(", installed as %s", c.Install)
		}
		p("\n")
		if c.Note != "" {
			p("    %s\n", c.Note)
		}
	}
	p("\n0PE CHKPCI.TXT:\n")
	for _, e := range s.PCI {
		p("  $%s\n  %s\n", e.ID, e.Service)
	}
	if len(s.Warnings) > 0 {
		p("\nwarnings:\n")
		for _, w := range s.Warnings {
			p("  %s\n", w)
		}
	}
	return bw.Flush()
}

// WritePlan saves the plan (WriteText) followed by the edits made with it
// to path, atomically; perm is used for a new file (0 means 0644).
func (s *Slipstream) WritePlan(path string, edits []Edit, perm fs.FileMode) error {
	var b bytes.Buffer
	if err := s.WriteText(&b); err != nil {
		return err
	}
	if len(edits) > 0 {
		b.WriteString("\nedits:\n")
		for _, e := range edits {
			fmt.Fprintf(&b, "  %s\n", e)
		}
	}
	return atomicfile.WriteFile(path, b.Bytes(), perm)
}
