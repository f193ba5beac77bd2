package iostreams

import (
	"testing"
)

func TestTestStreamsAreNotTerminals(t *testing.T) {
	ios, _, out, errOut := Test()
	if ios.stdoutTTY || ios.stderrTTY || ios.CanPrompt() || ios.ColorEnabled() || ios.ProgressEnabled() {
		t.Error("test streams must not claim to be terminals")
	}
	ios.Out.Write([]byte("a"))
	ios.ErrOut.Write([]byte("b"))
	if out.String() != "a" || errOut.String() != "b" {
		t.Errorf("out=%q err=%q", out, errOut)
	}
}

func TestColorNeedsTTYAndNoNO_COLOR(t *testing.T) {
	ios, _, _, _ := Test()
	ios.SetTTY(true)
	if ios.ColorEnabled() {
		t.Error("Test() starts with colour off (as if NO_COLOR were set)")
	}
	ios.noColor = false // colour allowed: no NO_COLOR
	if !ios.ColorEnabled() || !ios.CanPrompt() || !ios.ProgressEnabled() {
		t.Error("a TTY with colour allowed must enable colour, prompts and progress")
	}
	ios.SetTTY(false)
	if ios.ColorEnabled() || ios.CanPrompt() {
		t.Error("colour and prompts need a terminal")
	}
}
