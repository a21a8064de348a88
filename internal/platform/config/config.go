// Package config reads plyr's configuration from the environment, once, into a typed
// Config. Every variable is listed in Vars with its default and meaning; the README's
// configuration table is that list.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Config is everything plyr reads from its environment.
type Config struct {
	// DataDir holds the embedded development stack's state (PostgreSQL, Temporal, S3).
	DataDir string
	// HTTPAddr is where the API listens.
	HTTPAddr string
	// OperatorAddr, when set, is a second listener for /metrics and /readyz (and /healthz),
	// which the public listener then no longer serves /metrics and /readyz on.
	OperatorAddr string
	// LogLevel is debug, info, warn or error.
	LogLevel string
	// ShutdownTimeout bounds each component's clean stop.
	ShutdownTimeout time.Duration

	// DatabaseURL is an external PostgreSQL; empty in dev means the embedded cluster.
	DatabaseURL string
	// DatabaseMaxConns sizes each process's connection pool (PLYR_DB_MAX_CONNS).
	DatabaseMaxConns int

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

	// RateLimits bound how often one client address or one account may start sign-ins,
	// upload, and call procedures that change state.
	RateLimits RateLimits

	// Housekeeping configures the removal of what has outlived its use.
	Housekeeping Housekeeping

	// Records configures the writing of records to users' PDSes.
	Records Records

	// Site is what the deployment tells its users about itself.
	Site Site

	// Legal configures copyright scans, moderation DMs and reports.
	Legal Legal

	// Identity configures ATProto sign-in and sessions.
	Identity Identity
}

// Housekeeping configures the removal of what has outlived its use: the Temporal
// schedule of workflows/housekeeping, and the sweep workers run when they start.
type Housekeeping struct {
	// Interval is how often the schedule runs.
	Interval time.Duration
	// StartupGrace: when workers start, incomplete multipart uploads and staging objects
	// older than this are removed (a process killed mid-upload leaves them). An upload
	// still arriving at another plyr process must be younger. 0 removes everything from
	// before this process started, for a process that is alone with its storage (plyr dev).
	StartupGrace time.Duration
}

// Legal configures copyright scans, moderation DMs and reports.
type Legal struct {
	// AuddToken turns copyright scans on (AudD's enterprise API); "" leaves them off.
	AuddToken string
	// AuddURL is AudD's endpoint.
	AuddURL string
	// CopyrightThresholdPct is the share of matched segments at which the dominant match
	// flags a track for review.
	CopyrightThresholdPct int
	// RepeatInfringerThreshold is the count of copyright takedowns at which the admin is
	// told about an artist.
	RepeatInfringerThreshold int
	// ReportsPerHour bounds the reports one account may file an hour.
	ReportsPerHour int
	// PlatformHandle and PlatformPassword (an app password) are the account plyr sends
	// DMs from; either unset turns DMs off.
	PlatformHandle, PlatformPassword string
	// ChatServiceDID is the chat service the platform account's PDS proxies DMs to.
	ChatServiceDID string
	// ModerationAdminDID receives the admin's DMs; unset: the first of AdminDIDs.
	ModerationAdminDID string
	// NoticeRetryInterval and ScanRetryInterval, when set, replace the first wait between
	// tries of a DM and of a scan (and cap the later ones at ten times it): tests shorten
	// them; no variable sets them.
	NoticeRetryInterval, ScanRetryInterval time.Duration
}

// Site is what the deployment tells its users about itself (GetConfig).
type Site struct {
	ContactEmail, PrivacyEmail, DMCAEmail string
}

// Records configures the writing of records to users' PDSes (the recordsync workflow).
type Records struct {
	// WriteAttempts is how often a record's write is tried (1 s, doubling to at most 5 min
	// between tries) before the record shows failed: network; 0 means the default, 12
	// (about twenty minutes).
	WriteAttempts int
	// WriteTimeout bounds one try: a worker that died during a write is given up, and the
	// write retried elsewhere, after this long.
	WriteTimeout time.Duration
	// BlobAttempts is how often one track's audio upload to a PDS is tried in a
	// migration (2 s, doubling to at most 1 min between tries); 0 means 6.
	BlobAttempts int
}

