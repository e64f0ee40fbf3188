package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/winbootkit/winbootkit/bcd"
)

// The bcd suite: enumerate a BCD store (open the file and render
// "bcdedit /enum all /v") with winbootkit/bcd, against dumping the same
// store with hivexregedit --export (the closest Linux tool: it prints the
// raw registry values, not BCD elements). Inputs: the biggest fixture
// store (bcd_ntloader3_bcdedit.bcd) and a generated store of 2,000 WinPE
// loaders with ramdisk devices, all in {bootmgr}'s displayorder.

func init() { register("bcd", runBCD) }

const bcdFixture = "../shared/fixtures/bcd/bcd_ntloader3_bcdedit.bcd"

func runBCD(e *Env) ([]Result, error) {
	gen := filepath.Join(e.Work, "generated-2000.bcd")
	if err := ensureBCD(gen, 2000); err != nil {
		return nil, err
	}
	inputs := []struct{ name, path string }{{"ntloader3 fixture", bcdFixture}, {"generated 2,000 loaders", gen}}
	var out []Result
	for _, in := range inputs {
		fi, err := os.Stat(in.path)
		if err != nil {
			out = append(out, Result{Suite: "bcd", Case: "enum " + in.name, Impl: "winbootkit/bcd", Note: "missing: " + err.Error()})
			continue
		}
		cas := fmt.Sprintf("enum %s (%.1f KB)", in.name, float64(fi.Size())/1e3)
		path := in.path
		out = append(out,
			e.Func("bcd", cas, "winbootkit/bcd Open + Enum all /v", fi.Size(), func() error { return enumBCD(path) }),
			e.Command("bcd", cas, fi.Size(), "hivexregedit", "--export", path, `\`),
		)
	}
	return out, nil
}

// enumBCD opens a store file and renders Enum all /v.
func enumBCD(path string) error {
	s, err := bcd.Open(path, nil)
	if err != nil {
		return err
	}
	return s.Enum(io.Discard, "all", &bcd.EnumOptions{Syntax: bcd.Syntax{Verbose: true}})
}

// ensureBCD writes a store of n WinPE loaders unless a good copy exists.
func ensureBCD(path string, n int) error {
	if s, err := bcd.Open(path, nil); err == nil {
		if objs, err := s.Objects(); err == nil && len(objs) == n+2 {
			return nil
		}
	}
	s, _, err := bcd.NewWinPEStore(&bcd.WinPE{Description: "PE 0"}, nil)
	if err != nil {
		return err
	}
	first, err := s.Lookup("{default}")
	if err != nil {
		return err
	}
	order := bcd.ObjectList{first.ID()}
	for i := 1; i < n; i++ {
		o, err := s.Copy(first.ID(), bcd.GUID{})
		if err != nil {
			return err
		}
		dev := &bcd.Device{Kind: bcd.DeviceRamdisk, Options: bcd.RamdiskOptions,
			Path: fmt.Sprintf(`\pe\%04d\boot.wim`, i), Parent: &bcd.Device{Kind: bcd.DeviceBoot}}
		for _, set := range []struct {
			t bcd.ElementType
			v bcd.Value
		}{{bcd.ElemDescription, bcd.String(fmt.Sprintf("PE %d", i))}, {bcd.ElemDevice, dev}, {bcd.ElemOSDevice, dev}} {
			if err := o.Set(set.t, set.v); err != nil {
				return err
			}
		}
		order = append(order, o.ID())
	}
	bm, err := s.Lookup("{bootmgr}")
	if err != nil {
		return err
	}
	if err := bm.Set(bcd.ElemDisplayOrder, order); err != nil {
		return err
	}
	return s.Save(path)
}
