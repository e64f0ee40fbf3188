package bcd_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/bcd"
	"github.com/winbootkit/winbootkit/internal/testutil"
)

// rdiExport runs hivexregedit --export on the store b and returns each value
// as "[key] name" -> data text (continuation lines joined).
func rdiExport(t *testing.T, b []byte) map[string]string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "BCD")
	require.NoError(t, os.WriteFile(p, b, 0o644))
	return testutil.HivexExportRaw(t, p)
}

// rdiDiff returns the sorted keys whose values differ between a and b.
func rdiDiff(a, b map[string]string) []string {
	var d []string
	for k, v := range a {
		if b[k] != v {
			d = append(d, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			d = append(d, k)
		}
	}
	sort.Strings(d)
	return d
}

func rdiDeviceText(t *testing.T, o *bcd.Object, e bcd.ElementType) string {
	t.Helper()
	v, err := o.Get(e)
	require.NoError(t, err)
	d, ok := v.(*bcd.Device)
	require.True(t, ok, "%T", v)
	return d.Text(e, nil)
}

func TestSetRamdiskImageWinPEStore(t *testing.T) {
	id := bcd.MustParseGUID("{5a8f8d7c-0000-4000-8000-000000000001}")
	s, _, err := bcd.NewWinPEStore(&bcd.WinPE{ID: id}, nil)
	require.NoError(t, err)
	before := s.Bytes()

	changed, err := s.SetRamdiskImage(`\Test\TestPE.wim`)
	require.NoError(t, err)
	require.Len(t, changed, 1)
	assert.Equal(t, id, changed[0].ID())
	for _, e := range []bcd.ElementType{bcd.ElemDevice, bcd.ElemOSDevice} {
		assert.Equal(t, `ramdisk=[boot]\Test\TestPE.wim,{ramdiskoptions}`, rdiDeviceText(t, changed[0], e))
	}
	require.Empty(t, s.Check())

	// The device values are those of a store made for that WIM from the
	// start (the recipe writes what bcdedit writes), and hivexregedit sees
	// no other change.
	want, _, err := bcd.NewWinPEStore(&bcd.WinPE{ID: id, WIMPath: `\Test\TestPE.wim`}, nil)
	require.NoError(t, err)
	wo, err := want.Object(id)
	require.NoError(t, err)
	for _, e := range []bcd.ElementType{bcd.ElemDevice, bcd.ElemOSDevice} {
		a, err := changed[0].Element(e)
		require.NoError(t, err)
		b, err := wo.Element(e)
		require.NoError(t, err)
		ab, err := a.Value.(*bcd.Device).MarshalBinary()
		require.NoError(t, err)
		bb, err := b.Value.(*bcd.Device).MarshalBinary()
		require.NoError(t, err)
		testutil.EqualBytes(t, bb, ab)
	}
	loader := `[\Objects\` + id.String() + `\Elements\`
	assert.Equal(t, []string{loader + `11000001] "Element"`, loader + `21000001] "Element"`},
		rdiDiff(rdiExport(t, before), rdiExport(t, s.Bytes())))
	assert.Equal(t, rdiExport(t, want.Bytes())[loader+`11000001] "Element"`], rdiExport(t, s.Bytes())[loader+`11000001] "Element"`])

	// A second call with the same path changes nothing.
	b1 := s.Bytes()
	_, err = s.SetRamdiskImage(`\Test\TestPE.wim`, bcd.Default)
	require.NoError(t, err)
	testutil.EqualBytes(t, b1, s.Bytes())
}

func TestSetRamdiskImageKeepsParentAndOptions(t *testing.T) {
	// The bcdedit-made store of a1ive/ntloader: a ramdisk on a GPT
	// partition, with many other elements.
	s, err := bcd.Parse(testutil.ReadFixture(t, "bcd/bcd_ntloader_bcdwim.bcd"), nil)
	require.NoError(t, err)
	before := s.Bytes()
	loaders, err := s.Objects()
	require.NoError(t, err)
	var ld *bcd.Object
	for _, o := range loaders {
		if o.Type() == bcd.TypeOSLoader {
			ld = o
		}
	}
	require.NotNil(t, ld)
	v, err := ld.Get(bcd.ElemDevice)
	require.NoError(t, err)
	old := v.(*bcd.Device)

	changed, err := s.SetRamdiskImage(`\x64\boot.wim`, ld.ID())
	require.NoError(t, err)
	require.Len(t, changed, 1)
	for _, e := range []bcd.ElementType{bcd.ElemDevice, bcd.ElemOSDevice} {
		v, err := ld.Get(e)
		require.NoError(t, err)
		d := v.(*bcd.Device)
		assert.Equal(t, `\x64\boot.wim`, d.Path)
		assert.True(t, old.Parent.Equal(d.Parent), "parent kept")
		assert.Equal(t, old.Options, d.Options)
	}
	loader := `[\Objects\` + ld.ID().String() + `\Elements\`
	assert.Equal(t, []string{loader + `11000001] "Element"`, loader + `21000001] "Element"`},
		rdiDiff(rdiExport(t, before), rdiExport(t, s.Bytes())))
}

func TestSetRamdiskImageErrors(t *testing.T) {
	s, _, err := bcd.NewWinPEStore(nil, nil)
	require.NoError(t, err)
	before := s.Bytes()
	for _, p := range []string{"", `Test\TestPE.wim`, "\\a\x00b", "\\\xff.wim"} {
		_, err := s.SetRamdiskImage(p)
		require.ErrorIs(t, err, bcd.ErrDeviceSyntax, "%q", p)
		var ae *bcd.ArgError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, p, ae.Arg)
	}
	_, err = s.SetRamdiskImage(`\a.wim`, bcd.MustParseGUID("{00000000-0000-4000-8000-00000000dead}"))
	require.ErrorIs(t, err, bcd.ErrNotFound)
	// {bootmgr} and {ramdiskoptions} have no ramdisk device: nothing to do.
	_, err = s.SetRamdiskImage(`\a.wim`, bcd.BootMgr, bcd.RamdiskOptions)
	require.ErrorIs(t, err, bcd.ErrNotFound)
	testutil.EqualBytes(t, before, s.Bytes())

	empty, err := bcd.New(nil)
	require.NoError(t, err)
	_, err = empty.SetRamdiskImage(`\a.wim`)
	require.ErrorIs(t, err, bcd.ErrNotFound)
}

// A second WinPE image on the same PXE server: a copy of the store whose
// entry boots \Test\TestPE.wim instead of \sources\boot.wim.
func ExampleStore_SetRamdiskImage() {
	s, _, err := bcd.NewWinPEStore(&bcd.WinPE{ID: bcd.MustParseGUID("{5a8f8d7c-0000-4000-8000-000000000001}")}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	changed, err := s.SetRamdiskImage(`\Test\TestPE.wim`)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, o := range changed {
		v, _ := o.Get(bcd.ElemOSDevice)
		fmt.Println(o.ID(), v.(*bcd.Device).Text(bcd.ElemOSDevice, nil))
	}
	// Output:
	// {5a8f8d7c-0000-4000-8000-000000000001} ramdisk=[boot]\Test\TestPE.wim,{ramdiskoptions}
}
