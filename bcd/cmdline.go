package bcd

import (
	"fmt"
	"strings"
)

// SplitCommandLine splits a command line the way the Microsoft C runtime
// splits one for a program like bcdedit: arguments are separated by spaces
// and tabs; double quotes group (and are removed); 2n backslashes before a
// quote give n backslashes and the quote is special, 2n+1 give n and a
// literal quote; other backslashes are literal (so \Windows\system32 stays
// as it is). An unterminated quote runs to the end of the line.
func SplitCommandLine(line string) []string {
	var args []string
	var cur strings.Builder
	inArg, quoted := false, false
	for i := 0; i < len(line); i++ {
		ch := line[i]
		switch {
		case ch == '\\':
			n := 0
			for i < len(line) && line[i] == '\\' {
				n++
				i++
			}
			if i < len(line) && line[i] == '"' {
				cur.WriteString(strings.Repeat(`\`, n/2))
				if n%2 == 1 {
					cur.WriteByte('"')
				} else {
					quoted = !quoted
				}
			} else {
				cur.WriteString(strings.Repeat(`\`, n))
				i--
			}
			inArg = true
		case ch == '"':
			if quoted && i+1 < len(line) && line[i+1] == '"' {
				cur.WriteByte('"') // "" inside quotes is a literal quote
				i++
			} else {
				quoted = !quoted
			}
			inArg = true
		case (ch == ' ' || ch == '\t') && !quoted:
			if inArg {
				args = append(args, cur.String())
				cur.Reset()
				inArg = false
			}
		default:
			cur.WriteByte(ch)
			inArg = true
		}
	}
	if inArg {
		args = append(args, cur.String())
	}
	return args
}

// RunLine splits line with SplitCommandLine, drops a leading program name
// "bcdedit" or "bcdedit.exe" (any case), and runs the rest. An empty line
// does nothing.
func (in *Interpreter) RunLine(line string) error {
	args := SplitCommandLine(line)
	if len(args) > 0 {
		switch strings.ToLower(args[0]) {
		case "bcdedit", "bcdedit.exe":
			args = args[1:]
		}
	}
	if len(args) == 0 {
		return nil
	}
	if err := in.Run(args); err != nil {
		return fmt.Errorf("%s: %w", strings.TrimSpace(line), err)
	}
	return nil
}