// Identity configures ATProto sign-in and sessions.
type Identity struct {
	// PublicURL is where browsers reach plyr; OAuth comes back to PublicURL/auth/callback.
	PublicURL string
	// Namespace prefixes plyr's record types and permission set.
	Namespace string
	// SessionKeys seal OAuth tokens at rest: "id:base64key,…", the first seals.
	SessionKeys string
	// OAuthClientKey (a multibase P-256 private key) makes plyr a confidential client.
	OAuthClientKey   string
	OAuthClientKeyID string
	// SessionTTL bounds a browser session.
	SessionTTL time.Duration
	// AdminDIDs may use the administrators' procedures.
	AdminDIDs []string
	// TealNamespaces are the teal.fm namespaces scrobbles go to, the preferred first.
	TealNamespaces []string
	// AccountCreation offers creating accounts on PDSOptions.
	AccountCreation bool
	// PDSOptions is the JSON list of PDS hosts offered for new accounts.
	PDSOptions []PDSOption
	// PLCURL is the PLC directory.
	PLCURL string
	// DevPDS makes `plyr dev` start the reference PDS with demo accounts.
	DevPDS bool
}

// PDSOption is a PDS offered for new accounts.
type PDSOption struct {
	Name        string `json:"name"`
	URL         string `json:"url"`
	Recommended bool   `json:"recommended"`
	Description string `json:"description"`
}

// defaultPDSOptions offers one community PDS, as plyr.fm does.
const defaultPDSOptions = `[{"name":"selfhosted.social","url":"https://selfhosted.social","recommended":true,` +
	`"description":"A community-run PDS open for sign-ups."}]`

// S3 locates the bucket.
type S3 struct {
	Endpoint       string
	PublicEndpoint string
	Region         string
	Bucket         string
	// PrivateBucket holds the audio of tracks for supporters only: never made public, read
	// only through short-lived presigned URLs given to the artist and their supporters.
	PrivateBucket   string
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
	// MaxUploadsPerAccount bounds one account's upload bodies streamed at once, so that one
	// account cannot hold every slot (0: the media module's default, 2).
	MaxUploadsPerAccount int
	// UploadIdleTimeout cuts off an upload body that sends nothing for this long (0: 30s).
	UploadIdleTimeout time.Duration
	// UploadMinKiBps cuts off an upload body averaging fewer KiB/s than this once
	// UploadRateGrace has passed; 0 means no minimum.
	UploadMinKiBps int
	// UploadRateGrace is how long an upload body may start slowly (0: 30s).
	UploadRateGrace time.Duration
	// Concurrency bounds ffmpeg work per worker process.
	Concurrency int
	// MinDecodeSpeed is the slowest acceptable decode of an upload, in times real time; a
	// file that decodes slower (plus a 30 s grace) is refused.
	MinDecodeSpeed float64
	// AudioURLTTL is how long a presigned audio URL stays valid.
	AudioURLTTL time.Duration
	// TempDir is where workers put files they inspect.
	TempDir string
	// AtprotofansURL is where supporters of gated tracks are checked.
	AtprotofansURL string
	// BlobTimeout bounds one try of an audio upload to a PDS (plus a second per 512 KiB).
	BlobTimeout time.Duration
}

// Rate allows Events requests at once, refilled at Events per Per: "10/1m" lets a quiet
// client make ten requests at once, then one every six seconds. The zero Rate is no limit.
// It converts to ratelimit.Limit.
type Rate struct {
	Events int
	Per    time.Duration
}

// RateLimits configure internal/platform/ratelimit. Each limit is kept per client address
// and, for requests with a signed-in caller, per account (DID).
type RateLimits struct {
	// SignInPerAddr and SignInPerAccount limit sign-in starts (/auth/start): each costs
	// plyr outbound lookups and an authorization request.
	SignInPerAddr, SignInPerAccount Rate
	// UploadPerAddr and UploadPerAccount limit POST /upload.
	UploadPerAddr, UploadPerAccount Rate
	// WritePerAddr and WritePerAccount limit every Connect procedure that may change state
	// (all but those declared NO_SIDE_EFFECTS).
	WritePerAddr, WritePerAccount Rate
	// TrustedProxies are the proxies in front of plyr whose ClientIPHeader is believed;
	// empty means the connection's address is the client's.
	TrustedProxies []netip.Prefix
	// ClientIPHeader carries the client's address through TrustedProxies.
	ClientIPHeader string
}

// Var documents one environment variable.
type Var struct {
	Name, Default, Meaning string
}

