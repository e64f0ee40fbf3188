package bcd_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/winbootkit/winbootkit/bcd"
	"github.com/winbootkit/winbootkit/hive"
	"github.com/winbootkit/winbootkit/internal/atomicfile"
	"github.com/winbootkit/winbootkit/internal/testutil"
)

// Acceptance 1: every fixture store opens and every element decodes to a
// typed value; in the pristine bcdedit store every element also has a
// bcdedit name.
func TestFixturesDecode(t *testing.T) {
	for _, p := range testutil.Fixtures(t, "bcd", "*.bcd") {
		t.Run(filepath.Base(p), func(t *testing.T) {
			s, err := bcd.Open(p, nil)
			require.NoError(t, err)
			assert.Empty(t, s.Check())
			n := 0
			for _, o := range objects(t, s) {
				assert.NotZero(t, o.Type(), "object %v", o.ID())
				els, err := o.Elements()
				require.NoError(t, err)
				for _, e := range els {
					n++
					require.NoError(t, e.Err, "%v %s", o.ID(), e.Type.KeyName())
					_, raw := e.Value.(bcd.Raw)
					assert.False(t, raw, "%v %s left raw", o.ID(), e.Type.KeyName())
					assert.Equal(t, e.Type.Format(), e.Value.Format())
					if filepath.Base(p) == filepath.Base(ntloader3) {
						name := bcd.FriendlyName(o.Type(), e.Type)
						assert.False(t, strings.HasPrefix(name, "custom:"), "%v %s has no bcdedit name", o.ID(), e.Type.KeyName())
						assert.NotEmpty(t, e.Type.Name(o.Type())+name)
					}
				}
			}
			if !strings.Contains(p, "empty") {
				assert.Positive(t, n)
			}
		})
	}
}

// Parse then Bytes without edits gives the file back.
func TestUneditedRoundTrip(t *testing.T) {
	for _, p := range testutil.Fixtures(t, "bcd", "*.bcd") {
		in, err := os.ReadFile(p)
		require.NoError(t, err)
		s, err := bcd.Parse(in, nil)
		require.NoError(t, err)
		_, err = s.Objects()
		require.NoError(t, err)
		testutil.EqualBytes(t, in, s.Bytes())
		var buf bytes.Buffer
		_, err = s.WriteTo(&buf)
		require.NoError(t, err)
		testutil.EqualBytes(t, in, buf.Bytes())
	}
}

// The security descriptors New writes are the ones bcdedit wrote into the
// fixture: root and Description share one, Objects and below the other.
func TestStoreSecurityFromFixture(t *testing.T) {
	h := openFixture(t, ntloader3).Hive()
	sd := func(path string) []byte {
		k, err := h.OpenKey(path)
		require.NoError(t, err)
		b, err := k.Security()
		require.NoError(t, err)
		return b
	}
	root, objs := bcd.StoreSecurity()
	testutil.EqualBytes(t, sd(""), root)
	testutil.EqualBytes(t, sd("Description"), root)
	testutil.EqualBytes(t, sd("Objects"), objs)
	testutil.EqualBytes(t, sd(`Objects\{9dea862c-5cdd-4e70-acc1-f32b344d4795}\Elements`), objs)
}

