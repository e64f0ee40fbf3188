package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/winbootkit/winbootkit/hive"
)

// The hive suite: a full walk (open the file, visit every key, read every
// value's data) by winbootkit/hive, reglookup and hivexml on the same files
// (a synthetic hive of 200,201 keys and 1,000,000 values, written by our
// writer, and the largest fixture, regipy's amcache.hve); and creating
// 100,000 keys and saving, by winbootkit/hive and by python3-hivex (which
// cannot create a hive, so it starts from an empty one we write).

func init() { register("hive", runHive) }

const amcacheFixture = "../shared/fixtures/hive/regipy_amcache.hve"

func runHive(e *Env) ([]Result, error) {
	synth := filepath.Join(e.Work, "synthetic.hiv")
	if err := ensureSynthetic(synth); err != nil {
		return nil, err
	}
	inputs := []struct{ name, path string }{{"synthetic", synth}, {"amcache.hve", amcacheFixture}}
	var out []Result
	for _, in := range inputs {
		fi, err := os.Stat(in.path)
		if err != nil {
			out = append(out, Result{Suite: "hive", Case: "walk " + in.name, Impl: "winbootkit/hive", Note: "missing: " + err.Error()})
			continue
		}
		cas := fmt.Sprintf("walk %s (%.1f MB)", in.name, float64(fi.Size())/1e6)
		path := in.path
		out = append(out,
			e.Func("hive", cas, "winbootkit/hive", fi.Size(), func() error { return walkHive(path) }),
			e.Command("hive", cas, fi.Size(), "reglookup", path),
			e.Command("hive", cas, fi.Size(), "hivexml", path),
		)
	}

	created := filepath.Join(e.Work, "created.hiv")
	out = append(out, e.Func("hive", "create 100k keys + save", "winbootkit/hive", 0, func() error {
		return create100k(created)
	}))
	empty := filepath.Join(e.Work, "empty.hiv")
	h, err := hive.New("ROOT", hive.Version15, nil)
	if err != nil {
		return nil, err
	}
	if err := h.Save(empty); err != nil {
		return nil, err
	}
	script := filepath.Join(e.Work, "hivex_create.py")
	if err := os.WriteFile(script, []byte(hivexCreate), 0o644); err != nil {
		return nil, err
	}
	out = append(out, e.Command("hive", "create 100k keys + save", 0, "/usr/bin/python3", script,
		empty, filepath.Join(e.Work, "created-hivex.hiv")))
	return out, nil
}

// hivexCreate adds the same 100 parents of 1,000 keys with python3-hivex.
const hivexCreate = `import hivex, shutil, sys
shutil.copyfile(sys.argv[1], sys.argv[2])
h = hivex.Hivex(sys.argv[2], write=True)
root = h.root()
for p in range(100):
    parent = h.node_add_child(root, "parent%03d" % p)
    for i in range(1000):
        h.node_add_child(parent, "key%04d" % i)
h.commit(sys.argv[2])
`

// ensureSynthetic writes the synthetic hive unless a good copy exists.
func ensureSynthetic(path string) error {
	if h, err := hive.Open(path, nil); err == nil && h.Root().Name() == "SYNTHETIC" && h.Root().SubkeyCount() == 200 {
		return nil
	}
	h, err := hive.New("SYNTHETIC", hive.Version15, nil)
	if err != nil {
		return err
	}
	for g := range 200 {
		for i := range 1000 {
			p := fmt.Sprintf(`group%03d\k%05d`, g, i)
			errs := errors.Join(
				h.SetRawValue(p, "a", uint32(hive.DWord), hive.EncodeDWord(uint32(i))),
				h.SetRawValue(p, "b", uint32(hive.DWord), hive.EncodeDWord(uint32(g))),
				h.SetRawValue(p, "c", uint32(hive.String), []byte{'x', 0, 0, 0}),
				h.SetRawValue(p, "d", uint32(hive.QWord), hive.EncodeQWord(uint64(i)<<32|uint64(g))),
				h.SetRawValue(p, "e", uint32(hive.Binary), []byte{byte(i), byte(g), 1, 2}),
			)
			if errs != nil {
				return errs
			}
		}
	}
	return h.Save(path)
}

// walkHive opens a hive file and reads every key and every value's data.
func walkHive(path string) error {
	h, err := hive.Open(path, nil)
	if err != nil {
		return err
	}
	var buf []byte
	return h.Root().Walk(func(_ string, k *hive.Key) error {
		for v, err := range k.Values() {
			if err != nil {
				return err
			}
			if buf, err = v.AppendData(buf[:0]); err != nil {
				return err
			}
		}
		return nil
	})
}

// create100k creates 100 parents of 1,000 keys in a new hive and saves it.
func create100k(path string) error {
	h, err := hive.New("ROOT", hive.Version15, nil)
	if err != nil {
		return err
	}
	for p := range 100 {
		parent, err := h.Root().CreateKey(fmt.Sprintf("parent%03d", p))
		if err != nil {
			return err
		}
		for i := range 1000 {
			if _, err := parent.CreateKey(fmt.Sprintf("key%04d", i)); err != nil {
				return err
			}
		}
	}
	return h.Save(path)
}
