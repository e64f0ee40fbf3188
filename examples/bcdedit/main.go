// Command bcdedit edits Windows boot configuration (BCD) stores the way
// Windows' bcdedit.exe does, on any operating system, with the winbootkit
// bcd package. It takes bcdedit's command lines (see bcd.Interpreter for
// the commands; options start with / or -), prints bcdedit's messages,
// and exits with status 1 and a one-line error naming the bad argument on
// failure.
//
// Usage:
//
//	bcdedit [--drive X:=PARTITION]... /store FILE COMMAND [ARGS...]
//	bcdedit /createstore FILE
//
// Offline there are no drive letters: each --drive flag (before the
// bcdedit arguments) says which partition a letter stands for in values
// such as partition=C: or ramdisk=[C:]\winpe.wim, and /enum prints that
// partition as the letter. PARTITION is mbr:SIGNATURE:OFFSET (disk
// signature in hex, partition start in bytes) or gpt:{DISK}:{PARTITION}.
// The environment variable BCDEDIT_DRIVES may hold the same mappings,
// separated by semicolons.
//
// Examples:
//
//	bcdedit /createstore BCD
//	bcdedit /store BCD /create {ramdiskoptions} /d "Ramdisk options"
//	bcdedit /store BCD /set {ramdiskoptions} ramdisksdidevice boot
//	bcdedit /store BCD /create /d "WinPE" /application osloader
//	bcdedit --drive C:=mbr:1a2b3c4d:1048576 /store BCD /set {default} device partition=C:
//	bcdedit /store BCD /enum all /v
//	bcdedit /store BCD /winpe /d "WinPE" /firmware uefi /nointegritychecks
package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/winbootkit/winbootkit/bcd"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bcdedit:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	drives := bcd.DriveMap{}
	if env := os.Getenv("BCDEDIT_DRIVES"); env != "" {
		for _, m := range strings.Split(env, ";") {
			if err := addDrive(drives, m); err != nil {
				return fmt.Errorf("BCDEDIT_DRIVES: %w", err)
			}
		}
	}
	for len(args) > 0 && strings.HasPrefix(args[0], "--drive") {
		val, ok := strings.CutPrefix(args[0], "--drive=")
		if !ok {
			if args[0] != "--drive" || len(args) < 2 {
				return fmt.Errorf("%s: want --drive X:=PARTITION", args[0])
			}
			val, args = args[1], args[1:]
		}
		if err := addDrive(drives, val); err != nil {
			return err
		}
		args = args[1:]
	}
	in := &bcd.Interpreter{Stdout: stdout, Drives: drives}
	return in.Run(args)
}

// addDrive adds a "C:=mbr:1a2b3c4d:1048576" mapping.
func addDrive(m bcd.DriveMap, s string) error {
	drive, part, ok := strings.Cut(s, "=")
	if !ok || len(drive) != 2 || drive[1] != ':' {
		return fmt.Errorf("drive mapping %q: want X:=PARTITION", s)
	}
	p, err := bcd.ParsePartition(part)
	if err != nil {
		return fmt.Errorf("drive mapping %q: %w", s, err)
	}
	m[strings.ToUpper(drive)] = p
	return nil
}
