package bcd

import (
	"strconv"
	"strings"
)

// friendlyTable holds the bcdedit names of elements ("bcdedit /? TYPES").
// Sources: the names verified in bcdedit-made stores and published output
// (spec §2.3), Geoff Chappell's "BCD Elements" table
// (https://www.geoffchappell.com/notes/windows/boot/bcd/elements.htm) and
// the bcdedit help. Every number is in the element table
// (bcd_element_constants.tsv) with the same format bits, except
// ramdisktftpblocksize/ramdisktftpwindowsize: Microsoft Learn lists them
// as 0x36000007/0x36000008, whose format bits say boolean, which cannot
// hold a block size; bcdedit stores them as integers 0x35000007/0x35000008
// (Chappell).
var friendlyTable = []elementEntry{
	// Library: any application.
	{0x11000001, "device", groupLibrary},
	{0x12000002, "path", groupLibrary},
	{0x12000004, "description", groupLibrary},
	{0x12000005, "locale", groupLibrary},
	{0x14000006, "inherit", groupLibrary},
	{0x15000007, "truncatememory", groupLibrary},
	{0x14000008, "recoverysequence", groupLibrary},
	{0x16000009, "recoveryenabled", groupLibrary},
	{0x1700000a, "badmemorylist", groupLibrary},
	{0x1600000b, "badmemoryaccess", groupLibrary},
	{0x1500000c, "firstmegabytepolicy", groupLibrary},
	{0x1500000d, "relocatephysical", groupLibrary},
	{0x1500000e, "avoidlowmemory", groupLibrary},
	{0x1600000f, "traditionalkseg", groupLibrary},
	{0x16000010, "bootdebug", groupLibrary},
	{0x15000011, "debugtype", groupLibrary},
	{0x15000012, "debugaddress", groupLibrary},
	{0x15000013, "debugport", groupLibrary},
	{0x15000014, "baudrate", groupLibrary},
	{0x15000015, "channel", groupLibrary},
	{0x12000016, "targetname", groupLibrary},
	{0x16000017, "noumex", groupLibrary},
	{0x15000018, "debugstart", groupLibrary},
	{0x12000019, "busparams", groupLibrary},
	{0x1500001a, "hostip", groupLibrary},
	{0x1500001b, "port", groupLibrary},
	{0x1600001c, "dhcp", groupLibrary},
	{0x1200001d, "key", groupLibrary},
	{0x1600001e, "vm", groupLibrary},
	{0x1200001f, "hostipv6", groupLibrary},
	{0x16000020, "bootems", groupLibrary},
	{0x15000022, "emsport", groupLibrary},
	{0x15000023, "emsbaudrate", groupLibrary},
	{0x12000030, "loadoptions", groupLibrary},
	{0x16000040, "advancedoptions", groupLibrary},
	{0x16000041, "optionsedit", groupLibrary},
	{0x15000042, "keyringaddress", groupLibrary},
	{0x11000043, "bootstatdevice", groupLibrary},
	{0x12000044, "bootstatfilepath", groupLibrary},
	{0x16000045, "preservebootstat", groupLibrary},
	{0x16000046, "graphicsmodedisabled", groupLibrary},
	{0x15000047, "configaccesspolicy", groupLibrary},
	{0x16000048, "nointegritychecks", groupLibrary},
	{0x16000049, "testsigning", groupLibrary},
	{0x1200004a, "fontpath", groupLibrary},
	{0x1500004b, "integrityservices", groupLibrary},
	{0x1500004c, "volumebandid", groupLibrary},
	{0x16000050, "extendedinput", groupLibrary},
	{0x15000051, "initialconsoleinput", groupLibrary},
	{0x15000052, "graphicsresolution", groupLibrary},
	{0x16000053, "restartonfailure", groupLibrary},
	{0x16000054, "highestmode", groupLibrary},
	{0x16000060, "isolatedcontext", groupLibrary},
	{0x15000065, "displaymessage", groupLibrary},
	{0x15000066, "displaymessageoverride", groupLibrary},
	{0x16000068, "nobootuxtext", groupLibrary},
	{0x16000069, "nobootuxprogress", groupLibrary},
	{0x1600006a, "nobootuxfade", groupLibrary},
	{0x1600006c, "bootuxdisabled", groupLibrary},
	{0x16000072, "nokeyboard", groupLibrary},
	{0x16000074, "bootshutdowndisabled", groupLibrary},
	{0x17000077, "allowedinmemorysettings", groupLibrary},
	{0x15000079, "bootuxtransitiontime", groupLibrary},
	{0x1600007a, "mobilegraphics", groupLibrary},
	{0x1600007b, "forcefipscrypto", groupLibrary},
	{0x1500007d, "booterrorux", groupLibrary},
	{0x1600007e, "flightsigning", groupLibrary},
	{0x1500007f, "measuredbootlogformat", groupLibrary},
	{0x15000080, "displayrotation", groupLibrary},
	{0x15000081, "logcontrol", groupLibrary},
	{0x16000082, "nofirmwaresync", groupLibrary},
	{0x11000084, "windowssyspart", groupLibrary},
	{0x16000087, "numlock", groupLibrary},
	{0x12000088, "additionalcipolicy", groupLibrary},
	{0x15000088, "linearaddress57", groupLibrary},

	// Boot manager ({bootmgr}, {fwbootmgr}).
	{0x24000001, "displayorder", groupBootMgr},
	{0x24000002, "bootsequence", groupBootMgr},
	{0x23000003, "default", groupBootMgr},
	{0x25000004, "timeout", groupBootMgr},
	{0x26000005, "resume", groupBootMgr},
	{0x23000006, "resumeobject", groupBootMgr},
	{0x24000007, "startupsequence", groupBootMgr},
	{0x24000010, "toolsdisplayorder", groupBootMgr},
	{0x26000020, "displaybootmenu", groupBootMgr},
	{0x26000021, "noerrordisplay", groupBootMgr},
	{0x22000023, "bcdfilepath", groupBootMgr},
	{0x26000025, "hiberboot", groupBootMgr},
	{0x26000028, "processcustomactionsfirst", groupBootMgr},
	{0x27000030, "customactions", groupBootMgr},
	{0x26000031, "persistbootsequence", groupBootMgr},
	{0x26000032, "skipstartupsequence", groupBootMgr},

	// OS loader (winload).
	{0x21000001, "osdevice", groupOSLoader},
	{0x22000002, "systemroot", groupOSLoader},
	{0x23000003, "resumeobject", groupOSLoader},
	{0x26000004, "stampdisks", groupOSLoader},
	{0x26000010, "detecthal", groupOSLoader},
	{0x22000011, "kernel", groupOSLoader},
	{0x22000012, "hal", groupOSLoader},
	{0x22000013, "dbgtransport", groupOSLoader},
	{0x25000020, "nx", groupOSLoader},
	{0x25000021, "pae", groupOSLoader},
	{0x26000022, "winpe", groupOSLoader},
	{0x26000024, "nocrashautoreboot", groupOSLoader},
	{0x26000025, "lastknowngood", groupOSLoader},
	{0x26000026, "oslnointegritychecks", groupOSLoader},
	{0x26000027, "osltestsigning", groupOSLoader},
	{0x26000030, "nolowmem", groupOSLoader},
	{0x25000031, "removememory", groupOSLoader},
	{0x25000032, "increaseuserva", groupOSLoader},
	{0x25000033, "perfmem", groupOSLoader},
	{0x26000040, "vga", groupOSLoader},
	{0x26000041, "quietboot", groupOSLoader},
	{0x26000042, "novesa", groupOSLoader},
	{0x26000043, "novga", groupOSLoader},
	{0x25000050, "clustermodeaddressing", groupOSLoader},
	{0x26000051, "usephysicaldestination", groupOSLoader},
	{0x25000052, "restrictapiccluster", groupOSLoader},
	{0x22000053, "evstore", groupOSLoader},
	{0x26000054, "uselegacyapicmode", groupOSLoader},
	{0x25000055, "x2apicpolicy", groupOSLoader},
	{0x26000060, "onecpu", groupOSLoader},
	{0x25000061, "numproc", groupOSLoader},
	{0x26000062, "maxproc", groupOSLoader},
	{0x25000063, "configflags", groupOSLoader},
	{0x26000064, "maxgroup", groupOSLoader},
	{0x26000065, "groupaware", groupOSLoader},
	{0x25000066, "groupsize", groupOSLoader},
	{0x26000070, "usefirmwarepcisettings", groupOSLoader},
	{0x25000071, "msi", groupOSLoader},
	{0x25000072, "pciexpress", groupOSLoader},
	{0x25000080, "safeboot", groupOSLoader},
	{0x26000081, "safebootalternateshell", groupOSLoader},
	{0x26000090, "bootlog", groupOSLoader},
	{0x26000091, "sos", groupOSLoader},
	{0x260000a0, "debug", groupOSLoader},
	{0x260000a1, "halbreakpoint", groupOSLoader},
	{0x260000a2, "useplatformclock", groupOSLoader},
	{0x260000a3, "forcelegacyplatform", groupOSLoader},
	{0x260000a4, "useplatformtick", groupOSLoader},
	{0x260000a5, "disabledynamictick", groupOSLoader},
	{0x250000a6, "tscsyncpolicy", groupOSLoader},
	{0x260000b0, "ems", groupOSLoader},
	{0x250000c1, "driverloadfailurepolicy", groupOSLoader},
	{0x250000c2, "bootmenupolicy", groupOSLoader},
	{0x260000c3, "onetimeadvancedoptions", groupOSLoader},
	{0x260000c4, "onetimeoptionsedit", groupOSLoader},
	{0x250000e0, "bootstatuspolicy", groupOSLoader},
	{0x260000e1, "disableelamdrivers", groupOSLoader},
	{0x250000f0, "hypervisorlaunchtype", groupOSLoader},
	{0x260000f2, "hypervisordebug", groupOSLoader},
	{0x250000f3, "hypervisordebugtype", groupOSLoader},
	{0x250000f4, "hypervisordebugport", groupOSLoader},
	{0x250000f5, "hypervisorbaudrate", groupOSLoader},
	{0x250000f6, "hypervisorchannel", groupOSLoader},
	{0x250000f7, "bootux", groupOSLoader},
	{0x220000f9, "hypervisorbusparams", groupOSLoader},
	{0x250000fa, "hypervisornumproc", groupOSLoader},
	{0x250000fb, "hypervisorrootprocpernode", groupOSLoader},
	{0x260000fc, "hypervisoruselargevtlb", groupOSLoader},
	{0x250000fd, "hypervisorhostip", groupOSLoader},
	{0x250000fe, "hypervisorhostport", groupOSLoader},
	{0x250000ff, "hypervisordebugpages", groupOSLoader},
	{0x25000100, "tpmbootentropy", groupOSLoader},
	{0x22000110, "hypervisorusekey", groupOSLoader},
	{0x26000114, "hypervisordhcp", groupOSLoader},
	{0x25000115, "hypervisoriommupolicy", groupOSLoader},
	{0x26000116, "hypervisorusevapic", groupOSLoader},
	{0x22000117, "hypervisorloadoptions", groupOSLoader},
	{0x25000118, "hypervisormsrfilterpolicy", groupOSLoader},
	{0x25000119, "hypervisormmionxpolicy", groupOSLoader},
	{0x2500011a, "hypervisorschedulertype", groupOSLoader},
	{0x25000120, "xsavepolicy", groupOSLoader},
	{0x25000121, "xsaveaddfeature0", groupOSLoader},
	{0x25000122, "xsaveaddfeature1", groupOSLoader},
	{0x25000123, "xsaveaddfeature2", groupOSLoader},
	{0x25000124, "xsaveaddfeature3", groupOSLoader},
	{0x25000125, "xsaveaddfeature4", groupOSLoader},
	{0x25000126, "xsaveaddfeature5", groupOSLoader},
	{0x25000127, "xsaveaddfeature6", groupOSLoader},
	{0x25000128, "xsaveaddfeature7", groupOSLoader},
	{0x25000129, "xsaveremovefeature", groupOSLoader},
	{0x2500012a, "xsaveprocessorsmask", groupOSLoader},
	{0x2500012b, "xsavedisable", groupOSLoader},
	{0x2500012c, "kerneldebugtype", groupOSLoader},
	{0x2200012d, "kernelbusparams", groupOSLoader},
	{0x2500012e, "kerneldebugaddress", groupOSLoader},
	{0x2500012f, "kerneldebugport", groupOSLoader},
	{0x25000130, "claimedtpmcounter", groupOSLoader},
	{0x25000131, "kernelchannel", groupOSLoader},
	{0x22000132, "kerneltargetname", groupOSLoader},
	{0x25000133, "kernelhostip", groupOSLoader},
	{0x25000134, "kernelport", groupOSLoader},
	{0x26000135, "kerneldhcp", groupOSLoader},
	{0x22000136, "kernelkey", groupOSLoader},
	{0x22000137, "imchivename", groupOSLoader},
	{0x21000138, "imcdevice", groupOSLoader},
	{0x25000139, "kernelbaudrate", groupOSLoader},
	{0x22000140, "mfgmode", groupOSLoader},
	{0x26000141, "event", groupOSLoader},
	{0x25000142, "vsmlaunchtype", groupOSLoader},
	{0x25000144, "hypervisorenforcedcodeintegrity", groupOSLoader},
	{0x26000145, "dtrace", groupOSLoader},
	{0x21000150, "systemdatadevice", groupOSLoader},
	{0x21000151, "osarcdevice", groupOSLoader},
	{0x21000153, "osdatadevice", groupOSLoader},
	{0x21000154, "bspdevice", groupOSLoader},
	{0x21000155, "bspfilepath", groupOSLoader},
	{0x22000156, "kernelhostipv6", groupOSLoader},
	{0x22000161, "hypervisorhostipv6", groupOSLoader},

	// Resume (winresume).
	{0x21000001, "filedevice", groupResume},
	{0x22000002, "filepath", groupResume},
	{0x26000003, "customsettings", groupResume},
	{0x21000005, "associatedosdevice", groupResume},
	{0x26000006, "debugoptionenabled", groupResume},
	{0x25000008, "bootmenupolicy", groupResume},

	// Memory tester.
	{0x25000001, "passcount", groupMemDiag},
	{0x25000002, "testmix", groupMemDiag},
	{0x25000003, "failurecount", groupMemDiag},

	// Device objects ({ramdiskoptions}).
	{0x35000001, "ramdiskimageoffset", groupDevice},
	{0x35000002, "ramdisktftpclientport", groupDevice},
	{0x31000003, "ramdisksdidevice", groupDevice},
	{0x32000004, "ramdisksdipath", groupDevice},
	{0x35000005, "ramdiskimagelength", groupDevice},
	{0x36000006, "exportascd", groupDevice},
	{0x35000007, "ramdisktftpblocksize", groupDevice},
	{0x35000008, "ramdisktftpwindowsize", groupDevice},
	{0x36000009, "ramdiskmcenabled", groupDevice},
	{0x3600000a, "ramdiskmctftpfallback", groupDevice},
	{0x3600000b, "ramdisktftpvarwindow", groupDevice},
}

