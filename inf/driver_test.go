package inf_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/inf"
	"github.com/winbootkit/winbootkit/internal/testutil"
)

func parseFixture(t *testing.T, rel string) *inf.Document {
	t.Helper()
	d, err := inf.Parse(testutil.ReadFixture(t, rel), optsFor(rel))
	require.NoError(t, err)
	return d
}

func mustOS(t *testing.T, arch, ver string) inf.OS {
	t.Helper()
	o, err := inf.ParseOS(arch, ver)
	require.NoError(t, err)
	return o
}

// virtioStamp is how the virtio-win build stamps its INX files (with the
// vendor ID and drivers directory the issue gives).
func virtioStamp(arch inf.Arch) inf.StampOptions {
	return inf.StampOptions{Arch: arch, Placeholders: map[string]string{
		"INX_SUBSYS_VENDOR_ID":     "1AF4",
		"INX_PLATFORM_DRIVERS_DIR": "12",
	}}
}

// oemHardwareIDs reads the hardware IDs txtsetup.oem lists for a service:
// an independent source for the IDs the stamped INX must produce.
func oemHardwareIDs(t *testing.T, service string) []string {
	t.Helper()
	re := regexp.MustCompile(`id\s*=\s*"([^"]+)"\s*,\s*"` + service + `"`)
	var out []string
	for _, m := range re.FindAllStringSubmatch(string(testutil.ReadFixture(t, "inf/virtio-win/txtsetup.oem")), -1) {
		out = append(out, m[1])
	}
	require.NotEmpty(t, out)
	return out
}

