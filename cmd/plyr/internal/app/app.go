// Package app is plyr's composition root: it builds the modules with their dependencies
// (modules.go), one HTTP handler for every route (http.go), and the Temporal workers
// with their activities and the housekeeping schedule (workers.go, housekeeping.go).
// cmd/plyr decides which of these a process runs (serve, worker, dev); the end-to-end
// tests run the same assembly in-process. It lives under cmd/plyr/internal so that only
// the binary can assemble modules: nothing else may import it.
//
// Nothing here opens connections: the caller passes the database pool, the Temporal
// client and the storage client in Infra, so the same App runs against the embedded
// development stack, the test environment, or production services.
package app

import (
	"log/slog"
	"net/http"
	"time"

	atid "github.com/bluesky-social/indigo/atproto/identity"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"

	"github.com/plyrfm/plyr/internal/platform/config"
	"github.com/plyrfm/plyr/internal/platform/metrics"
	"github.com/plyrfm/plyr/internal/platform/sealed"
	"github.com/plyrfm/plyr/internal/platform/storage"
	"github.com/plyrfm/plyr/lexicons"
	"github.com/plyrfm/plyr/modules/catalog"
	"github.com/plyrfm/plyr/modules/identity"
	"github.com/plyrfm/plyr/modules/legal"
	"github.com/plyrfm/plyr/modules/media"
	"github.com/plyrfm/plyr/modules/sharing"
	"github.com/plyrfm/plyr/modules/subsonic"
)

// Infra are the connections the App works through.
type Infra struct {
	DB       *pgxpool.Pool
	Temporal client.Client
	Storage  *storage.Client
	// PrivateStorage is the private bucket: the audio of supporter-only tracks, exports.
	PrivateStorage *storage.Client
	// AtprotofansClient reaches atprotofans (config Media.AtprotofansURL); nil means an
	// SSRF-safe, size-capped client (tests reach a fake on loopback with their own).
	AtprotofansClient *http.Client
	// AuddClient reaches AudD (config Legal.AuddURL); nil means a client with a timeout
	// (tests reach a fake on loopback).
	AuddClient *http.Client
	// ChatSender sends DMs from the platform account; nil means one built from config
	// Legal.PlatformHandle and PlatformPassword (none without them: DMs are off).
	ChatSender legal.Sender
	// Keys seal OAuth tokens at rest; required (operator commands use identity.NewOperator).
	Keys *sealed.Keyring
	// ATProto is plyr's outbound ATProto: in production an SSRF-safe client and a directory
	// on it (internal/platform/atproto); in development and tests, the reference PDS's.
	ATProto ATProto
}

// ATProto is how plyr reaches ATProto services.
type ATProto struct {
	HTTPClient *http.Client
	Directory  atid.Directory
	// AllowLoopbackPDS accepts a PDS at http://localhost (the development PDS only).
	AllowLoopbackPDS bool
}

// App is plyr assembled.
type App struct {
	cfg     config.Config
	infra   Infra
	logger  *slog.Logger
	metrics *metrics.Metrics

	identity *identity.Module
	catalog  *catalog.Module
	media    *media.Module
	legal    *legal.Module
	sharing  *sharing.Module
	subsonic *subsonic.Module

	// namespace prefixes plyr's collections; lexicons validates records before they leave.
	namespace string
	lexicons  *lexicons.Validator

	handler http.Handler
	// started is when New ran: the startup cleanup removes nothing newer.
	started time.Time
	// operator serves /metrics, /readyz and /healthz on their own listener; nil when
	// cfg.OperatorAddr is empty and handler serves them.
	operator http.Handler
}

// New builds the modules and the HTTP handler; RunWorkers builds the workers.
func New(cfg config.Config, infra Infra, logger *slog.Logger, m *metrics.Metrics) (*App, error) {
	a := &App{cfg: cfg, infra: infra, logger: logger, metrics: m, started: time.Now()}
	if err := a.buildModules(); err != nil {
		return nil, err
	}
	if err := a.buildHTTP(); err != nil {
		return nil, err
	}
	return a, nil
}

// Identity is the identity module, for operator commands.
func (a *App) Identity() *identity.Module { return a.identity }

// Catalog is the catalog module, for benchmarks that drive it directly.
func (a *App) Catalog() *catalog.Module { return a.catalog }

// Media is the media module (for tests and operator commands).
func (a *App) Media() *media.Module { return a.media }

// Legal is the legal module (for tests).
func (a *App) Legal() *legal.Module { return a.legal }

// Sharing is the sharing module (for tests).
func (a *App) Sharing() *sharing.Module { return a.sharing }

// Close releases what the modules hold beyond requests (the catalog's listening
// connection for queue changes). Call it once the HTTP server has stopped.
func (a *App) Close() { a.catalog.Close() }