// Acceptance 4: a new store has bcdedit's structure, compared with the
// empty template and the bcdedit-made store.
func TestNewStoreStructure(t *testing.T) {
	s, err := bcd.New(nil)
	require.NoError(t, err)
	// Give it objects, so that subkey lists of every level exist.
	_, err = s.AddWinPE(nil)
	require.NoError(t, err)
	got := s.Bytes()
	require.Empty(t, s.Hive().Check())
	require.Empty(t, s.Check())

	type shape struct {
		major, minor uint32
		rootName     string
		rootFlags    uint16
		keyName      string
		keyNameType  hive.ValueType
		lists        []string // list cell signatures present
		sk           int
	}
	shapeOf := func(b []byte) shape {
		h, err := hive.Parse(b, nil)
		require.NoError(t, err)
		maj, min := h.Version()
		typ, data, ok, err := h.RawValue("Description", "KeyName")
		require.NoError(t, err)
		require.True(t, ok)
		counts := cellCounts(t, b)
		var lists []string
		for _, sig := range []string{"lf", "lh", "li", "ri"} {
			if counts[sig] > 0 {
				lists = append(lists, sig)
			}
		}
		_, err = h.OpenKey("Objects")
		require.NoError(t, err)
		return shape{maj, min, h.Root().Name(), h.Root().Flags(), hive.DecodeString(data), hive.ValueType(typ), lists, counts["sk"]}
	}
	ours := shapeOf(got)
	full := shapeOf(testutil.ReadFixture(t, ntloader3))
	empty := shapeOf(testutil.ReadFixture(t, template))
	assert.Equal(t, full, ours)
	// The empty template has no objects, so only its root and Objects levels have lists.
	empty.lists = full.lists
	assert.Equal(t, empty, ours)
	assert.Equal(t, []string{"lf"}, ours.lists)
	assert.Equal(t, 2, ours.sk)

	// Element keys are 8 lower-case hex digits, object keys lower-case GUIDs.
	for k := range elementValues(t, s.Hive()) {
		id, el, _ := strings.Cut(k, `\`)
		_, err := bcd.ParseGUID(id)
		require.NoError(t, err)
		require.Len(t, el, 8)
	}
	objs, err := s.Hive().OpenKey("Objects")
	require.NoError(t, err)
	names, err := objs.SubkeyNames()
	require.NoError(t, err)
	require.NotEmpty(t, names)
	for _, n := range names {
		assert.Equal(t, strings.ToLower(n), n)
		o, err := objs.Subkey(n)
		require.NoError(t, err)
		els, err := o.Subkey("Elements")
		require.NoError(t, err)
		en, err := els.SubkeyNames()
		require.NoError(t, err)
		for _, e := range en {
			assert.Equal(t, strings.ToLower(e), e)
		}
	}
	validateTools(t, saveTemp(t, s))
}

// Save goes through atomicfile: a failed write leaves the old file and no
// temporary file.
func TestSaveAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "BCD")
	orig := testutil.ReadFixture(t, ntloader3)
	require.NoError(t, os.WriteFile(p, orig, 0o600))
	s, err := bcd.Open(p, nil)
	require.NoError(t, err)
	bm, err := s.Lookup("{bootmgr}")
	require.NoError(t, err)
	require.NoError(t, bm.Set(bcd.ElemTimeout, bcd.Integer(30)))
	requireFailedSaves(t, p, orig, s.Save)
	require.NoError(t, s.Save(p))
	s2, err := bcd.Open(p, nil)
	require.NoError(t, err)
	bm2, err := s2.Lookup("{bootmgr}")
	require.NoError(t, err)
	v, err := bm2.Get(bcd.ElemTimeout)
	require.NoError(t, err)
	assert.Equal(t, bcd.Integer(30), v)
}

// requireFailedSaves makes save(p) fail after 0, 1, 4096 and all but one
// byte of orig (the content of p, alone in its directory): each failure is
// ErrInjected and leaves p byte-identical and no temporary file.
func requireFailedSaves(t *testing.T, p string, orig []byte, save func(string) error) {
	t.Helper()
	for _, after := range []int64{0, 1, 4096, int64(len(orig)) - 1} {
		restore := atomicfile.FailAfter(after)
		err := save(p)
		restore()
		require.ErrorIs(t, err, atomicfile.ErrInjected)
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		testutil.EqualBytes(t, orig, b)
		ents, err := os.ReadDir(filepath.Dir(p))
		require.NoError(t, err)
		require.Len(t, ents, 1, "temporary file left behind")
	}
}

// Every save of a Store (Save, SaveMode) goes through internal/atomicfile:
// a write failing part-way leaves the file it replaces byte-identical,
// creates nothing where there was no file, and leaves no temporary file.
func TestStoreSaveFailures(t *testing.T) {
	s, _, err := bcd.NewWinPEStore(nil, nil)
	require.NoError(t, err)
	orig := s.Bytes()
	bm, err := s.Lookup("{bootmgr}")
	require.NoError(t, err)
	require.NoError(t, bm.Set(bcd.ElemTimeout, bcd.Integer(30)))
	saves := map[string]func(p string) error{
		"Save":     s.Save,
		"SaveMode": func(p string) error { return s.SaveMode(p, 0o600) },
	}
	for name, save := range saves {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "BCD")
			require.NoError(t, os.WriteFile(p, orig, 0o644))
			requireFailedSaves(t, p, orig, save)
			// A new file: nothing is created.
			restore := atomicfile.FailAfter(100)
			err := save(filepath.Join(dir, "NEW"))
			restore()
			require.ErrorIs(t, err, atomicfile.ErrInjected)
			ents, err := os.ReadDir(dir)
			require.NoError(t, err)
			require.Len(t, ents, 1, "a failed save of a new file left something")
			// Without the fault the save goes through.
			require.NoError(t, save(p))
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			testutil.EqualBytes(t, s.Bytes(), b)
		})
	}
}

// Lookup by GUID, alias and {default}.
func TestLookup(t *testing.T) {
	s := openFixture(t, ntloader3)
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"{bootmgr}", "{9dea862c-5cdd-4e70-acc1-f32b344d4795}"},
		{"{BOOTMGR}", "{9dea862c-5cdd-4e70-acc1-f32b344d4795}"},
		{"{ramdiskoptions}", "{ae5534e0-a924-466c-b836-758539a3ee3a}"},
		{"{globalsettings}", "{7ea2e1ac-2e61-4728-aaa3-896d9d0a9f0e}"},
		{"{bootloadersettings}", "{6efb52bf-1766-41db-a6b3-0ee5eff72bd7}"},
		{"{resumeloadersettings}", "{1afa9c49-16ab-4a5c-901b-212802da9460}"},
		{"{19260817-6666-8888-ABCD-000000000002}", "{19260817-6666-8888-abcd-000000000002}"},
	} {
		o, err := s.Lookup(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, o.ID().String())
	}
	// {default} goes through {bootmgr}'s default element.
	bm, err := s.Object(bcd.BootMgr)
	require.NoError(t, err)
	def, err := bm.Get(bcd.ElemDefault)
	require.NoError(t, err)
	o, err := s.Lookup("{default}")
	require.NoError(t, err)
	assert.Equal(t, def, o.ID())

	for _, w := range []struct{ alias, guid string }{
		{"{fwbootmgr}", "{a5a30fa2-3d06-4e9f-b5f4-a01df9d1fcba}"},
		{"{memdiag}", "{b2721d73-1db4-4c62-bf78-c548a880142d}"},
		{"{ntldr}", "{466f5a88-0af2-4f76-9038-095b170dc21c}"},
		{"{dbgsettings}", "{4636856e-540f-4170-a130-a84776f4c654}"},
		{"{emssettings}", "{0ce4991b-e6b3-4b16-b23c-5e0d9250e5d9}"},
		{"{badmemory}", "{5189b25c-5558-4bf2-bca4-289b11bd29e2}"},
		{"{hypervisorsettings}", "{7ff607e0-4395-11db-b0de-0800200c9a66}"},
	} {
		g, err := bcd.ParseID(w.alias)
		require.NoError(t, err)
		assert.Equal(t, w.guid, g.String())
		assert.Equal(t, w.alias, bcd.Alias(g))
	}
}

// Bad identifiers and missing objects are typed errors naming the argument.
func TestLookupErrors(t *testing.T) {
	s := openFixture(t, ntloader3)
	for _, tc := range []struct {
		in   string
		want error
	}{
		{"{nosuchalias}", bcd.ErrInvalidID},
		{"bootmgr", bcd.ErrInvalidID},
		{"{9dea862c-5cdd-4e70-acc1-f32b344d479}", bcd.ErrInvalidID},
		{"{9dea862c-5cdd-4e70-acc1-f32b344d479x}", bcd.ErrInvalidID},
		{"{current}", bcd.ErrInvalidID},
		{"{00000000-0000-0000-0000-000000000001}", bcd.ErrNotFound},
		{"{memdiag}", bcd.ErrNotFound},
	} {
		_, err := s.Lookup(tc.in)
		require.ErrorIs(t, err, tc.want, tc.in)
		var ae *bcd.ArgError
		require.ErrorAs(t, err, &ae, tc.in)
		assert.Equal(t, "identifier", ae.Kind)
		assert.Contains(t, ae.Error(), ae.Arg)
	}
	empty := openFixture(t, template)
	_, err := empty.Lookup("{default}")
	require.ErrorIs(t, err, bcd.ErrNotFound)
}

// Create with a given or random GUID and every object type; delete with
// and without cleanup.
func TestCreateDelete(t *testing.T) {
	s, err := bcd.New(nil)
	require.NoError(t, err)
	for _, name := range []string{"osloader", "resume", "startup", "bootsector", "fwbootmgr", "bootmgr", "memdiag", "ntldr", "setup"} {
		typ, err := bcd.ApplicationType(strings.ToUpper(name))
		require.NoError(t, err)
		o, err := s.Create(bcd.GUID{}, typ)
		require.NoError(t, err)
		assert.Equal(t, name, o.Type().String())
		assert.True(t, o.Type().IsApplication())
	}
	for _, name := range []string{"", "osloader", "device"} {
		typ, err := bcd.InheritType(name)
		require.NoError(t, err)
		o, err := s.Create(bcd.GUID{}, typ)
		require.NoError(t, err)
		assert.True(t, o.Type().IsInherit())
	}
	dev, err := s.Create(bcd.RamdiskOptions, bcd.TypeDevice)
	require.NoError(t, err)
	assert.True(t, dev.Type().IsDevice())
	_, err = s.Create(bcd.RamdiskOptions, bcd.TypeDevice)
	require.ErrorIs(t, err, bcd.ErrExists)
	_, err = s.Create(bcd.GUID{}, 0x40000000)
	require.ErrorIs(t, err, bcd.ErrInvalid)
	_, err = s.Create(bcd.Default, bcd.TypeOSLoader)
	require.ErrorIs(t, err, bcd.ErrInvalidID)
	_, err = bcd.ApplicationType("winload")
	require.ErrorIs(t, err, bcd.ErrValueType)

	given := bcd.MustParseGUID("{12345678-1234-1234-1234-123456789abc}")
	ld, err := s.Create(given, bcd.TypeOSLoader)
	require.NoError(t, err)
	assert.Equal(t, given, ld.ID())
	bm, err := s.Create(bcd.BootMgr, bcd.TypeBootMgr)
	require.NoError(t, err)
	other := bcd.NewGUID()
	require.NoError(t, bm.Set(bcd.ElemDisplayOrder, bcd.ObjectList{other, given}))
	require.NoError(t, bm.Set(bcd.ElemToolsOrder, bcd.ObjectList{given}))
	require.NoError(t, bm.Set(bcd.ElemBootSequence, bcd.ObjectList{given, other}))
	require.NoError(t, bm.Set(bcd.ElemDefault, given))
	require.NoError(t, bm.Set(bcd.ElemTimeout, bcd.Integer(5)))

	// Without cleanup the references stay.
	cp, err := s.Copy(given, bcd.GUID{})
	require.NoError(t, err)
	require.NoError(t, s.Delete(cp.ID(), nil))
	_, err = s.Object(cp.ID())
	require.ErrorIs(t, err, bcd.ErrNotFound)

	require.NoError(t, s.Delete(given, &bcd.DeleteOptions{Cleanup: true}))
	get := func(t bcd.ElementType) bcd.Value {
		v, _ := bm.Get(t)
		return v
	}
	assert.Equal(t, bcd.ObjectList{other}, get(bcd.ElemDisplayOrder))
	assert.Equal(t, bcd.ObjectList{}, get(bcd.ElemToolsOrder))
	assert.Equal(t, bcd.ObjectList{other}, get(bcd.ElemBootSequence))
	assert.Nil(t, get(bcd.ElemDefault))
	assert.Equal(t, bcd.Integer(5), get(bcd.ElemTimeout))
	require.ErrorIs(t, s.Delete(given, nil), bcd.ErrNotFound)
	require.Empty(t, s.Hive().Check())
	// An empty object list is stored as a single NUL character, as bcdedit does.
	rtyp, data, ok, err := s.Hive().RawValue(`Objects\`+bcd.BootMgr.String()+`\Elements\24000010`, "Element")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, hive.MultiString, hive.ValueType(rtyp))
	assert.Equal(t, []byte{0, 0}, data)
}

// Acceptance 5: editing a fixture store (timeout, new osloader, delete
// with cleanup, device change) leaves every other element byte-identical.
func TestEditFixtureKeepsOtherElements(t *testing.T) {
	in := testutil.ReadFixture(t, ntloader3)
	s, err := bcd.Parse(in, nil)
	require.NoError(t, err)
	before := elementValues(t, s.Hive())

	bm, err := s.Lookup("{bootmgr}")
	require.NoError(t, err)
	require.NoError(t, bm.Set(bcd.ElemTimeout, bcd.Integer(42)))

	added, err := s.Create(bcd.GUID{}, bcd.TypeOSLoader)
	require.NoError(t, err)
	require.NoError(t, added.Set(bcd.ElemDescription, bcd.String("added")))
	require.NoError(t, added.Set(bcd.ElemDevice, &bcd.Device{Kind: bcd.DeviceBoot}))

	// The default loader: deleting it with cleanup removes {bootmgr}'s
	// default element and its displayorder entry.
	victim, err := s.Lookup("{default}")
	require.NoError(t, err)
	require.NoError(t, s.Delete(victim.ID(), &bcd.DeleteOptions{Cleanup: true}))

	// Change the osdevice of the VHD loader to another partition.
	vhd, err := s.Lookup("{19260817-6666-8888-abcd-000000000001}")
	require.NoError(t, err)
	v, err := vhd.Get(bcd.ElemOSDevice)
	require.NoError(t, err)
	d := v.(*bcd.Device)
	d.Parent.Partition.Offset += 1 << 20
	require.NoError(t, vhd.Set(bcd.ElemOSDevice, d))

	// Round trip through the file.
	s2, err := bcd.Parse(s.Bytes(), nil)
	require.NoError(t, err)
	require.Empty(t, s2.Check())
	after := elementValues(t, s2.Hive())

	changed := map[string]bool{
		bm.ID().String() + `\25000004`:                    true, // timeout
		bm.ID().String() + `\23000003`:                    true, // default (deleted)
		bm.ID().String() + `\24000001`:                    true, // displayorder
		`{19260817-6666-8888-abcd-000000000001}\21000001`: true, // osdevice
	}
	for _, k := range sortedKeys(before) {
		id, _, _ := strings.Cut(k, `\`)
		if id == victim.ID().String() || changed[k] {
			continue
		}
		require.Contains(t, after, k)
		assert.Equal(t, before[k], after[k], k)
	}
	for _, k := range sortedKeys(after) {
		id, _, _ := strings.Cut(k, `\`)
		if _, ok := before[k]; !ok {
			assert.Equal(t, added.ID().String(), id, "unexpected new element %s", k)
		}
	}
	// The changed elements hold what was set.
	assert.Equal(t, regVal{hive.Binary, []byte{42, 0, 0, 0, 0, 0, 0, 0}}, after[bm.ID().String()+`\25000004`])
	assert.NotContains(t, after, bm.ID().String()+`\23000003`)
	assert.Equal(t, regVal{hive.MultiString, []byte{0, 0}}, after[bm.ID().String()+`\24000001`])
	// Only the partition offset of the osdevice changed.
	old, now := before[`{19260817-6666-8888-abcd-000000000001}\21000001`], after[`{19260817-6666-8888-abcd-000000000001}\21000001`]
	require.Len(t, now.Data, len(old.Data))
	var diff []int
	for i := range old.Data {
		if old.Data[i] != now.Data[i] {
			diff = append(diff, i)
		}
	}
	// The host partition descriptor sits at 0x76 (spec §2.5); its offset field
	// follows the 16-byte header, and adding 1 MiB changes its third byte.
	assert.Equal(t, []int{0x76 + 16 + 2}, diff, "changed bytes")
	assert.False(t, slices.Contains(objectIDs(t, s2), victim.ID()))
}

func objectIDs(t *testing.T, s *bcd.Store) []bcd.GUID {
	var ids []bcd.GUID
	for _, o := range objects(t, s) {
		ids = append(ids, o.ID())
	}
	return ids
}

// FromHive refuses a hive that is not a store.
func TestNotAStore(t *testing.T) {
	h, err := hive.New("ROOT", hive.Version13, nil)
	require.NoError(t, err)
	_, err = bcd.FromHive(h, nil)
	require.ErrorIs(t, err, bcd.ErrFormat)
	_, err = bcd.Parse([]byte("not a hive"), nil)
	require.ErrorIs(t, err, hive.ErrFormat)
}

// Limits turn hostile sizes into ErrLimit errors.
func TestLimits(t *testing.T) {
	in := testutil.ReadFixture(t, ntloader3)
	s, err := bcd.Parse(in, &bcd.Options{Limits: bcd.Limits{MaxObjects: 2}})
	require.NoError(t, err)
	_, err = s.Objects()
	require.ErrorIs(t, err, bcd.ErrLimit)

	s, err = bcd.Parse(in, &bcd.Options{Limits: bcd.Limits{MaxElements: 2, MaxElementSize: 100}})
	require.NoError(t, err)
	o, err := s.Lookup("{19260817-6666-8888-abcd-000000000000}")
	require.NoError(t, err)
	_, err = o.Elements()
	require.ErrorIs(t, err, bcd.ErrLimit)
	e, err := o.Element(bcd.ElemDevice)
	require.NoError(t, err)
	require.ErrorIs(t, e.Err, bcd.ErrLimit)
	_, err = o.Get(bcd.ElemDevice)
	require.ErrorIs(t, err, bcd.ErrLimit)

	in2 := &bcd.Interpreter{Options: &bcd.Options{Limits: bcd.Limits{MaxArgs: 3}}}
	err = in2.RunStore(s, []string{"/set", "{bootmgr}", "timeout", "1"})
	require.ErrorIs(t, err, bcd.ErrUsage)
}

// Check reports BCD-level damage as well as hive problems.
func TestStoreCheck(t *testing.T) {
	s, _, err := bcd.NewWinPEStore(nil, nil)
	require.NoError(t, err)
	require.Empty(t, s.Check())
	h := s.Hive()
	id := strings.ToUpper(bcd.NewGUID().String())
	require.NoError(t, h.CreateKey(`Objects\`+id+`\Elements`))
	require.NoError(t, h.CreateKey(`Objects\not-a-guid`))
	bm := `Objects\` + bcd.BootMgr.String()
	require.NoError(t, h.CreateKey(bm+`\Elements\2500000X`))
	require.NoError(t, h.CreateKey(bm+`\Elements\25000004`+`0`))
	require.NoError(t, h.SetRawValue(bm+`\Elements\250000C2`, "Element", uint32(hive.Binary), []byte{1}))
	require.NoError(t, h.SetRawValue(bm+`\Elements\26000020`, "Element", uint32(hive.String), []byte{1, 0}))
	require.NoError(t, h.CreateKey(bm+`\Elements\26000021`))
	require.NoError(t, h.SetRawValue(bm+`\Description`, "Type", uint32(hive.Binary), []byte{2, 0, 0x10, 0x10}))
	problems := strings.Join(s.Check(), "\n")
	for _, want := range []string{
		`Objects\` + id + `: not a lower-case braced GUID`,
		`Objects\not-a-guid: not a lower-case braced GUID`,
		`\Elements\2500000X: not 8 lower-case hex digits`,
		`\Elements\250000040: not 8 lower-case hex digits`,
		`\Elements\250000C2: not 8 lower-case hex digits`,
		`\Elements\26000020: bcd: element 26000020: boolean data of type REG_SZ`,
		`\Elements\26000021: bcd: element 26000021 has no Element value`,
		bcd.BootMgr.String() + ": bcd: object " + bcd.BootMgr.String() + " has no object type",
	} {
		assert.Contains(t, problems, want)
	}
}
