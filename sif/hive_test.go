package sif_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/hive"
	"github.com/winbootkit/winbootkit/inf"
	"github.com/winbootkit/winbootkit/internal/integration"
	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/sif"
)

const (
	viostorCDDB = `ControlSet001\Control\CriticalDeviceDatabase\pci#ven_1af4&dev_1001&subsys_00021af4&rev_00`
	viostorSvc  = `ControlSet001\Services\viostor`
)

// reader is what the checks read values from: an inf.MemRegistry or a hive.
type reader interface {
	RawValue(path, name string) (uint32, []byte, bool, error)
}

// checkViostorValues asserts the values of issue 6 acceptance 2.
func checkViostorValues(t *testing.T, r reader) {
	t.Helper()
	str := func(path, name string, want string, types ...inf.RegType) {
		t.Helper()
		typ, data, ok, err := r.RawValue(path, name)
		require.NoError(t, err)
		require.True(t, ok, "%s\\%s missing", path, name)
		assert.Contains(t, types, inf.RegType(typ), "%s\\%s type", path, name)
		got, _ := inf.DecodeMultiSZ(data)
		require.Len(t, got, 1)
		assert.True(t, strings.EqualFold(want, got[0]), "%s\\%s = %q, want %q", path, name, got[0], want)
	}
	dword := func(path, name string, want uint32) {
		t.Helper()
		typ, data, ok, err := r.RawValue(path, name)
		require.NoError(t, err)
		require.True(t, ok, "%s\\%s missing", path, name)
		assert.Equal(t, uint32(inf.RegDWORD), typ)
		assert.Equal(t, []byte{byte(want), 0, 0, 0}, data, "%s\\%s", path, name)
	}
	str(viostorCDDB, "Service", "viostor", inf.RegSZ)
	str(viostorCDDB, "ClassGUID", "{4D36E97B-E325-11CE-BFC1-08002BE10318}", inf.RegSZ)
	dword(viostorSvc, "Type", 1)
	dword(viostorSvc, "Start", 0)
	dword(viostorSvc, "ErrorControl", 1)
	str(viostorSvc, "Group", "SCSI miniport", inf.RegSZ)
	str(viostorSvc, "ImagePath", `system32\drivers\viostor.sys`, inf.RegSZ, inf.RegExpandSZ)
}

func viostorSlip(t *testing.T) *sif.Slipstream {
	return newSlip(t, loadOEM(t, "inf/virtio-win/txtsetup-i386.oem"), &sif.SlipstreamOptions{
		ID: "WNET32", Arch: inf.X86, DriverINF: stampedINF(t, "inf/virtio-win/viostor.inx", inf.X86)})
}

func reactosDocs(t testing.TB, names ...string) []*inf.Document {
	var out []*inf.Document
	for _, n := range names {
		d, err := inf.Parse(testutil.ReadFixture(t, "inf/reactos/"+n), nil)
		require.NoError(t, err)
		out = append(out, d)
	}
	return out
}

// TestSlipstreamHiveINFLines is issue 6 acceptance 2 for the plan's hive INF
// lines: read back as an INF and applied with the setup hive's mapping,
// they give the values.
func TestSlipstreamHiveINFLines(t *testing.T) {
	s := viostorSlip(t)
	lines, err := s.HiveLines()
	require.NoError(t, err)
	assert.Contains(t, lines, `HKLM,"SYSTEM\CurrentControlSet\Control\CriticalDeviceDatabase\pci#ven_1af4&dev_1001&subsys_00021af4&rev_00","Service",0x00000000,"viostor"`)
	doc, err := inf.Parse([]byte("[AddReg]\r\n"+strings.Join(lines, "\r\n")+"\r\n"), nil)
	require.NoError(t, err)
	mem := inf.NewMemRegistry()
	_, err = inf.ApplyHiveINF(mem, &inf.ApplyOptions{Roots: sif.SetupHiveRoots()}, doc)
	require.NoError(t, err)
	checkViostorValues(t, mem)
	// The INF's service AddReg (HKR) lands under the service key.
	typ, data, ok, err := mem.RawValue(viostorSvc+`\Parameters\PnpInterface`, "5")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, uint32(inf.RegDWORD), typ)
	assert.Equal(t, []byte{1, 0, 0, 0}, data)
	assert.Contains(t, codesOf(s.Warnings), "config-unreferenced", "virtio-win's [Config.WNET32] is never applied by setup")
}