// Vars lists every variable plyr reads, for the README and `plyr help`.
var Vars = []Var{
	{"PLYR_DATA_DIR", ".data", "State of the embedded dev stack: pg/, temporal.db, s3/."},
	{"PLYR_HTTP_ADDR", "127.0.0.1:8080", "API, uploads, audio and /healthz; also /readyz and /metrics unless PLYR_OPERATOR_ADDR is set."},
	{"PLYR_OPERATOR_ADDR", "", "Operator listener for /metrics, /readyz and /healthz (e.g. 127.0.0.1:9090); when set, the public listener stops serving /metrics and /readyz. Keep it off the internet."},
	{"PLYR_LOG_LEVEL", "info", "debug, info, warn or error (JSON logs on stderr)."},
	{"PLYR_SHUTDOWN_TIMEOUT", "10s", "Bound on each component's clean stop."},
	{"DATABASE_URL", "", "External PostgreSQL (postgres://…). Unset in dev: a private cluster under the data dir."},
	{"PLYR_DB_MAX_CONNS", "16", "Connections in each process's database pool. plyr holds none across network I/O, so a small pool serves many requests."},
	{"TEMPORAL_ADDRESS", "", "External Temporal frontend (host:port). Unset in dev: an embedded server."},
	{"TEMPORAL_NAMESPACE", "default", "Temporal namespace for plyr's workflows."},
	{"PLYR_TEMPORAL_UI_ADDR", "127.0.0.1:8233", "Temporal Web UI of the embedded server (dev)."},
	{"PLYR_DEV_TEMPORAL_ADDR", "127.0.0.1:7233", "Embedded Temporal frontend (dev)."},
	{"S3_ENDPOINT", "", "External S3/R2 endpoint URL. Unset in dev: an embedded versitygw."},
	{"S3_PUBLIC_ENDPOINT", "", "Endpoint written into presigned audio URLs, when clients reach storage by another name."},
	{"S3_REGION", "auto", "S3 region (R2: auto)."},
	{"S3_BUCKET", "plyr", "Bucket for audio."},
	{"S3_PRIVATE_BUCKET", "plyr-private", "Bucket for the audio of supporter-only tracks and exports; never public."},
	{"S3_ACCESS_KEY_ID", "", "S3 credentials (required with S3_ENDPOINT)."},
	{"S3_SECRET_ACCESS_KEY", "", "S3 credentials (required with S3_ENDPOINT)."},
	{"PLYR_DEV_S3_ADDR", "127.0.0.1:0", "Embedded S3 server (dev); port 0 picks a free one."},
	{"PLYR_DEV_PG_PORT", "0", "Embedded PostgreSQL port (dev); 0 reuses the last port or picks a free one."},
	{"PLYR_PG_BIN", "", "Directory with initdb and pg_ctl; unset searches /usr/lib/postgresql/*/bin and PATH."},
	{"PLYR_MAX_UPLOAD_MB", "1536", "Largest audio upload, in MiB; larger bodies get 413."},
	{"PLYR_MAX_DURATION", "6h", "Longest audio accepted."},
	{"PLYR_MAX_CONCURRENT_UPLOADS", "8", "Upload bodies streamed at once; more wait briefly, then get 503."},
	{"PLYR_MAX_UPLOADS_PER_ACCOUNT", "2", "Upload bodies one account may stream at once; more get 429 with Retry-After."},
	{"PLYR_UPLOAD_IDLE_TIMEOUT", "30s", "An upload body that sends nothing for this long is cut off with 408."},
	{"PLYR_UPLOAD_MIN_KIBPS", "16", "An upload body averaging fewer KiB/s than this after PLYR_UPLOAD_RATE_GRACE is cut off with 408; 0: no minimum."},
	{"PLYR_UPLOAD_RATE_GRACE", "30s", "How long an upload body may start slowly before PLYR_UPLOAD_MIN_KIBPS applies."},
	{"PLYR_RATE_SIGNIN_ADDR", "10/1m", "Sign-in starts per client address: N/duration allows N at once, refilled at N per duration; 0: no limit. Over it: 429 with Retry-After."},
	{"PLYR_RATE_SIGNIN_ACCOUNT", "10/1m", "Sign-in starts per signed-in account (adding an account, upgrading scopes); 0: no limit."},
	{"PLYR_RATE_UPLOAD_ADDR", "120/1h", "POST /upload per client address; 0: no limit."},
	{"PLYR_RATE_UPLOAD_ACCOUNT", "60/1h", "POST /upload per account; 0: no limit."},
	{"PLYR_RATE_WRITE_ADDR", "300/1m", "Calls per client address to RPCs that change state (all but NO_SIDE_EFFECTS ones); 0: no limit."},
	{"PLYR_RATE_WRITE_ACCOUNT", "120/1m", "Calls per account to RPCs that change state; 0: no limit."},
	{"PLYR_CONTACT_EMAIL", "", "Contact address clients show (GetConfig)."},
	{"PLYR_PRIVACY_EMAIL", "", "Privacy contact address clients show (GetConfig)."},
	{"PLYR_DMCA_EMAIL", "", "Copyright (DMCA) contact address clients show (GetConfig)."},
	{"PLYR_RECORD_WRITE_ATTEMPTS", "12", "Tries of one record write on a PDS (1 s doubling to 5 min apart, about 20 min) before the record shows failed: network."},
	{"PLYR_RECORD_WRITE_TIMEOUT", "30s", "Bound on one try of a record write; a worker that died mid-write is given up after this."},
	{"PLYR_PDS_BLOB_ATTEMPTS", "6", "Tries of one track's audio upload to a PDS in a migration (2 s doubling to 1 min apart) before the track shows failed."},
	{"PLYR_TRUSTED_PROXIES", "", "Comma-separated CIDRs of the proxies in front of plyr; only requests from them have PLYR_CLIENT_IP_HEADER believed. Unset: the connection's address is the client."},
	{"PLYR_CLIENT_IP_HEADER", "X-Forwarded-For", "Header carrying the client's address through PLYR_TRUSTED_PROXIES (read from the right, skipping trusted hops); e.g. CF-Connecting-IP."},
	{"PLYR_MEDIA_CONCURRENCY", "number of CPUs", "ffmpeg jobs at once per worker process."},
	{"PLYR_MIN_DECODE_SPEED", "10", "Slowest acceptable decode of an upload, in times real time (plus 30 s); slower files are refused."},
	{"PLYR_AUDIO_URL_TTL", "15m", "Lifetime of the presigned URL /audio redirects to."},
	{"PLYR_TMP_DIR", "system temp dir", "Where workers put files they inspect."},
	{"PLYR_ATPROTOFANS_URL", "https://atprotofans.com", "atprotofans, which says who supports an artist (supporter-only tracks)."},
	{"PLYR_PDS_BLOB_TIMEOUT", "2m", "Bound on one try of an audio upload to a PDS, plus a second per 512 KiB; a PDS that hangs is given up and tried again."},
	{"PLYR_AUDD_TOKEN", "", "AudD enterprise API token: turns copyright scans of new tracks on. Unset: scans are off (the admin view says so)."},
	{"PLYR_AUDD_URL", "https://enterprise.audd.io/", "AudD's endpoint."},
	{"PLYR_COPYRIGHT_THRESHOLD", "30", "Share (%) of a scan's matched segments at which its most frequent match flags the track for an admin's review. A flag never takes anything down by itself."},
	{"PLYR_REPEAT_INFRINGER_THRESHOLD", "3", "Copyright takedowns of one artist at which the admin is sent a DM."},
	{"PLYR_REPORTS_PER_HOUR", "10", "Reports one account may file an hour; more get RESOURCE_EXHAUSTED."},
	{"PLYR_PLATFORM_HANDLE", "", "Handle (or DID) of the account plyr sends DMs from (notices to artists, alerts to the admin). Unset: no DMs."},
	{"PLYR_PLATFORM_PASSWORD", "", "App password of PLYR_PLATFORM_HANDLE. Never logged."},
	{"PLYR_CHAT_SERVICE_DID", "did:web:api.bsky.chat", "Chat service the platform account's PDS proxies DMs to."},
	{"PLYR_MODERATION_ADMIN_DID", "first of PLYR_ADMIN_DIDS", "Account that receives the admin's DMs (flags, reports, repeat infringers)."},
	{"PLYR_HOUSEKEEPING_INTERVAL", "15m", "How often the housekeeping schedule (Temporal UI: housekeeping) removes expired sessions, stale sign-ins, leftover staging objects, incomplete multipart uploads and inspection temp files."},
	{"PLYR_HOUSEKEEPING_STARTUP_GRACE", "1h", "At worker start, incomplete multipart uploads and staging objects older than this are removed; keep it longer than an upload to another plyr process may take. plyr dev uses 0 with its own storage."},
	{"PLYR_PUBLIC_URL", "http://<PLYR_HTTP_ADDR> on loopback", "Where browsers reach plyr; OAuth returns to <url>/auth/callback. Required off loopback (https)."},
	{"PLYR_ATPROTO_NAMESPACE", "fm.plyr", "NSID prefix of plyr's records and of the permission set users grant."},
	{"PLYR_SESSION_KEYS", "", "Keys sealing OAuth tokens at rest: id:base64(32 bytes), comma-separated, the first seals. Required for serve and worker; plyr dev makes one."},
	{"PLYR_OAUTH_CLIENT_KEY", "", "Multibase P-256 private key: makes plyr a confidential OAuth client (longer grants). Needs an https public URL."},
	{"PLYR_OAUTH_CLIENT_KEY_ID", "plyr-1", "Key id of PLYR_OAUTH_CLIENT_KEY in the published JWKS."},
	{"PLYR_SESSION_TTL", "336h", "Longest a browser session lasts (its grant may end it sooner)."},
	{"PLYR_ADMIN_DIDS", "", "Comma-separated DIDs of administrators."},
	{"PLYR_TEAL_NAMESPACES", "fm.teal,fm.teal.alpha", "teal.fm namespaces scrobbles are written in, the preferred first: turning scrobbling on asks for the first (<ns>.feed.play and <ns>.actor.status); a listener whose grant allows a later one scrobbles there."},
	{"PLYR_ACCOUNT_CREATION", "true", "Offer creating accounts on PLYR_PDS_OPTIONS."},
	{"PLYR_PDS_OPTIONS", "selfhosted.social", "JSON list of {name,url,recommended,description}: the PDS hosts offered for new accounts; no other is accepted."},
	{"PLYR_PLC_URL", "https://plc.directory", "PLC directory for did:plc resolution."},
	{"PLYR_DEV_PDS", "false", "plyr dev only: start the reference PDS (make pds-harness) with demo accounts, to sign in offline."},
}

