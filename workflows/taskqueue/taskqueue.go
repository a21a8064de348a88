// Package taskqueue names plyr's Temporal task queues. It imports nothing, so that the
// workflows and the activity packages they schedule can all name a queue (package
// workflows re-exports these as workflows.TaskQueue and workflows.MediaTaskQueue, but it
// imports every workflow, which import the activities: they cannot import it back).
package taskqueue

const (
	// Main runs the workflows and their light steps: database rows, storage copies and
	// deletes, each a few milliseconds to seconds.
	Main = "plyr"
	// Media runs the heavy media steps (ffmpeg), with concurrency bounded per worker by
	// the cores it has.
	Media = "plyr-media"
)