// enumValues names the values of integer elements bcdedit prints by name
// ("nx OptIn", "bootmenupolicy Standard"); index = value. Sources: spec
// §2.3 and the bcdedit help for each setting.
var enumValues = []struct {
	t     ElementType
	group elementGroup
	names []string
}{
	{0x1500000c, groupLibrary, []string{"UseNone", "UseAll", "UsePrivate"}},
	{0x15000011, groupLibrary, []string{"Serial", "1394", "USB", "NET", "Local"}},
	{0x15000018, groupLibrary, []string{"Active", "AutoEnable", "Disable"}},
	{0x15000047, groupLibrary, []string{"Default", "DisallowMmConfig"}},
	{0x1500004b, groupLibrary, []string{"Default", "Enable", "Disable"}},
	{0x15000052, groupLibrary, []string{"1024x768", "800x600", "1024x600"}},
	{0x15000065, groupLibrary, displayMessages},
	{0x15000066, groupLibrary, displayMessages},
	{0x1500007d, groupLibrary, []string{"Legacy", "Standard", "Simple"}},
	{0x25000020, groupOSLoader, []string{"OptIn", "OptOut", "AlwaysOff", "AlwaysOn"}},
	{0x25000021, groupOSLoader, []string{"Default", "ForceEnable", "ForceDisable"}},
	{0x25000055, groupOSLoader, []string{"Default", "Disable", "Enable"}},
	{0x25000071, groupOSLoader, []string{"Default", "ForceDisable"}},
	{0x25000072, groupOSLoader, []string{"Default", "ForceDisable"}},
	{0x25000080, groupOSLoader, []string{"Minimal", "Network", "DsRepair"}},
	{0x250000a6, groupOSLoader, []string{"Default", "Legacy", "Enhanced"}},
	{0x250000c1, groupOSLoader, []string{"Fatal", "UseErrorControl"}},
	{0x250000c2, groupOSLoader, []string{"Legacy", "Standard"}},
	{0x250000e0, groupOSLoader, []string{"DisplayAllFailures", "IgnoreAllFailures", "IgnoreShutdownFailures", "IgnoreBootFailures"}},
	{0x250000f0, groupOSLoader, []string{"Off", "Auto"}},
	{0x250000f3, groupOSLoader, []string{"Serial", "1394", "None", "Net"}},
	{0x250000f7, groupOSLoader, []string{"Disabled", "Basic", "Standard"}},
	{0x25000100, groupOSLoader, []string{"Default", "ForceDisable", "ForceEnable"}},
	{0x25000115, groupOSLoader, []string{"Default", "Enable", "Disable"}},
	{0x2500012c, groupOSLoader, []string{"Serial", "1394", "USB", "NET"}},
	{0x25000142, groupOSLoader, []string{"Off", "Auto"}},
	{0x25000008, groupResume, []string{"Legacy", "Standard"}},
	{0x25000002, groupMemDiag, []string{"Basic", "Extended"}},
}

var displayMessages = []string{"Default", "Resume", "HyperV", "Recovery", "StartupRepair",
	"SystemImageRecovery", "CommandPrompt", "SystemRestore", "PushButtonReset"}

// enumNames returns the value names of integer element t in an object of
// type obj (nil when it has none).
func enumNames(obj ObjectType, t ElementType) []string {
	g := group(obj, t)
	for _, e := range enumValues {
		if e.t == t && e.group == g {
			return e.names
		}
	}
	return nil
}

// parseInteger parses an integer as bcdedit takes it: decimal, 0x hex, or
// one of the element's value names (case-insensitive).
func parseInteger(names []string, s string) (uint64, bool) {
	for i, n := range names {
		if strings.EqualFold(n, s) {
			return uint64(i), true
		}
	}
	if h, ok := strings.CutPrefix(strings.ToLower(s), "0x"); ok {
		v, err := strconv.ParseUint(h, 16, 64)
		return v, err == nil && h != ""
	}
	v, err := strconv.ParseUint(s, 10, 64)
	return v, err == nil
}

// parseBoolean parses a boolean as bcdedit takes it.
func parseBoolean(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "yes", "on", "true", "1":
		return true, true
	case "no", "off", "false", "0":
		return false, true
	}
	return false, false
}
