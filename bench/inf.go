package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/winbootkit/winbootkit/inf"
)

// The inf suite: parse throughput of the inf package on the shared INF
// fixtures (../shared/fixtures/inf, relative to the module root). There is
// no peer INF parser on Linux to compare with, so every row is ours.
//
// Cases:
//
//   - "parse hivesys.inf": ReactOS' 199 KB hive INF (2,728 lines, UTF-8,
//     backslash continuations);
//   - "parse fixture set": every file of the fixture set (INF, INX, SIF,
//     OEM; UTF-8, UTF-16LE, CRLF and LF), one after the other;
//   - "parse + apply hivesys.inf": parse, decode every [AddReg] line and
//     apply it to an in-memory registry.

func init() { register("inf", benchINF) }

const infFixtureDir = "../shared/fixtures/inf"

func benchINF(e *Env) ([]Result, error) {
	const suite = "inf"
	hivesys, err := os.ReadFile(filepath.Join(infFixtureDir, "reactos", "hivesys.inf"))
	if err != nil {
		return []Result{{Suite: suite, Case: "parse hivesys.inf", Impl: "inf.Parse",
			Note: "missing: shared fixtures not found at " + infFixtureDir}}, nil
	}
	type file struct {
		data []byte
		opts *inf.ReadOptions
	}
	var files []file
	var total int64
	for _, dir := range []string{"reactos", "virtio-win", "wds"} {
		paths, err := filepath.Glob(filepath.Join(infFixtureDir, dir, "*"))
		if err != nil {
			return nil, err
		}
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				return nil, err
			}
			o := &inf.ReadOptions{}
			if strings.HasSuffix(p, ".oem") {
				o.Dialect = inf.TextSetup
			}
			files = append(files, file{b, o})
			total += int64(len(b))
		}
	}
	var res []Result
	res = append(res, e.Func(suite, "parse hivesys.inf", "inf.Parse", int64(len(hivesys)), func() error {
		_, err := inf.Parse(hivesys, nil)
		return err
	}))
	res = append(res, e.Func(suite, fmt.Sprintf("parse fixture set (%d files)", len(files)), "inf.Parse", total, func() error {
		for _, f := range files {
			if _, err := inf.Parse(f.data, f.opts); err != nil {
				return err
			}
		}
		return nil
	}))
	res = append(res, e.Func(suite, "parse + apply hivesys.inf", "inf.Parse + ApplyHiveINF", int64(len(hivesys)), func() error {
		d, err := inf.Parse(hivesys, nil)
		if err != nil {
			return err
		}
		_, err = inf.ApplyHiveINF(inf.NewMemRegistry(), &inf.ApplyOptions{Roots: map[string]string{`HKLM\SYSTEM`: ""}}, d)
		return err
	}))
	return res, nil
}
