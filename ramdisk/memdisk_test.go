package ramdisk_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/ramdisk"
)

func TestMenus(t *testing.T) {
	disk := ramdisk.MenuEntry{Label: "WinPE 10 (RAM disk)", Image: "winpe.dd"}
	iso := ramdisk.MenuEntry{Label: "Server 2003 PE", ID: "pe2003", Image: "images/netpe.iso", Kind: ramdisk.KindISO, Memdisk: "boot/memdisk", Options: "pause"}
	for _, c := range []struct {
		golden string
		render func(...ramdisk.MenuEntry) (string, error)
	}{
		{"menu_pxelinux.golden", ramdisk.PXELinuxMenu},
		{"menu_ipxe.golden", ramdisk.IPXEScript},
		{"menu_grub4dos.golden", ramdisk.Grub4DOSMenu},
	} {
		t.Run(c.golden, func(t *testing.T) {
			s, err := c.render(disk, iso)
			require.NoError(t, err)
			testutil.Golden(t, c.golden, []byte(s))
			_, err = c.render(ramdisk.MenuEntry{Image: "a\nkernel evil"})
			require.ErrorIs(t, err, ramdisk.ErrInvalidArgument)
			_, err = c.render(ramdisk.MenuEntry{})
			require.ErrorIs(t, err, ramdisk.ErrInvalidArgument)
		})
	}
	s, err := ramdisk.IPXEScript(ramdisk.MenuEntry{Image: "http://10.0.0.1/winpe.dd"})
	require.NoError(t, err)
	require.Equal(t, "#!ipxe\nkernel memdisk harddisk raw\ninitrd http://10.0.0.1/winpe.dd\nboot\n", s)
	_, err = ramdisk.IPXEScript()
	require.ErrorIs(t, err, ramdisk.ErrInvalidArgument)
}