// TestSlipstreamHivesys: the lines go into hivesys.inf [AddReg]; twice
// changes nothing, removal restores the file.
func TestSlipstreamHivesys(t *testing.T) {
	s := viostorSlip(t)
	orig := testutil.ReadFixture(t, "inf/reactos/hivesys.inf")
	doc, err := inf.Parse(orig, nil)
	require.NoError(t, err)
	edits, err := s.ApplyHiveINF(doc)
	require.NoError(t, err)
	lines, err := s.HiveLines()
	require.NoError(t, err)
	assert.Equal(t, len(lines), sif.CountChanges(edits))
	one := doc.Bytes()
	removed, added := lineDiff(orig, one)
	assert.Empty(t, removed)
	var want []string
	for _, l := range lines {
		want = append(want, l+"\r\n")
		assert.Equal(t, "AddReg", sectionOf(t, one, l))
	}
	assert.Equal(t, want, added)
	edits, err = s.ApplyHiveINF(doc)
	require.NoError(t, err)
	assert.Zero(t, sif.CountChanges(edits))
	testutil.EqualBytes(t, one, doc.Bytes())
	re, err := inf.Parse(one, nil)
	require.NoError(t, err)
	_, err = s.RemoveHiveINF(re)
	require.NoError(t, err)
	testutil.EqualBytes(t, orig, re.Bytes())

	// A hive INF without [AddReg] gets one, and loses it again.
	empty := []byte("[Version]\r\nSignature = \"$Windows NT$\"\r\n")
	e, err := inf.Parse(empty, nil)
	require.NoError(t, err)
	edits, err = s.ApplyHiveINF(e)
	require.NoError(t, err)
	assert.Equal(t, sif.EditCreateSection, edits[0].Kind)
	_, err = s.RemoveHiveINF(e)
	require.NoError(t, err)
	testutil.EqualBytes(t, empty, e.Bytes())
}

// TestSlipstreamSetupHive is issue 6 acceptance 2 for the binary setup
// hive: a SETUPREG.HIV built from ReactOS' hive INFs, edited through the
// hive package, passes regfexport, hivexregedit and hive.Check, and holds
// the values; a second apply changes nothing and removal takes them out.
func TestSlipstreamSetupHive(t *testing.T) {
	s := viostorSlip(t)
	h, _, err := sif.BuildSetupHive(nil, reactosDocs(t, "hivesys.inf", "setupreg.inf")...)
	require.NoError(t, err)
	base := h.Bytes()
	rep, err := s.ApplyHive(h, nil)
	require.NoError(t, err)
	assert.Equal(t, len(s.Registry), rep.Count(inf.OutcomeApplied))
	checkViostorValues(t, h)
	assert.Empty(t, h.Check())
	p := filepath.Join(t.TempDir(), "setupreg.hiv")
	require.NoError(t, sif.SaveHive(h, p, 0))
	integration.HiveTools(t, p)

	saved, err := hive.Open(p, nil)
	require.NoError(t, err)
	savedBytes := saved.Bytes()
	_, err = s.ApplyHive(saved, nil)
	require.NoError(t, err)
	assert.False(t, saved.Modified(), "a second apply changes nothing")
	testutil.EqualBytes(t, savedBytes, saved.Bytes())

	edits, err := s.RemoveRegistry(saved, nil)
	require.NoError(t, err)
	assert.Equal(t, 3, sif.CountChanges(edits), "the two keys, and the CriticalDeviceDatabase key setupreg.inf had deleted: %v", edits)
	for _, k := range []string{viostorCDDB, viostorSvc} {
		_, err := saved.OpenKey(k)
		require.ErrorIs(t, err, hive.ErrNotFound)
	}
	assert.Empty(t, saved.Check())
	before, err := hive.Parse(base, nil)
	require.NoError(t, err)
	d, err := hive.Diff(before.Root(), saved.Root(), nil)
	require.NoError(t, err)
	assert.Empty(t, d, "after removal the hive holds what it held before the slipstream")

	// A service key that is not the driver's is left alone.
	require.NoError(t, saved.SetRawValue(viostorSvc, "ImagePath", uint32(inf.RegExpandSZ), inf.EncodeSZ(`system32\drivers\other.sys`)))
	edits, err = s.RemoveRegistry(saved, nil)
	require.NoError(t, err)
	assert.Zero(t, sif.CountChanges(edits))
	_, err = saved.OpenKey(viostorSvc)
	require.NoError(t, err)

	_, err = s.ApplyRegistry(inf.NewMemRegistry(), &inf.ApplyOptions{Roots: map[string]string{"HKCU": ""}})
	require.ErrorIs(t, err, sif.ErrInvalid, "a mapping that covers nothing is refused")
}

