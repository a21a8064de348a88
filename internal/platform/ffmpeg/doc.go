// Package ffmpeg runs ffprobe and ffmpeg on local files for plyr's media steps (upload
// inspection today; transcoding and artwork later), so that every run is started the same
// careful way.
//
// # Design notes
//
// The files are uploads: hostile until proven otherwise. Every run therefore
//
//   - reads only the file it is given: the input is a file: URL, the demuxer is pinned to
//     the format content sniffing found (-f), and -protocol_whitelist file stops a playlist
//     or a reference inside the file from opening anything else (http, concat, subfile…);
//   - dies with its parent: on Linux the child gets SIGKILL when the worker dies (even by
//     kill -9), and it runs in a process group of its own that is killed whole when the
//     context ends, so no ffmpeg outlives the step that started it;
//   - keeps at most a few KiB of stderr, so a file that makes ffmpeg complain about every
//     frame cannot fill memory.
//
// Decode reports how far decoding got from ffmpeg's framecrc output (one line per decoded
// frame, with its timestamp and length), which is exact even when ffmpeg stops at a
// damaged frame a few milliseconds after it started. ffmpeg's -progress reports are timed
// (twice a second) and miss everything after the last report, so a truncated file that
// decoded 9 s used to be reported as failing at 0:00.
//
// A long file's decode can use two cores (DecodeOptions.Length): both runs keep the
// stream's own timestamps (-copyts), the second seeks to the middle of what is left, and
// the first stops only once it has decoded a second past the second's first frame, so
// the two runs cover every frame between them. A second run that finds nothing, or fails
// within its first second (where a decoder that has just seeked may stumble), is ignored
// and the first decodes to the end as if it were alone.
package ffmpeg
