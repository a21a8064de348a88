// Package config reads plyr's configuration from the environment, once, into a typed
// Config. Every variable is listed in Vars with its default and meaning; the README's
// configuration table is that list.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"
)

// Config is everything plyr reads from its environment.
type Config struct {
	// DataDir holds the embedded development stack's state (PostgreSQL, Temporal, S3).
	DataDir string
	// HTTPAddr is where the API listens.
	HTTPAddr string
	// LogLevel is debug, info, warn or error.
	LogLevel string
	// ShutdownTimeout bounds each component's clean stop.
	ShutdownTimeout time.Duration

	// DatabaseURL is an external PostgreSQL; empty in dev means the embedded cluster.
	DatabaseURL string

	// TemporalAddress is an external Temporal frontend; empty in dev means embedded.
	TemporalAddress string
	// TemporalNamespace is the namespace plyr's workflows run in.
	TemporalNamespace string
	// TemporalUIAddr is where `plyr dev` serves the Temporal Web UI.
	TemporalUIAddr string
	// DevTemporalAddr is where `plyr dev` binds the embedded Temporal frontend.
	DevTemporalAddr string

	// S3 is the object storage; an empty endpoint in dev means the embedded server.
	S3 S3
	// DevS3Addr is where `plyr dev` binds the embedded S3 server (port 0: pick a free one).
	DevS3Addr string
	// DevPostgresPort is the embedded cluster's port (0: reuse the last one, or pick a free one).
	DevPostgresPort int
	// PostgresBinDir holds initdb and pg_ctl; empty means search the usual places.
	PostgresBinDir string

	// Media are the limits and knobs of audio handling.
	Media Media
}

// S3 locates the bucket.
type S3 struct {
	Endpoint        string
	PublicEndpoint  string
	Region          string
	Bucket          string
	AccessKeyID     string
	SecretAccessKey string
}

// Media holds upload and playback limits.
type Media struct {
	// MaxUploadBytes is the largest audio file accepted.
	MaxUploadBytes int64
	// MaxDuration is the longest audio accepted.
	MaxDuration time.Duration
	// MaxConcurrentUploads bounds upload bodies streamed at once (each holds two 8 MiB buffers).
	MaxConcurrentUploads int
	// Concurrency bounds ffmpeg work per worker process.
	Concurrency int
	// AudioURLTTL is how long a presigned audio URL stays valid.
	AudioURLTTL time.Duration
	// TempDir is where workers put files they inspect.
	TempDir string
}

// Var documents one environment variable.
type Var struct {
	Name, Default, Meaning string
}

// Vars lists every variable plyr reads, for the README and `plyr help`.
var Vars = []Var{
	{"PLYR_DATA_DIR", ".data", "State of the embedded dev stack: pg/, temporal.db, s3/."},
	{"PLYR_HTTP_ADDR", "127.0.0.1:8080", "API, uploads, audio, health and metrics."},
	{"PLYR_LOG_LEVEL", "info", "debug, info, warn or error (JSON logs on stderr)."},
	{"PLYR_SHUTDOWN_TIMEOUT", "10s", "Bound on each component's clean stop."},
	{"DATABASE_URL", "", "External PostgreSQL (postgres://…). Unset in dev: a private cluster under the data dir."},
	{"TEMPORAL_ADDRESS", "", "External Temporal frontend (host:port). Unset in dev: an embedded server."},
	{"TEMPORAL_NAMESPACE", "default", "Temporal namespace for plyr's workflows."},
	{"PLYR_TEMPORAL_UI_ADDR", "127.0.0.1:8233", "Temporal Web UI of the embedded server (dev)."},
	{"PLYR_DEV_TEMPORAL_ADDR", "127.0.0.1:7233", "Embedded Temporal frontend (dev)."},
	{"S3_ENDPOINT", "", "External S3/R2 endpoint URL. Unset in dev: an embedded versitygw."},
	{"S3_PUBLIC_ENDPOINT", "", "Endpoint written into presigned audio URLs, when clients reach storage by another name."},
	{"S3_REGION", "auto", "S3 region (R2: auto)."},
	{"S3_BUCKET", "plyr", "Bucket for audio."},
	{"S3_ACCESS_KEY_ID", "", "S3 credentials (required with S3_ENDPOINT)."},
	{"S3_SECRET_ACCESS_KEY", "", "S3 credentials (required with S3_ENDPOINT)."},
	{"PLYR_DEV_S3_ADDR", "127.0.0.1:0", "Embedded S3 server (dev); port 0 picks a free one."},
	{"PLYR_DEV_PG_PORT", "0", "Embedded PostgreSQL port (dev); 0 reuses the last port or picks a free one."},
	{"PLYR_PG_BIN", "", "Directory with initdb and pg_ctl; unset searches /usr/lib/postgresql/*/bin and PATH."},
	{"PLYR_MAX_UPLOAD_MB", "1536", "Largest audio upload, in MiB; larger bodies get 413."},
	{"PLYR_MAX_DURATION", "6h", "Longest audio accepted."},
	{"PLYR_MAX_CONCURRENT_UPLOADS", "8", "Upload bodies streamed at once; more wait briefly, then get 503."},
	{"PLYR_MEDIA_CONCURRENCY", "number of CPUs", "ffmpeg jobs at once per worker process."},
	{"PLYR_AUDIO_URL_TTL", "15m", "Lifetime of the presigned URL /audio redirects to."},
	{"PLYR_TMP_DIR", "system temp dir", "Where workers put files they inspect."},
}

