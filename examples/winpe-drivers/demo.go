package main

import (
	"fmt"
	"strings"

	"github.com/winbootkit/winbootkit/inf"
)

// demoINF writes a minimal driver INF of a made-up vendor ("winbootkit
// demo", PCI vendor FFFE, which no real device has): one device with a
// boot-start kernel service, for x86 and amd64.
func demoINF(service, class, classGUID, device, desc, driverVer string) string {
	lines := []string{
		"; " + service + ".inf: a winbootkit demo driver package (no driver files; not a real device)",
		"[Version]",
		`Signature   = "$Windows NT$"`,
		"Class       = " + class,
		"ClassGuid   = " + classGUID,
		"Provider    = %Vendor%",
		"DriverVer   = " + driverVer,
		"CatalogFile = " + service + ".cat",
		"PnpLockdown = 1",
		"",
		"[Manufacturer]",
		"%Vendor% = Models, NTx86, NTamd64",
		"",
		"[Models.NTx86]",
		"%Desc% = Install, PCI\\VEN_FFFE&DEV_" + device,
		"",
		"[Models.NTamd64]",
		"%Desc% = Install, PCI\\VEN_FFFE&DEV_" + device,
		"",
		"[DestinationDirs]",
		"DefaultDestDir = 12",
		"",
		"[Install.NT]",
		"CopyFiles = Files",
		"",
		"[Install.NT.Services]",
		"AddService = " + service + ", 0x00000002, Service",
		"",
		"[Service]",
		"ServiceType   = 1",
		"StartType     = 0",
		"ErrorControl  = 1",
		"ServiceBinary = %12%\\" + service + ".sys",
		"",
		"[Files]",
		service + ".sys",
		"",
		"[SourceDisksNames]",
		"1 = %Disk%",
		"",
		"[SourceDisksFiles]",
		service + ".sys = 1",
		"",
		"[Strings]",
		`Vendor = "winbootkit demo"`,
		`Desc   = "` + desc + `"`,
		`Disk   = "winbootkit demo driver disk"`,
	}
	return strings.Join(lines, "\r\n") + "\r\n"
}

const (
	classSCSI = "{4d36e97b-e325-11ce-bfc1-08002be10318}"
	classNet  = "{4d36e972-e325-11ce-bfc1-08002be10318}"
	classHID  = "{745a17a0-74d3-11d0-b6fe-00a0c90f57da}"
)

// demoPackages are the embedded defaults: a storage driver in two versions
// (an older one meant for boot.wim, a newer one in $WinPEDriver$), a network
// driver in the same version in both, and an input driver only for boot.wim.
func demoPackages() ([]pkg, error) {
	var out []pkg
	for _, d := range []struct {
		set, rel, text string
	}{
		{setPE, "wbkstor/wbkstor.inf", demoINF("wbkstor", "SCSIAdapter", classSCSI, "0001", "winbootkit demo storage controller", "03/01/2024,1.0.0.0")},
		{setPE, "wbknet/wbknet.inf", demoINF("wbknet", "Net", classNet, "0002", "winbootkit demo network adapter", "05/10/2024,2.1.0.0")},
		{setPE, "wbkinput/wbkinput.inf", demoINF("wbkinput", "HIDClass", classHID, "0003", "winbootkit demo input device", "01/20/2024,1.0.0.0")},
		{setWPD, "wbkstor/wbkstor.inf", demoINF("wbkstor", "SCSIAdapter", classSCSI, "0001", "winbootkit demo storage controller", "09/15/2024,1.1.0.0")},
		{setWPD, "wbknet/wbknet.inf", demoINF("wbknet", "Net", classNet, "0002", "winbootkit demo network adapter", "05/10/2024,2.1.0.0")},
	} {
		doc, err := inf.Parse([]byte(d.text), nil)
		if err != nil {
			return nil, fmt.Errorf("demo INF %s: %w", d.rel, err)
		}
		out = append(out, pkg{set: d.set, rel: d.rel, doc: doc})
	}
	return out, nil
}