func TestDriverVirtioStamped(t *testing.T) {
	for _, tc := range []struct {
		file, service, dev, modern string
	}{
		{"inf/virtio-win/viostor.inx", "viostor", "1001", `PCI\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01`},
		{"inf/virtio-win/vioscsi.inx", "vioscsi", "1004", `PCI\VEN_1AF4&DEV_1048&SUBSYS_11001AF4&REV_01`},
	} {
		for _, arch := range []inf.Arch{inf.X86, inf.AMD64} {
			t.Run(tc.service+"/"+string(arch), func(t *testing.T) {
				d := parseFixture(t, tc.file)
				require.NoError(t, d.Stamp(virtioStamp(arch)))
				assert.NotContains(t, string(d.Bytes()), "$ARCH$")
				assert.NotContains(t, string(d.Bytes()), "INX_SUBSYS_VENDOR_ID")
				dr, err := d.Driver(mustOS(t, string(arch), "10.0.19041"))
				require.NoError(t, err)
				assert.Equal(t, "SCSIAdapter", dr.Version.Class)
				assert.Equal(t, "{4D36E97B-E325-11CE-BFC1-08002BE10318}", dr.Version.ClassGUID)
				require.Len(t, dr.Services, 1)
				sv := dr.Services[0]
				assert.Equal(t, tc.service, sv.Name)
				assert.Equal(t, inf.StartBoot, sv.StartType)
				assert.Equal(t, inf.ServiceKernelDriver, sv.ServiceType)
				assert.Equal(t, inf.ErrorNormal, sv.ErrorControl)
				assert.Equal(t, `%12%\`+tc.service+".sys", sv.ServiceBinary)
				assert.Equal(t, "SCSI miniport", sv.LoadOrderGroup)
				assert.Equal(t, uint32(inf.AddServiceAssoc), sv.Flags)
				ids := dr.HardwareIDs()
				for _, id := range oemHardwareIDs(t, tc.service) {
					assert.Contains(t, ids, id, "txtsetup.oem's ID is among the INF's")
				}
				assert.Contains(t, ids, tc.modern)
				assert.Contains(t, ids, `PCI\VEN_1AF4&DEV_`+tc.dev)
				assert.Len(t, ids, 4)
				require.Len(t, dr.Manufacturers, 1)
				assert.True(t, strings.HasSuffix(dr.Manufacturers[0].Section, ".NT"+string(arch)))
				require.Len(t, dr.Files, 1)
				assert.Equal(t, tc.service+".sys", dr.Files[0].Name)
				assert.Equal(t, 12, dr.Files[0].DirID)
				assert.True(t, dr.Files[0].Listed)
				assert.Equal(t, tc.service+".cat", dr.Catalog)

				// The other architecture sees no device in this stamping.
				other := inf.AMD64
				if arch == inf.AMD64 {
					other = inf.X86
				}
				dr2, err := d.Driver(mustOS(t, string(other), "10.0.19041"))
				require.NoError(t, err)
				assert.Empty(t, dr2.HardwareIDs())
			})
		}
	}
}

func TestDriverLSI(t *testing.T) {
	d := parseFixture(t, "inf/wds/lsi_u3.inf")
	// Unstamped, NT$ARCH$ is not a valid decoration.
	dr, err := d.Driver(mustOS(t, "amd64", "10.0.19041"))
	require.NoError(t, err)
	assert.Empty(t, dr.Devices)
	assert.True(t, hasWarning(dr.Warnings, "bad-decoration"))

	for _, arch := range []inf.Arch{inf.X86, inf.AMD64} {
		d := parseFixture(t, "inf/wds/lsi_u3.inf")
		require.NoError(t, d.Stamp(inf.StampOptions{Arch: arch}))
		dr, err := d.Driver(mustOS(t, string(arch), "6.1.7601"))
		require.NoError(t, err)
		assert.Equal(t, "SCSIAdapter", dr.Version.Class)
		assert.Equal(t, []string{`PCI\VEN_1000&DEV_0020`, `PCI\VEN_1000&DEV_0021`}, dr.HardwareIDs())
		require.Len(t, dr.Services, 1)
		assert.Equal(t, "LSI_U3", dr.Services[0].Name)
		assert.Equal(t, inf.StartBoot, dr.Services[0].StartType)
		assert.Equal(t, []string{"pnpsafe_pci_addreg", "bus_type_scsi"}, dr.Services[0].AddReg)
		assert.Equal(t, "LSI Ultra3 PCI SCSI Adapter; 53C1010-33 (StorPort)", dr.Devices[0].Description)
		require.NotNil(t, dr.Devices[0].Install)
		assert.Equal(t, []string{"LegacyScsiportValues"}, dr.Devices[0].Install.HWDelReg)
		assert.Equal(t, inf.DriverVer{Date: inf.Date{Year: 2008, Month: 6, Day: 12}, Version: inf.DriverVersion{5, 9, 10, 4}, HasVersion: true}, dr.Version.DriverVer)

		del, err := d.RegOps("LegacyScsiportValues", true)
		require.NoError(t, err)
		require.Len(t, del, 3)
		assert.Equal(t, inf.OpDeleteValue, del[0].Kind)
		assert.Equal(t, "BusNumber", del[0].ValueName)
	}
}

func hasWarning(ws []inf.Warning, code string) bool {
	for _, w := range ws {
		if w.Code == code {
			return true
		}
	}
	return false
}

func TestDriverToastpkgDecorations(t *testing.T) {
	d := parseFixture(t, "inf/wds/toastpkg.inf")
	m := d.Manufacturers()
	require.Len(t, m, 1)
	assert.Equal(t, "Toast'R'Us", m[0].Name)

	sec, target, ok := m[0].Select(mustOS(t, "amd64", "10.0.16299"))
	require.True(t, ok)
	assert.Equal(t, "ToastRUs.NTamd64.10.0...16299", sec)
	assert.Equal(t, uint32(16299), target.Build)
	dr, err := d.Driver(mustOS(t, "amd64", "10.0.16299"))
	require.NoError(t, err)
	assert.Equal(t, []string{`{b85b7c50-6a01-11d2-b841-00c04fad5171}\MsToaster`}, dr.HardwareIDs())
	require.Len(t, dr.Services, 1)
	assert.Equal(t, inf.StartDemand, dr.Services[0].StartType)
	assert.Equal(t, "Toaster_Device.NT", dr.Devices[0].Install.Name)
	assert.Equal(t, 13, dr.Files[0].DirID)

	// A later build still selects it; an earlier one (15063) does not.
	_, _, ok = m[0].Select(mustOS(t, "amd64", "10.0.19041"))
	assert.True(t, ok)
	_, _, ok = m[0].Select(mustOS(t, "amd64", "10.0.15063"))
	assert.False(t, ok)
	dr, err = d.Driver(mustOS(t, "amd64", "10.0.15063"))
	require.NoError(t, err)
	assert.Empty(t, dr.Devices)
	// A newer major version ignores the build number.
	_, _, ok = m[0].Select(mustOS(t, "amd64", "11.0.100"))
	assert.True(t, ok)
}

func TestTargetOSSelection(t *testing.T) {
	src := "[Version]\nSignature=$Windows NT$\n[Manufacturer]\n" +
		"ACME=Models,NTx86,NTamd64,NTamd64.6.1,NTamd64.10.0,NTamd64.10.0...19041,NTamd64.6.3.3,NT.6.0,NTarm64.10.0...0x80,NT$ARCH$\n"
	d, err := inf.Parse([]byte(src), nil)
	require.NoError(t, err)
	m := d.Manufacturers()[0]
	assert.Equal(t, []string{"NT$ARCH$"}, m.Invalid)
	for _, tc := range []struct {
		os    inf.OS
		want  string
		found bool
	}{
		{inf.OS{Arch: inf.AMD64, Major: 6, Minor: 0}, "Models.NT.6.0", true},
		{inf.OS{Arch: inf.AMD64, Major: 6, Minor: 1, Build: 7601}, "Models.NTamd64.6.1", true},
		{inf.OS{Arch: inf.AMD64, Major: 6, Minor: 3}, "Models.NTamd64.6.1", true},
		{inf.OS{Arch: inf.AMD64, Major: 6, Minor: 3, ProductType: inf.ProductServer}, "Models.NTamd64.6.3.3", true},
		{inf.OS{Arch: inf.AMD64, Major: 10, Build: 17763}, "Models.NTamd64.10.0", true},
		{inf.OS{Arch: inf.AMD64, Major: 10, Build: 19041}, "Models.NTamd64.10.0...19041", true},
		{inf.OS{Arch: inf.AMD64, Major: 5, Minor: 2}, "Models.NTamd64", true},
		{inf.OS{Arch: inf.X86, Major: 5, Minor: 1}, "Models.NTx86", true},
		{inf.OS{Arch: inf.X86, Major: 10}, "Models.NT.6.0", true},
		{inf.OS{Arch: inf.ARM64, Major: 10, Build: 22000}, "Models.NTarm64.10.0...0x80", true}, // build 0x80
		{inf.OS{Arch: inf.ARM64, Major: 6, Minor: 2}, "Models.NT.6.0", true},
		{inf.OS{Arch: inf.ARM64, Major: 5, Minor: 1}, "", false},
	} {
		got, _, ok := m.Select(tc.os)
		assert.Equal(t, tc.found, ok, "%v", tc.os)
		assert.Equal(t, tc.want, got, "%v", tc.os)
	}
	// An undecorated manufacturer applies on x86 only.
	d, err = inf.Parse([]byte("[Manufacturer]\nGeneric\n"), nil)
	require.NoError(t, err)
	g := d.Manufacturers()[0]
	sec, _, ok := g.Select(inf.OS{Arch: inf.X86, Major: 10})
	assert.True(t, ok)
	assert.Equal(t, "Generic", sec)
	_, _, ok = g.Select(inf.OS{Arch: inf.AMD64, Major: 10})
	assert.False(t, ok)
}

func TestParseTargetOS(t *testing.T) {
	tests := []struct {
		in      string
		want    inf.TargetOS
		wantErr bool
	}{
		{in: "NTamd64", want: inf.TargetOS{Raw: "NTamd64", Arch: inf.AMD64}},
		{in: "nt", want: inf.TargetOS{Raw: "nt"}},
		{in: "NTx86.6.1", want: inf.TargetOS{Raw: "NTx86.6.1", Arch: inf.X86, Major: 6, Minor: 1, HasMajor: true, HasMinor: true}},
		{in: "NTx86....0x80", want: inf.TargetOS{Raw: "NTx86....0x80", Arch: inf.X86, SuiteMask: 0x80, HasSuiteMask: true}},
		{in: "NTamd64.10.0...16299", want: inf.TargetOS{Raw: "NTamd64.10.0...16299", Arch: inf.AMD64, Major: 10, HasMajor: true, HasMinor: true, Build: 16299, HasBuild: true}},
		{in: "NTarm64.10.0.1", want: inf.TargetOS{Raw: "NTarm64.10.0.1", Arch: inf.ARM64, Major: 10, HasMajor: true, HasMinor: true, ProductType: 1, HasProductType: true}},
		{in: "Win10", wantErr: true},
		{in: "NTmips", wantErr: true},
		{in: "NT.x.1", wantErr: true},
		{in: "NT.1.2.3.4.5.6", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := inf.ParseTargetOS(tc.in)
			if tc.wantErr {
				require.ErrorIs(t, err, inf.ErrValue)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestDriverVer(t *testing.T) {
	tests := []struct {
		name    string
		fields  []string
		want    inf.DriverVer
		wantErr bool
	}{
		{"date and version", []string{"06/21/2006", "6.1.7600.16385"}, inf.DriverVer{inf.Date{2006, 6, 21}, inf.DriverVersion{6, 1, 7600, 16385}, true}, false},
		{"dashes", []string{"06-21-2006"}, inf.DriverVer{Date: inf.Date{2006, 6, 21}}, false},
		{"short parts", []string{"1/2/2008", "1.0"}, inf.DriverVer{inf.Date{2008, 1, 2}, inf.DriverVersion{1, 0, 0, 0}, true}, false},
		{"leap day", []string{"02/29/2024"}, inf.DriverVer{Date: inf.Date{2024, 2, 29}}, false},
		{"not leap", []string{"02/29/2023"}, inf.DriverVer{}, true},
		{"month 13", []string{"13/01/2020"}, inf.DriverVer{}, true},
		{"two-digit year", []string{"01/01/20"}, inf.DriverVer{}, true},
		{"65535", []string{"01/01/2020", "1.65535.0.0"}, inf.DriverVer{}, true},
		{"65534", []string{"01/01/2020", "65534.0.0.0"}, inf.DriverVer{inf.Date{2020, 1, 1}, inf.DriverVersion{65534}, true}, false},
		{"five parts", []string{"01/01/2020", "1.2.3.4.5"}, inf.DriverVer{}, true},
		{"garbage", []string{"tomorrow"}, inf.DriverVer{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := inf.ParseDriverVer(tc.fields...)
			if tc.wantErr {
				require.ErrorIs(t, err, inf.ErrValue)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	a, _ := inf.ParseDriverVer("01/01/2020", "2.0.0.0")
	b, _ := inf.ParseDriverVer("01/02/2020", "1.0.0.0")
	c, _ := inf.ParseDriverVer("01/02/2020", "1.0.0.1")
	assert.Equal(t, -1, a.Compare(b), "date first")
	assert.Equal(t, -1, b.Compare(c), "then version")
	assert.Equal(t, 0, c.Compare(c))
	assert.Equal(t, "01/02/2020,1.0.0.1", c.String())
}

// TestStringsLanguage: disk.inf's strings for several LANGIDs. The
// fixture has no [Strings.0407], so the test adds one with the edit API
// and checks the fallbacks around it.
func TestStringsLanguage(t *testing.T) {
	d := parseFixture(t, "inf/reactos/disk.inf")
	val := func(lang uint16) (string, string) {
		d.SetLanguage(lang)
		v, _ := d.LookupString("DiskClassName")
		return d.StringsSection().Name(), v
	}
	for _, tc := range []struct {
		lang uint16
		sec  string
	}{
		{0x0405, "Strings.0405"}, // exact
		{0x0419, "Strings.0419"}, // exact
		{0x0C0A, "Strings.0a"},   // Spanish: neutral sublanguage
		{0x0404, "Strings.0804"}, // Chinese (Taiwan): same primary language
		{0x0407, "Strings"},      // German: none in the fixture
		{0x0409, "Strings"},
	} {
		sec, _ := val(tc.lang)
		assert.Equal(t, tc.sec, sec, "LANGID %#04x", tc.lang)
	}

	s, err := d.AddSection("Strings.0407")
	require.NoError(t, err)
	for _, kv := range [][2]string{{"GenericMfg", "(Standardlaufwerke)"}, {"DiskClassName", "Laufwerke"}, {"Disk.DeviceDesc", "Laufwerk"}} {
		_, err := s.Append(kv[0], kv[1])
		require.NoError(t, err)
	}
	for _, tc := range []struct {
		lang      uint16
		sec, want string
	}{
		{0x0407, "Strings.0407", "Laufwerke"}, // exact
		{0x0807, "Strings.0407", "Laufwerke"}, // Swiss German: no [Strings.07], same primary language
		{0x0409, "Strings", "Disk Drives"},    // English: undecorated
	} {
		sec, v := val(tc.lang)
		assert.Equal(t, tc.sec, sec, "LANGID %#04x", tc.lang)
		assert.Equal(t, tc.want, v, "LANGID %#04x", tc.lang)
	}
	d.SetLanguage(0x0407)
	assert.Equal(t, "Laufwerk", d.Section("GenericMfg").Entries()[0].Key(), "keys are substituted with the chosen section")
	d.SetLanguage(0x0409)
	assert.Equal(t, "Disk Drive", d.Section("GenericMfg").Entries()[0].Key())
	// A neutral section beats "same primary language".
	_, err = d.AddSection("Strings.07")
	require.NoError(t, err)
	sec, _ := val(0x0807)
	assert.Equal(t, "Strings.07", sec)
}

// TestSdhcBinaryContinuation decodes the binary AddReg that spans eight
// physical lines and compares it with the hex pairs read directly from the
// fixture's text.
func TestSdhcBinaryContinuation(t *testing.T) {
	raw := string(testutil.ReadFixture(t, "inf/wds/sdhc.inx"))
	d := parseFixture(t, "inf/wds/sdhc.inx")
	assert.False(t, d.FinalNewline())
	ops, err := d.RegOps("SDHCServiceReg", false)
	require.NoError(t, err)
	byName := map[string]inf.RegOp{}
	for _, op := range ops {
		byName[op.ValueName] = op
	}
	for _, name := range []string{"SdCmdFlags", "SdAppCmdFlags"} {
		op, ok := byName[name]
		require.True(t, ok, name)
		assert.Equal(t, inf.RegBinary, op.Type)
		assert.Greater(t, op.Line.PhysicalLines(), 1)
		// Independent reading: the text from the value name to the next
		// blank line, hex pairs in order.
		i := strings.Index(raw, name+",1,")
		require.Positive(t, i)
		block := raw[i+len(name)+3:]
		if j := strings.Index(block, "\n\n"); j >= 0 {
			block = block[:j]
		}
		if j := strings.Index(block, "\r\n\r\n"); j >= 0 {
			block = block[:j]
		}
		var want []byte
		for _, h := range regexp.MustCompile(`[0-9A-Fa-f]{2}`).FindAllString(block, -1) {
			v, _ := strconv.ParseUint(h, 16, 8)
			want = append(want, byte(v))
		}
		assert.Equal(t, want, op.Data, name)
	}
	assert.Len(t, byName["SdCmdFlags"].Data, 2*27)
	assert.Equal(t, 8, byName["SdCmdFlags"].Line.PhysicalLines())
}

// TestMinispyCommentBackslash: a comment ending in '\' does not continue.
func TestMinispyCommentBackslash(t *testing.T) {
	d := parseFixture(t, "inf/wds/minispy.inf")
	s := d.Section("Minispy.Service")
	require.NotNil(t, s)
	bin := s.Find("ServiceBinary")
	require.NotNil(t, bin)
	assert.Equal(t, 1, bin.PhysicalLines())
	assert.Equal(t, []string{`%13%\%DriverName%.sys`}, bin.RawFields())
	assert.Equal(t, `%13%\minispy.sys`, bin.Field(0))
	dep := s.Find("Dependencies")
	require.NotNil(t, dep, "the next line stays its own entry")
	assert.Equal(t, []string{"FltMgr"}, dep.Fields())
	assert.Len(t, s.Entries(), 9)
	// The quoted key path followed by a token joins into one field.
	ops, err := d.RegOps("Minispy.AddRegistry", false)
	require.NoError(t, err)
	assert.Equal(t, `Parameters\Instances\Minispy - Middle Instance`, ops[2].Subkey)
}

func TestDIRIDs(t *testing.T) {
	assert.Equal(t, `%SystemRoot%\System32\drivers\viostor.sys`, inf.ExpandDIRIDs(`%12%\viostor.sys`, nil))
	assert.Equal(t, `C:\fred`, inf.ExpandDIRIDs(`%24%\fred`, func(id int) (string, bool) { return `C:\`, id == 24 }))
	assert.Equal(t, `%99%\x %SystemRoot%`, inf.ExpandDIRIDs(`%99%\x %SystemRoot%`, nil))
	id, rest, ok := inf.SplitDIRID(`%12%\viostor.sys`)
	assert.True(t, ok)
	assert.Equal(t, 12, id)
	assert.Equal(t, "viostor.sys", rest)
	_, _, ok = inf.SplitDIRID(`C:\x`)
	assert.False(t, ok)
}

// TestDriverFilesAndVariants covers the parts of driver resolution the
// fixtures do not: per-architecture CatalogFile, DDInstall .NT<arch>
// preference, a DriverVer override, CopyFiles=@file and renames,
// DestinationDirs per section, and [SourceDisks*.<arch>] precedence.
func TestDriverFilesAndVariants(t *testing.T) {
	src := `[Version]
Signature="$Windows NT$"
Class=Net
CatalogFile=all.cat
CatalogFile.NTx86=x86.cat
CatalogFile.NTamd64=amd64.cat
DriverVer=01/01/2020,1.0.0.0

[Manufacturer]
ACME=M,NTx86,NTamd64,NTarm64

[M.NTx86]
Dev=inst,PCI\VEN_1&DEV_1
[M.NTamd64]
Dev=inst,PCI\VEN_1&DEV_1,PCI\VEN_1
[M.NTarm64]
Dev=inst,PCI\VEN_1&DEV_1

[inst]
CopyFiles=@plain.sys
[inst.NT]
CopyFiles=@nt.sys
[inst.NTamd64]
CopyFiles=files,@extra.dll
DriverVer=02/02/2021,2.0.0.0
FeatureScore=0x80
[inst.NTamd64.Services]
AddService=acme,0x2,svc
AddService=helper,,svc2
[svc]
ServiceType=1
StartType=3
ErrorControl=1
ServiceBinary=%12%\acme.sys
Dependencies=NDIS,Tcpip
[svc2]
ServiceType=0x10
StartType=2
[files]
acme.sys,acme_src.sys,,0x4
missing.sys

[DestinationDirs]
DefaultDestDir=11
files=12,sub

[SourceDisksNames]
1=Disk,tag,,generic
[SourceDisksNames.amd64]
1=Disk64,tag,,\amd64\bin
[SourceDisksFiles]
plain.sys=1
extra.dll=1,lib
[SourceDisksFiles.amd64]
acme_src.sys=1,,1234
`
	d, err := inf.Parse([]byte(src), nil)
	require.NoError(t, err)
	v, err := d.Version()
	require.NoError(t, err)
	assert.Equal(t, "amd64.cat", v.Catalog(inf.AMD64))
	assert.Equal(t, "x86.cat", v.Catalog(inf.X86))
	assert.Equal(t, "all.cat", v.Catalog(inf.ARM64))

	dr, err := d.Driver(inf.OS{Arch: inf.AMD64, Major: 10})
	require.NoError(t, err)
	require.Len(t, dr.Devices, 1)
	in := dr.Devices[0].Install
	assert.Equal(t, "inst.NTamd64", in.Name)
	assert.Equal(t, uint8(0x80), in.FeatureScore)
	require.NotNil(t, in.DriverVer)
	assert.Equal(t, "02/02/2021,2.0.0.0", in.DriverVer.String())
	require.Len(t, dr.Services, 2)
	assert.Equal(t, []string{"NDIS", "Tcpip"}, dr.Services[0].Dependencies)
	assert.Equal(t, "acme.sys", dr.Services[0].BinaryName())
	assert.Equal(t, inf.ServiceWin32OwnProcess, dr.Services[1].ServiceType)
	assert.Equal(t, inf.StartAuto, dr.Services[1].StartType)

	byName := map[string]inf.DriverFile{}
	for _, f := range dr.Files {
		byName[f.Name] = f
	}
	acme := byName["acme.sys"]
	assert.Equal(t, "acme_src.sys", acme.Source)
	assert.Equal(t, 12, acme.DirID)
	assert.Equal(t, "sub", acme.Subdir)
	assert.Equal(t, uint32(4), acme.Flags)
	assert.True(t, acme.Listed)
	assert.Equal(t, "Disk64", acme.Disk.Description, "[SourceDisksNames.amd64] wins")
	assert.Equal(t, "amd64/bin/acme_src.sys", acme.SourcePath())
	extra := byName["extra.dll"]
	assert.Equal(t, 11, extra.DirID, "@file goes to DefaultDestDir")
	assert.Equal(t, "amd64/bin/lib/extra.dll", extra.SourcePath())
	assert.False(t, byName["missing.sys"].Listed)
	assert.True(t, hasWarning(dr.Warnings, "unlisted-file"))

	dr, err = d.Driver(inf.OS{Arch: inf.X86, Major: 10})
	require.NoError(t, err)
	assert.Equal(t, "inst.NT", dr.Devices[0].Install.Name)
	assert.Equal(t, "nt.sys", dr.Files[0].Name)
	assert.Equal(t, "x86.cat", dr.Catalog)

	// No DDInstall variant for the section at all.
	d2, err := inf.Parse([]byte("[Version]\nSignature=$Chicago$\n[Manufacturer]\nA=M\n[M]\nDev=nowhere,ID\n"), nil)
	require.NoError(t, err)
	dr, err = d2.Driver(inf.OS{Arch: inf.X86, Major: 5, Minor: 1})
	require.NoError(t, err)
	assert.Nil(t, dr.Devices[0].Install)
	assert.True(t, hasWarning(dr.Warnings, "missing-install-section"))
	assert.True(t, hasWarning(dr.Warnings, "missing-driverver"))

	// Not a device INF.
	for _, bad := range []string{"[Version]\nSignature=\"$Windows 3.1$\"\n", "[Strings]\n", "[Version]\nClass=X\n"} {
		d3, err := inf.Parse([]byte(bad), nil)
		require.NoError(t, err)
		_, err = d3.Driver(inf.OS{Arch: inf.X86})
		require.ErrorIs(t, err, inf.ErrSignature)
	}
	_, _, err = d2.Install("nowhere", inf.X86)
	require.ErrorIs(t, err, inf.ErrNotFound)
}

func TestCodePageAndForcedEncoding(t *testing.T) {
	for _, n := range []int{1250, 1251, 1252, 1253, 1254, 1255, 1256, 1257, 1258, 874, 932, 936, 949, 950, 437, 850, 852, 866} {
		_, ok := inf.CodePage(n)
		assert.True(t, ok, n)
	}
	_, ok := inf.CodePage(65001)
	assert.False(t, ok)
	// A UTF-16LE file without BOM whose heuristics would fail can be forced.
	b := encodeUTF16("[S]\r\nk=é\r\n", false)
	d, err := inf.Parse(b, &inf.ReadOptions{Encoding: &inf.Encoding{Form: inf.UTF16LE}})
	require.NoError(t, err)
	assert.Equal(t, "é", d.Section("S").Find("k").Field(0))
	var d2 inf.Document
	require.NoError(t, d2.UnmarshalBinary([]byte("[S]\r\nk=v\r\n")))
	assert.Equal(t, "v", d2.Section("S").Find("k").Field(0))
	require.NoError(t, d2.Section("S").Find("k").SetFields("w"))
	out, err := d2.MarshalBinary()
	require.NoError(t, err)
	assert.Equal(t, "[S]\r\nk=w\r\n", string(out))
}

func TestStampErrors(t *testing.T) {
	d, err := inf.Parse([]byte("[Strings]\nA=$ARCH$\n"), nil)
	require.NoError(t, err)
	dv, _ := inf.ParseDriverVer("01/01/2024")
	require.ErrorIs(t, d.Stamp(inf.StampOptions{Arch: inf.X86, DriverVer: &dv}), inf.ErrNotFound)
	assert.False(t, d.Modified(), "a refused stamp changes nothing")
	require.ErrorIs(t, d.Stamp(inf.StampOptions{Placeholders: map[string]string{"$ARCH$": "a\nb"}}), inf.ErrInvalidText)
	require.NoError(t, d.Stamp(inf.StampOptions{Arch: inf.ARM64, KMDFVersion: "1.15"}))
	v, _ := d.LookupString("a")
	assert.Equal(t, "arm64", v)
	require.NoError(t, d.Revert())
	assert.Equal(t, "[Strings]\nA=$ARCH$\n", string(d.Bytes()))
}

// TestConcurrentReads: readers share a document safely (run with -race).
func TestConcurrentReads(t *testing.T) {
	d := parseFixture(t, "inf/reactos/disk.inf")
	done := make(chan bool)
	for range 4 {
		go func() {
			for l := range d.Lines() {
				_ = l.Fields()
				_ = l.Key()
			}
			_, _ = d.Driver(inf.OS{Arch: inf.X86, Major: 5, Minor: 1})
			done <- true
		}()
	}
	for range 4 {
		<-done
	}
}
