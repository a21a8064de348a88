// Package web holds the web client's build (web/build/app, written by `make web`), which
// the plyr binary embeds and serves at / (internal/platform/webclient).
package web

import (
	"embed"
	"io/fs"
)

// build is web/build: its README (committed, so that a Go-only build compiles) and app/,
// the client, when it was built.
//
//go:embed all:build
var build embed.FS

// App returns the built client, or nil when this binary was built without it.
func App() fs.FS {
	app, err := fs.Sub(build, "build/app")
	if err != nil {
		return nil
	}
	if _, err := fs.Stat(app, "index.html"); err != nil {
		return nil
	}
	return app
}