// TestBuildSetupHive is issue 6 acceptance 4: ReactOS' hivesys.inf, a
// *_reg.inf and setupreg.inf give a setup hive in under a second, holding
// exactly what the same operations give an inf.MemRegistry, and read by the
// external tools.
func TestBuildSetupHive(t *testing.T) {
	docs := reactosDocs(t, "hivesys.inf", "buslogic_reg.inf", "setupreg.inf")
	start := time.Now()
	h, rep, err := sif.BuildSetupHive(nil, docs...)
	require.NoError(t, err)
	p := filepath.Join(t.TempDir(), "SETUPREG.HIV")
	require.NoError(t, sif.SaveHive(h, p, 0))
	elapsed := time.Since(start)
	t.Logf("built and saved in %v (%d lines)", elapsed, len(rep.Ops))
	assert.Less(t, elapsed, time.Second)
	assert.Zero(t, rep.Count(inf.OutcomeUnmapped))
	assert.Empty(t, h.Check())
	assert.Equal(t, sif.DefaultSetupHiveRoot, h.Root().Name())
	major, minor := h.Version()
	assert.Equal(t, [2]uint32{1, 3}, [2]uint32{major, minor})
	integration.HiveTools(t, p)

	mem := inf.NewMemRegistry()
	require.NoError(t, mem.CreateKey("ControlSet001"))
	_, err = inf.ApplyHiveINF(mem, &inf.ApplyOptions{Roots: sif.SetupHiveRoots()}, docs...)
	require.NoError(t, err)
	reopened, err := hive.Open(p, nil)
	require.NoError(t, err)
	keys, values := integration.SameAsMem(t, mem, reopened)
	t.Logf("%d keys and %d values compared", keys, values)

	// Every AddReg line on its own, decoded by the test: a plain value
	// holds the data of its last line, unless setupreg.inf deleted its key.
	var deleted []string
	dels, err := docs[2].RegOps("DelReg", true)
	require.NoError(t, err)
	for _, op := range dels {
		deleted = append(deleted, strings.ToLower(mapCCS(op.Subkey))+`\`)
	}
	under := func(path string) bool {
		for _, d := range deleted {
			if strings.HasPrefix(strings.ToLower(path)+`\`, d) {
				return true
			}
		}
		return false
	}
	checked, gone := 0, 0
	for _, d := range docs[:2] {
		ops, err := d.RegOps("AddReg", false)
		require.NoError(t, err)
		for _, op := range ops {
			if op.Kind != inf.OpSetValue || op.NoClobber() || op.OverwriteOnly() || laterSets(ops, op) {
				continue
			}
			path := mapCCS(op.Subkey)
			typ, data, ok, err := reopened.RawValue(path, op.ValueName)
			require.NoError(t, err)
			if under(path) {
				assert.False(t, ok, "line %d: setupreg.inf deleted %s", op.Line.Number(), path)
				gone++
				continue
			}
			require.True(t, ok, "line %d: %s", op.Line.Number(), op)
			assert.True(t, typ == uint32(op.Type) && bytes.Equal(data, op.Data), "line %d: %s", op.Line.Number(), op)
			checked++
		}
	}
	t.Logf("%d values checked line by line, %d deleted by setupreg.inf", checked, gone)
	assert.Greater(t, checked, 1000)
	assert.Greater(t, gone, 20)
}

// mapCCS maps a SYSTEM\... subkey onto the setup hive.
func mapCCS(subkey string) string {
	p := strings.TrimPrefix(subkey, `SYSTEM\`)
	if rest, ok := strings.CutPrefix(p, `CurrentControlSet\`); ok {
		return `ControlSet001\` + rest
	}
	return p
}

// laterSets reports whether a later line of ops writes the same value.
func laterSets(ops []inf.RegOp, op inf.RegOp) bool {
	after := false
	for _, o := range ops {
		if o.Line == op.Line {
			after = true
			continue
		}
		if after && strings.EqualFold(o.Subkey, op.Subkey) && strings.EqualFold(o.ValueName, op.ValueName) && o.Kind != inf.OpIgnore {
			return true
		}
	}
	return false
}