// FromEnv reads the configuration from the process environment.
func FromEnv() (Config, error) { return Parse(os.Getenv) }

// Parse reads the configuration through getenv; tests pass their own.
func Parse(getenv func(string) string) (Config, error) {
	p := parser{getenv: getenv}
	c := Config{
		DataDir:           p.str("PLYR_DATA_DIR", ".data"),
		HTTPAddr:          p.str("PLYR_HTTP_ADDR", "127.0.0.1:8080"),
		OperatorAddr:      p.str("PLYR_OPERATOR_ADDR", ""),
		LogLevel:          p.str("PLYR_LOG_LEVEL", "info"),
		ShutdownTimeout:   p.duration("PLYR_SHUTDOWN_TIMEOUT", 10*time.Second),
		DatabaseURL:       p.str("DATABASE_URL", ""),
		DatabaseMaxConns:  p.int("PLYR_DB_MAX_CONNS", 16),
		TemporalAddress:   p.str("TEMPORAL_ADDRESS", ""),
		TemporalNamespace: p.str("TEMPORAL_NAMESPACE", "default"),
		TemporalUIAddr:    p.str("PLYR_TEMPORAL_UI_ADDR", "127.0.0.1:8233"),
		DevTemporalAddr:   p.str("PLYR_DEV_TEMPORAL_ADDR", "127.0.0.1:7233"),
		S3: S3{
			Endpoint:        p.str("S3_ENDPOINT", ""),
			PublicEndpoint:  p.str("S3_PUBLIC_ENDPOINT", ""),
			Region:          p.str("S3_REGION", "auto"),
			Bucket:          p.str("S3_BUCKET", "plyr"),
			PrivateBucket:   p.str("S3_PRIVATE_BUCKET", "plyr-private"),
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
			MaxUploadsPerAccount: p.int("PLYR_MAX_UPLOADS_PER_ACCOUNT", 2),
			UploadIdleTimeout:    p.duration("PLYR_UPLOAD_IDLE_TIMEOUT", 30*time.Second),
			UploadMinKiBps:       p.int("PLYR_UPLOAD_MIN_KIBPS", 16),
			UploadRateGrace:      p.duration("PLYR_UPLOAD_RATE_GRACE", 30*time.Second),
			Concurrency:          p.int("PLYR_MEDIA_CONCURRENCY", runtime.NumCPU()),
			MinDecodeSpeed:       float64(p.int("PLYR_MIN_DECODE_SPEED", 10)),
			AudioURLTTL:          p.duration("PLYR_AUDIO_URL_TTL", 15*time.Minute),
			TempDir:              p.str("PLYR_TMP_DIR", os.TempDir()),
			AtprotofansURL:       p.str("PLYR_ATPROTOFANS_URL", "https://atprotofans.com"),
			BlobTimeout:          p.duration("PLYR_PDS_BLOB_TIMEOUT", 2*time.Minute),
		},
		Legal: Legal{
			AuddToken:                p.str("PLYR_AUDD_TOKEN", ""),
			AuddURL:                  p.str("PLYR_AUDD_URL", "https://enterprise.audd.io/"),
			CopyrightThresholdPct:    p.int("PLYR_COPYRIGHT_THRESHOLD", 30),
			RepeatInfringerThreshold: p.int("PLYR_REPEAT_INFRINGER_THRESHOLD", 3),
			ReportsPerHour:           p.int("PLYR_REPORTS_PER_HOUR", 10),
			PlatformHandle:           p.str("PLYR_PLATFORM_HANDLE", ""),
			PlatformPassword:         p.str("PLYR_PLATFORM_PASSWORD", ""),
			ChatServiceDID:           p.str("PLYR_CHAT_SERVICE_DID", "did:web:api.bsky.chat"),
		},
		Housekeeping: Housekeeping{
			Interval:     p.duration("PLYR_HOUSEKEEPING_INTERVAL", 15*time.Minute),
			StartupGrace: p.duration("PLYR_HOUSEKEEPING_STARTUP_GRACE", time.Hour),
		},
		RateLimits: RateLimits{
			SignInPerAddr:    p.rate("PLYR_RATE_SIGNIN_ADDR", "10/1m"),
			SignInPerAccount: p.rate("PLYR_RATE_SIGNIN_ACCOUNT", "10/1m"),
			UploadPerAddr:    p.rate("PLYR_RATE_UPLOAD_ADDR", "120/1h"),
			UploadPerAccount: p.rate("PLYR_RATE_UPLOAD_ACCOUNT", "60/1h"),
			WritePerAddr:     p.rate("PLYR_RATE_WRITE_ADDR", "300/1m"),
			WritePerAccount:  p.rate("PLYR_RATE_WRITE_ACCOUNT", "120/1m"),
			TrustedProxies:   p.prefixes("PLYR_TRUSTED_PROXIES"),
			ClientIPHeader:   http.CanonicalHeaderKey(p.str("PLYR_CLIENT_IP_HEADER", "X-Forwarded-For")),
		},
		Site: Site{
			ContactEmail: p.str("PLYR_CONTACT_EMAIL", ""),
			PrivacyEmail: p.str("PLYR_PRIVACY_EMAIL", ""),
			DMCAEmail:    p.str("PLYR_DMCA_EMAIL", ""),
		},
		Records: Records{
			WriteAttempts: p.int("PLYR_RECORD_WRITE_ATTEMPTS", 12),
			WriteTimeout:  p.duration("PLYR_RECORD_WRITE_TIMEOUT", 30*time.Second),
			BlobAttempts:  p.int("PLYR_PDS_BLOB_ATTEMPTS", 6),
		},
		Identity: Identity{
			Namespace:        p.str("PLYR_ATPROTO_NAMESPACE", "fm.plyr"),
			SessionKeys:      p.str("PLYR_SESSION_KEYS", ""),
			OAuthClientKey:   p.str("PLYR_OAUTH_CLIENT_KEY", ""),
			OAuthClientKeyID: p.str("PLYR_OAUTH_CLIENT_KEY_ID", "plyr-1"),
			SessionTTL:       p.duration("PLYR_SESSION_TTL", 14*24*time.Hour),
			AdminDIDs:        p.list("PLYR_ADMIN_DIDS"),
			TealNamespaces:   p.list("PLYR_TEAL_NAMESPACES"),
			AccountCreation:  p.bool("PLYR_ACCOUNT_CREATION", true),
			PLCURL:           p.str("PLYR_PLC_URL", "https://plc.directory"),
			DevPDS:           p.bool("PLYR_DEV_PDS", false),
		},
	}
	c.Identity.PublicURL = p.str("PLYR_PUBLIC_URL", loopbackURL(c.HTTPAddr))
	c.Legal.ModerationAdminDID = p.str("PLYR_MODERATION_ADMIN_DID", "")
	if c.Legal.ModerationAdminDID == "" && len(c.Identity.AdminDIDs) > 0 {
		c.Legal.ModerationAdminDID = c.Identity.AdminDIDs[0]
	}
	if err := json.Unmarshal([]byte(p.str("PLYR_PDS_OPTIONS", defaultPDSOptions)), &c.Identity.PDSOptions); err != nil {
		p.fail(fmt.Errorf("PLYR_PDS_OPTIONS: not a JSON list of {name,url,recommended,description}: %w", err))
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
	if c.Media.MaxConcurrentUploads <= 0 || c.Media.Concurrency <= 0 || c.Media.MaxUploadsPerAccount <= 0 {
		errs = append(errs, errors.New("PLYR_MAX_CONCURRENT_UPLOADS, PLYR_MAX_UPLOADS_PER_ACCOUNT and PLYR_MEDIA_CONCURRENCY must be positive"))
	}
	if c.Media.UploadIdleTimeout <= 0 || c.Media.UploadRateGrace <= 0 || c.Media.UploadMinKiBps < 0 {
		errs = append(errs, errors.New("PLYR_UPLOAD_IDLE_TIMEOUT and PLYR_UPLOAD_RATE_GRACE must be positive, PLYR_UPLOAD_MIN_KIBPS at least 0"))
	}
	if c.Media.AudioURLTTL < time.Minute || c.Media.AudioURLTTL > 7*24*time.Hour {
		errs = append(errs, errors.New("PLYR_AUDIO_URL_TTL must be between 1m and 168h (the S3 presign limit)"))
	}
	if c.Housekeeping.Interval < time.Minute || c.Housekeeping.StartupGrace < 0 {
		errs = append(errs, errors.New("PLYR_HOUSEKEEPING_INTERVAL must be at least 1m, PLYR_HOUSEKEEPING_STARTUP_GRACE at least 0"))
	}
	if c.Identity.SessionTTL < time.Hour {
		errs = append(errs, errors.New("PLYR_SESSION_TTL must be at least 1h"))
	}
	for _, o := range c.Identity.PDSOptions {
		if u, err := url.Parse(o.URL); err != nil || u.Scheme != "https" || u.Host == "" {
			errs = append(errs, fmt.Errorf("PLYR_PDS_OPTIONS: %q is not an https URL", o.URL))
		}
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

func (p *parser) bool(name string, def bool) bool {
	v := p.getenv(name)
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		p.fail(fmt.Errorf("%s: %q is not true or false", name, v))
	}
	return b
}

// rate reads "N/duration" (10/1m); "0" is no limit.
func (p *parser) rate(name, def string) Rate {
	v := strings.TrimSpace(p.str(name, def))
	if v == "0" {
		return Rate{}
	}
	n, per, ok := strings.Cut(v, "/")
	events, errN := strconv.Atoi(strings.TrimSpace(n))
	d, errD := time.ParseDuration(strings.TrimSpace(per))
	if !ok || errN != nil || errD != nil || events < 0 || d <= 0 {
		p.fail(fmt.Errorf("%s: %q is not N/duration such as 10/1m, or 0 for no limit", name, v))
		return Rate{}
	}
	if events == 0 {
		return Rate{}
	}
	return Rate{Events: events, Per: d}
}

// prefixes reads a comma-separated list of CIDRs; a bare address is its own /32 or /128.
func (p *parser) prefixes(name string) []netip.Prefix {
	var out []netip.Prefix
	for _, item := range p.list(name) {
		if !strings.Contains(item, "/") {
			if addr, err := netip.ParseAddr(item); err == nil {
				out = append(out, netip.PrefixFrom(addr, addr.BitLen()))
				continue
			}
		}
		prefix, err := netip.ParsePrefix(item)
		if err != nil {
			p.fail(fmt.Errorf("%s: %q is not an address or a CIDR such as 10.0.0.0/8", name, item))
			continue
		}
		out = append(out, prefix.Masked())
	}
	return out
}

func (p *parser) list(name string) []string {
	var out []string
	for _, item := range strings.Split(p.getenv(name), ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func (p *parser) fail(err error) { p.err = errors.Join(p.err, err) }

// loopbackURL is http://addr when addr is a loopback address with a fixed port, where a
// browser on the same machine reaches plyr; otherwise "" (PLYR_PUBLIC_URL must be set).
func loopbackURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "0" {
		return ""
	}
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		return "http://" + addr
	}
	return ""
}
