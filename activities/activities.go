// Package activities groups the side effects plyr's workflows perform, one subpackage per
// area (catalog rows, media storage and ffmpeg, …).
//
// Activities never import a module. Each subpackage declares the small interface it needs
// in plain types (IDs, strings, its own small structs), and the composition root hands it
// the module. Every activity is idempotent: its keys come from the workflow's input, never
// from the clock or a random source inside a retry.
//
// Each subpackage names the task queue each of its activities runs on (from
// workflows/taskqueue) and registers them itself: (*Activities).Register takes the
// workers by queue, so a worker process never has to know which step is heavy.
package activities
