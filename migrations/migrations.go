// Package migrations holds plyr's one migration history, embedded in the binary.
//
// Files are goose SQL named NNNNN_<module>_<what>.sql (zero-padded, so sqlc's lexicographic
// order is goose's order). Each module owns one Postgres schema and only its own files
// touch it; sqlc.yaml reads each module's files by that name pattern.
package migrations

import "embed"

// FS holds every migration file.
//
//go:embed *.sql
var FS embed.FS
