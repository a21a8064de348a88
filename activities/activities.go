// Package activities groups the side effects plyr's workflows perform, one subpackage per
// area (catalog rows, media storage and ffmpeg, …).
//
// Activities never import a module. Each subpackage declares the small interface it needs
// in plain types (IDs, strings, its own small structs), and cmd/plyr hands it the module.
// Every activity is idempotent: its keys come from the workflow's input, never from the
// clock or a random source inside a retry.
package activities
