//go:build unix

package pgtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindBinDir(t *testing.T) {
	root := t.TempDir()
	mk := func(dir string, names ...string) string {
		d := filepath.Join(root, dir)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if err := os.WriteFile(filepath.Join(d, n), []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	mk("lib/9.6/bin", "initdb", "postgres")
	want := mk("lib/15/bin", "initdb", "postgres")
	mk("lib/16/bin", "initdb") // incomplete: no postgres
	onPath := mk("path", "initdb", "postgres")
	pattern := filepath.Join(root, "lib", "*", "bin")

	if got, err := findBinDir(pattern, onPath); err != nil || got != want {
		t.Fatalf("findBinDir = %q, %v; want %q", got, err, want)
	}
	if got, err := findBinDir(filepath.Join(root, "none", "*", "bin"), "/nonexistent"+string(filepath.ListSeparator)+onPath); err != nil || got != onPath {
		t.Fatalf("findBinDir (PATH) = %q, %v; want %q", got, err, onPath)
	}
	_, err := findBinDir(filepath.Join(root, "none", "*", "bin"), "/nonexistent")
	if err == nil || !strings.Contains(err.Error(), "apt-get install -y postgresql") || !strings.Contains(err.Error(), EnvDSN) {
		t.Fatalf("error without install hint: %v", err)
	}
}

func TestDSNFor(t *testing.T) {
	for _, tc := range []struct{ admin, want string }{
		{"postgres://u:p@h:5432/postgres?sslmode=disable", "postgres://u:p@h:5432/test_x?sslmode=disable"},
		{"postgresql://u@h/?dbname=postgres&sslmode=require", "postgresql://u@h/test_x?sslmode=require"},
		{"host=h port=5432 user=u dbname=postgres", "host=h port=5432 user=u dbname=postgres dbname=test_x"},
	} {
		if got := (&Instance{adminDSN: tc.admin}).dsnFor("test_x"); got != tc.want {
			t.Errorf("dsnFor(%q) = %q, want %q", tc.admin, got, tc.want)
		}
	}
}
