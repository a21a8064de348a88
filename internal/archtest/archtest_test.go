// Package archtest holds the import rules of design/architecture.md as a test, so a
// change that breaks a module boundary fails `make test` instead of waiting for review.
package archtest

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const module = "github.com/plyrfm/plyr"

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports,Deps", module+"/...")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	require.NoError(t, cmd.Run(), errOut.String())
	var pkgs []pkg
	dec := json.NewDecoder(&out)
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else {
			require.NoError(t, err)
		}
		pkgs = append(pkgs, p)
	}
	require.NotEmpty(t, pkgs)
	return pkgs
}

// moduleOf returns the module a package belongs to ("catalog" for modules/catalog/...).
func moduleOf(path string) string {
	rest, ok := strings.CutPrefix(path, module+"/modules/")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, "/")
	return name
}

func under(path, dir string) bool {
	return path == module+"/"+dir || strings.HasPrefix(path, module+"/"+dir+"/")
}

func TestImportRules(t *testing.T) {
	for _, p := range listPackages(t) {
		for _, imp := range p.Imports {
			if from, to := moduleOf(p.ImportPath), moduleOf(imp); from != "" && to != "" && from != to {
				t.Errorf("%s imports %s: modules never import each other; declare an interface in Deps", p.ImportPath, imp)
			}
			if (under(p.ImportPath, "activities") || under(p.ImportPath, "workflows")) && moduleOf(imp) != "" {
				t.Errorf("%s imports %s: activities and workflows never import a module", p.ImportPath, imp)
			}
			if under(p.ImportPath, "internal/platform") && (moduleOf(imp) != "" || under(imp, "workflows") || under(imp, "activities")) {
				t.Errorf("%s imports %s: the platform knows nothing of the domain", p.ImportPath, imp)
			}
			if under(imp, "cmd") && !under(p.ImportPath, "cmd/plyr") {
				t.Errorf("%s imports %s: nothing imports the binary; only cmd/plyr assembles modules", p.ImportPath, imp)
			}
			if under(imp, "internal/devstack") && !under(p.ImportPath, "internal/devstack") && !under(p.ImportPath, "cmd/plyr") {
				t.Errorf("%s imports %s: production code never imports the development stack (tests may)", p.ImportPath, imp)
			}
		}
		if !under(p.ImportPath, "cmd/plyr") && modulesImported(p.Imports) > 1 {
			t.Errorf("%s imports several modules: only cmd/plyr assembles modules", p.ImportPath)
		}
	}
}

// modulesImported counts the distinct modules among imports.
func modulesImported(imports []string) int {
	seen := map[string]bool{}
	for _, imp := range imports {
		if m := moduleOf(imp); m != "" {
			seen[m] = true
		}
	}
	return len(seen)
}

// TestProductionBuildLinksNoDevStack builds the production binary's package list
// (-tags nodevstack): no private PostgreSQL, S3 server, Temporal server or reference PDS.
func TestProductionBuildLinksNoDevStack(t *testing.T) {
	cmd := exec.Command("go", "list", "-tags", "nodevstack", "-deps", module+"/cmd/plyr")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	require.NoError(t, cmd.Run(), errOut.String())
	deps := strings.Fields(out.String())
	require.Contains(t, deps, module+"/cmd/plyr/internal/app", "the list is the binary's")
	for _, dep := range deps {
		if under(dep, "internal/devstack") || dep == "go.temporal.io/server/temporal" {
			t.Errorf("the production build links %s", dep)
		}
	}
}

// TestTemporalServerStaysContained keeps the packages that link the Temporal server few:
// each one costs a 200 MB binary and gigabytes of RAM to link.
func TestTemporalServerStaysContained(t *testing.T) {
	allowed := map[string]bool{
		module + "/cmd/plyr":                               true,
		module + "/internal/devstack/devserver":            true,
		module + "/internal/devstack/testenv/testtemporal": true,
	}
	for _, p := range listPackages(t) {
		for _, dep := range p.Deps {
			if dep == "go.temporal.io/server/temporal" && !allowed[p.ImportPath] {
				t.Errorf("%s links the Temporal server; only %v may", p.ImportPath, keys(allowed))
			}
		}
	}
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
