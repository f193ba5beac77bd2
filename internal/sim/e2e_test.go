package sim

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestBinaryKeepsAcknowledgedWrites builds reposync and runs `reposync sim
// --state`: stopped by SIGTERM while a client is writing, every acknowledged
// write is in the state file and a restart loads it; killed (SIGKILL), the
// restart replays the journal.
func TestBinaryKeepsAcknowledgedWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "reposync")
	build := exec.Command("go", "build", "-o", bin, "../../cmd/reposync")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Run("SIGTERM", func(t *testing.T) { testSIGTERM(t, bin, filepath.Join(t.TempDir(), "state.yaml")) })
	t.Run("SIGKILL", func(t *testing.T) { testSIGKILL(t, bin, filepath.Join(t.TempDir(), "state.yaml")) })
}

// startSim runs `reposync sim --state state` and returns it with its URL.
func startSim(t *testing.T, bin, state string) (*exec.Cmd, string, *strings.Builder) {
	t.Helper()
	cmd := exec.Command(bin, "sim", "--fixture", "testdata/basic.yaml", "--state", state, "--rate-limit", "0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("read first line: %v (stderr %s)", err, stderr.String())
	}
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if !ok || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("first line %q", line)
	}
	return cmd, url, &stderr
}

func testSIGTERM(t *testing.T, bin, state string) {
	cmd, url, stderr := startSim(t, bin, state)

	var acked []string
	for i := 0; ; i++ {
		if i == 5 {
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
		}
		name := fmt.Sprintf("g%d", i)
		req, _ := http.NewRequest("POST", url+"/v4/"+testProject+"/groups", strings.NewReader(`{"name":"`+name+`"}`))
		req.Header.Set("X-Auth-Token", testToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			break // the server is gone
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("create %s: %d", name, resp.StatusCode)
		}
		acked = append(acked, name)
		if i > 1000 {
			t.Fatal("server never stopped after SIGTERM")
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v (stderr %s)", err, stderr.String())
	}
	if len(acked) < 5 {
		t.Fatalf("only %d writes acknowledged", len(acked))
	}
	fx, err := LoadFixture(state)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, g := range fx.Groups {
		have[g.Path] = true
	}
	for _, n := range acked {
		if !have[n] {
			t.Errorf("acknowledged group %s lost", n)
		}
	}

	cmd2, url2, stderr2 := startSim(t, bin, state)
	resp, err := http.Get(url2 + "/_sim/state")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"path":"`+acked[len(acked)-1]+`"`) {
		t.Errorf("restarted simulator lacks %s", acked[len(acked)-1])
	}
	_ = cmd2.Process.Signal(os.Interrupt)
	if err := cmd2.Wait(); err != nil {
		t.Fatalf("second exit: %v", err)
	}
	if !strings.Contains(stderr2.String(), "loading saved state") {
		t.Errorf("stderr %q does not say the state was loaded", stderr2.String())
	}
}

func testSIGKILL(t *testing.T, bin, state string) {
	cmd, url, _ := startSim(t, bin, state)
	var acked []string
	for i := 0; i < 20; i++ {
		name := fmt.Sprintf("k%d", i)
		req, _ := http.NewRequest("POST", url+"/v4/"+testProject+"/groups", strings.NewReader(`{"name":"`+name+`"}`))
		req.Header.Set("X-Auth-Token", testToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("create %s: %d", name, resp.StatusCode)
		}
		acked = append(acked, name)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	cmd2, url2, stderr2 := startSim(t, bin, state)
	resp, err := http.Get(url2 + "/_sim/state")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, n := range acked {
		if !strings.Contains(string(body), `"path":"`+n+`"`) {
			t.Errorf("acknowledged group %s lost by the kill", n)
		}
	}
	_ = cmd2.Process.Signal(os.Interrupt)
	if err := cmd2.Wait(); err != nil {
		t.Fatalf("second exit: %v (stderr %s)", err, stderr2.String())
	}
}
