package cli

import (
	"archive/tar"
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reposync/reposync/internal/spec"
)

func tarOf(t *testing.T, entries ...tar.Header) *bytes.Buffer {
	t.Helper()
	var b bytes.Buffer
	w := tar.NewWriter(&b)
	for _, h := range entries {
		body := strings.Repeat("x", int(h.Size))
		if err := w.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return &b
}

// TestReadTar: the spec at a revision is read from git archive's tar in
// memory: regular files only, no name leaving the root, sizes cut just past
// the loader's limits so that it reports them.
func TestReadTar(t *testing.T) {
	opts := spec.DefaultOptions()
	opts.MaxFileSize, opts.MaxTotalSize = 4, 6
	files, err := readTar(tarOf(t,
		tar.Header{Name: "spec/", Typeflag: tar.TypeDir, Mode: 0o755},
		tar.Header{Name: "spec/a.yaml", Typeflag: tar.TypeReg, Size: 2, Mode: 0o644},
		tar.Header{Name: "spec/link.yaml", Typeflag: tar.TypeSymlink, Linkname: "a.yaml"},
		tar.Header{Name: "spec/./big.yaml", Typeflag: tar.TypeReg, Size: 9, Mode: 0o644},
		tar.Header{Name: "spec/late.yaml", Typeflag: tar.TypeReg, Size: 1, Mode: 0o644},
	), opts)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		got = append(got, f.Name+":"+string(f.Data))
	}
	// big.yaml is cut at 5 bytes (the limit + 1); the total is then past 6,
	// so late.yaml is not read.
	if diff := cmp.Diff([]string{"spec/a.yaml:xx", "spec/big.yaml:xxxxx"}, got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"../escape.yaml", "/abs.yaml", "spec/../../x.yaml"} {
		if _, err := readTar(tarOf(t, tar.Header{Name: bad, Typeflag: tar.TypeReg, Size: 1, Mode: 0o644}), spec.DefaultOptions()); err == nil || !strings.Contains(err.Error(), "unsafe path") {
			t.Errorf("%s: err = %v, want an unsafe path", bad, err)
		}
	}
}