// FromEnv reads the configuration from the process environment.
func FromEnv() (Config, error) { return Parse(os.Getenv) }

// Parse reads the configuration through getenv; tests pass their own.
func Parse(getenv func(string) string) (Config, error) {
	p := parser{getenv: getenv}
	c := Config{
		DataDir:           p.str("PLYR_DATA_DIR", ".data"),
		HTTPAddr:          p.str("PLYR_HTTP_ADDR", "127.0.0.1:8080"),
		LogLevel:          p.str("PLYR_LOG_LEVEL", "info"),
		ShutdownTimeout:   p.duration("PLYR_SHUTDOWN_TIMEOUT", 10*time.Second),
		DatabaseURL:       p.str("DATABASE_URL", ""),
		TemporalAddress:   p.str("TEMPORAL_ADDRESS", ""),
		TemporalNamespace: p.str("TEMPORAL_NAMESPACE", "default"),
		TemporalUIAddr:    p.str("PLYR_TEMPORAL_UI_ADDR", "127.0.0.1:8233"),
		DevTemporalAddr:   p.str("PLYR_DEV_TEMPORAL_ADDR", "127.0.0.1:7233"),
		S3: S3{
			Endpoint:        p.str("S3_ENDPOINT", ""),
			PublicEndpoint:  p.str("S3_PUBLIC_ENDPOINT", ""),
			Region:          p.str("S3_REGION", "auto"),
			Bucket:          p.str("S3_BUCKET", "plyr"),
			AccessKeyID:     p.str("S3_ACCESS_KEY_ID", ""),
			SecretAccessKey: p.str("S3_SECRET_ACCESS_KEY", ""),
		},
		DevS3Addr:       p.str("PLYR_DEV_S3_ADDR", "127.0.0.1:0"),
		DevPostgresPort: p.int("PLYR_DEV_PG_PORT", 0),
		PostgresBinDir:  p.str("PLYR_PG_BIN", ""),
		Media: Media{
			MaxUploadBytes:       int64(p.int("PLYR_MAX_UPLOAD_MB", 1536)) << 20,
			MaxDuration:          p.duration("PLYR_MAX_DURATION", 6*time.Hour),
			MaxConcurrentUploads: p.int("PLYR_MAX_CONCURRENT_UPLOADS", 8),
			Concurrency:          p.int("PLYR_MEDIA_CONCURRENCY", runtime.NumCPU()),
			AudioURLTTL:          p.duration("PLYR_AUDIO_URL_TTL", 15*time.Minute),
			TempDir:              p.str("PLYR_TMP_DIR", os.TempDir()),
		},
	}
	if p.err != nil {
		return Config{}, p.err
	}
	if err := c.validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

func (c *Config) validate() error {
	var errs []error
	if c.S3.Endpoint != "" && (c.S3.AccessKeyID == "" || c.S3.SecretAccessKey == "") {
		errs = append(errs, errors.New("S3_ENDPOINT is set: S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY are required"))
	}
	if c.Media.MaxUploadBytes <= 0 {
		errs = append(errs, errors.New("PLYR_MAX_UPLOAD_MB must be positive"))
	}
	if c.Media.MaxDuration <= 0 {
		errs = append(errs, errors.New("PLYR_MAX_DURATION must be positive"))
	}
	if c.Media.MaxConcurrentUploads <= 0 || c.Media.Concurrency <= 0 {
		errs = append(errs, errors.New("PLYR_MAX_CONCURRENT_UPLOADS and PLYR_MEDIA_CONCURRENCY must be positive"))
	}
	if c.Media.AudioURLTTL < time.Minute || c.Media.AudioURLTTL > 7*24*time.Hour {
		errs = append(errs, errors.New("PLYR_AUDIO_URL_TTL must be between 1m and 168h (the S3 presign limit)"))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("PLYR_SHUTDOWN_TIMEOUT must be positive"))
	}
	return errors.Join(errs...)
}

// AbsDataDir is DataDir made absolute, for the components that need a stable path.
func (c *Config) AbsDataDir() (string, error) { return filepath.Abs(c.DataDir) }

type parser struct {
	getenv func(string) string
	err    error
}

func (p *parser) str(name, def string) string {
	if v := p.getenv(name); v != "" {
		return v
	}
	return def
}

func (p *parser) int(name string, def int) int {
	v := p.getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		p.fail(fmt.Errorf("%s: %q is not a whole number", name, v))
	}
	return n
}

func (p *parser) duration(name string, def time.Duration) time.Duration {
	v := p.getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		p.fail(fmt.Errorf("%s: %q is not a duration such as 90s or 15m", name, v))
	}
	return d
}

func (p *parser) fail(err error) { p.err = errors.Join(p.err, err) }
