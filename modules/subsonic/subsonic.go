// Package subsonic serves the Subsonic API (1.16.1) with the OpenSubsonic extensions at
// /rest, so that the music apps people already use (Symfonium, DSub, Ultrasonic, Amperfy,
// Substreamer, Feishin…) browse, stream, star, scrobble and keep playlists and a play
// queue in plyr.
//
// It owns no data. Every method is a translation: the catalog's services and library
// reads answer what to show (as they answer the web client, for the same caller), the
// media module decides who may hear which file, and a counted play reaches teal.fm the
// way a web play does. Ids are strings that say their kind (internal/ids); the wire
// format, XML and JSON alike, is internal/wire.
//
// # Authentication
//
// A Subsonic app signs in with a plyr developer token: as the apiKey parameter
// (OpenSubsonic's apiKeyAuthentication), or as the password of u (the account's handle)
// and p (plain or "enc:" hex), for apps that know no other way. Token authentication
// (t and s, an MD5 of a stored password) answers error 41: plyr keeps no password to hash.
// Browser sessions never authenticate here, cookie or not: Subsonic changes state with
// GET, which a cookie must never be allowed to do.
package subsonic

import (
	"context"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"connectrpc.com/connect"

	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	"github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1/catalogv1connect"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/subsonic/internal/wire"

	"github.com/google/uuid"
)

// Services are the catalog's services the API calls, as Go calls for the caller in ctx.
type Services interface {
	catalogv1connect.CatalogServiceHandler
	catalogv1connect.LikeServiceHandler
	catalogv1connect.PlaylistServiceHandler
	catalogv1connect.PlayServiceHandler
	catalogv1connect.SearchServiceHandler
	catalogv1connect.QueueServiceHandler
}

// Library is the catalog's library reads (whole-catalog listings by offset).
type Library interface {
	LibraryTracks(ctx context.Context, q TrackQuery) ([]*catalogv1.Track, error)
	LibrarySingles(ctx context.Context, artistDID string) ([]*catalogv1.Track, error)
	LibraryRandomTracks(ctx context.Context, tag string, limit int) ([]*catalogv1.Track, error)
	LibraryTopTracks(ctx context.Context, artistDID string, limit int) ([]*catalogv1.Track, error)
	LibraryArtists(ctx context.Context, artistDID string) ([]Artist, error)
	LibraryAlbums(ctx context.Context, q AlbumQuery) ([]Album, error)
	LibraryGenres(ctx context.Context) ([]Genre, error)
	LibraryNowPlaying(ctx context.Context) ([]NowPlaying, error)
	Queue(ctx context.Context, did string) (Queue, error)
	SaveQueue(ctx context.Context, did string, trackIDs []string, current int32, positionMs int64) error
}

// TrackQuery selects shown tracks oldest first: one artist's or one tag's, from Skip on.
type TrackQuery struct {
	ArtistDID, Tag string
	Skip, Limit    int
}

// Artist is an artist with shown tracks; Albums counts their Singles.
type Artist struct {
	DID, Handle, Name, AvatarURL string
	Albums, Tracks               int64
}

// AlbumOrder is an order of albums (the catalog's names).
type AlbumOrder string

// AlbumQuery selects albums.
type AlbumQuery struct {
	Order            AlbumOrder
	ArtistDID, Tag   string
	FromYear, ToYear int
	Skip, Limit      int
}

// Album is a shown album, or an artist's Singles (ID uuid.Nil).
type Album struct {
	ID                 uuid.UUID
	ArtistDID          string
	ArtistName         string
	Title              string
	ImageURL, ThumbURL string
	CreatedAt          time.Time
	Tracks, DurationMs int64
	Plays              int64
}

// Genre is a tag with its counts.
type Genre struct {
	Name           string
	Tracks, Albums int64
}

// NowPlaying is someone playing a track right now.
type NowPlaying struct {
	DID, Handle string
	Track       *catalogv1.Track
	Since       time.Time
}

// Queue is a listener's play queue.
type Queue struct {
	TrackIDs   []string
	Current    int32
	PositionMs int64
	ChangedAt  time.Time
}

// Media is who may hear what, and where its bytes are (the media module).
type Media interface {
	// Playback checks that the caller in ctx may hear the file and says where it is.
	Playback(ctx context.Context, fileID uuid.UUID) (Audio, error)
	// DownloadURL checks the same and returns a URL serving it as an attachment.
	DownloadURL(ctx context.Context, fileID uuid.UUID, filename string) (string, error)
	// OpenPlayback checks the same and opens its bytes from offset on.
	OpenPlayback(ctx context.Context, fileID uuid.UUID, offset int64) (io.ReadCloser, Audio, error)
}

// Audio is a file the caller may hear.
type Audio struct {
	FileID      uuid.UUID
	ContentType string
	SizeBytes   int64
	DurationMs  int32
	URL         string
	Private     bool
}

// Config is the module's configuration.
type Config struct {
	// PublicURL is where plyr is reached (for help links in errors).
	PublicURL string
	// ServerVersion is plyr's version, in every answer.
	ServerVersion string
}

// Deps are what the module needs.
type Deps struct {
	Logger *slog.Logger
	Config Config
	// Auth resolves developer tokens (identity).
	Auth     rpc.Authenticator
	Services Services
	Library  Library
	Media    Media
}

// Module is the Subsonic API.
type Module struct {
	logger   *slog.Logger
	cfg      Config
	auth     rpc.Authenticator
	catalog  Services
	library  Library
	media    Media
	handlers map[string]method
}

// New builds the module.
func New(d Deps) *Module {
	m := &Module{logger: d.Logger, cfg: d.Config, auth: d.Auth, catalog: d.Services, library: d.Library, media: d.Media}
	m.handlers = m.methods()
	return m
}

// Mount serves the API under /rest/ (GET, and form POST for formPost clients).
func (m *Module) Mount(mux *http.ServeMux) {
	mux.Handle("/rest/", http.HandlerFunc(m.serve))
}

// call is one request to the API: its parameters, its caller and where the answer goes.
type call struct {
	ctx    context.Context
	w      http.ResponseWriter
	r      *http.Request
	params params
	caller *rpc.Caller
	// format is the answer's format: "json" or "xml".
	format string
}

// handlerFunc answers a method: a payload in *wire.Response, or an error (a *wire.Error
// says its code; any other error is mapped by mapError). A handler that wrote the answer
// itself (audio, images) returns done.
type handlerFunc func(c *call) (res *wire.Response, err error)

// done is what a handler returns when it has answered on its own.
var done = &wire.Response{}

// method is what the API knows of a method: its handler and whether it answers without
// a signed-in caller.
type method struct {
	handle handlerFunc
	public bool
}

// serve answers one request: it finds the method, authenticates the caller and answers in
// the format asked for. Every failure is an answer in the Subsonic envelope with status
// 200, as the apps expect, unknown methods included.
func (m *Module) serve(w http.ResponseWriter, r *http.Request) {
	// Apps in browsers (Feishin's web build, Aonsoku) call from their own origins with the
	// key in the query, never with plyr's cookie: any origin may read the answers.
	w.Header().Set("Access-Control-Allow-Origin", "*")
	if r.Method == http.MethodOptions {
		w.Header().Set("Access-Control-Allow-Methods", "GET, POST, HEAD")
		w.Header().Set("Access-Control-Allow-Headers", "Content-Type, Range")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	c := &call{ctx: r.Context(), w: w, r: r, format: "xml"}
	params, err := readParams(w, r)
	c.params = params
	if f := params.get("f"); f == "json" {
		c.format = "json"
	}
	if err != nil {
		m.answer(c, nil, err)
		return
	}
	name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/rest/"), ".view")
	h, ok := m.handlers[strings.ToLower(name)]
	if !ok {
		m.answer(c, nil, wire.Errorf(wire.ErrNotFound, "plyr has no Subsonic method "+strconv.Quote(name)))
		return
	}
	if !h.public {
		caller, err := m.authenticate(c.ctx, params)
		if err != nil {
			m.answer(c, nil, err)
			return
		}
		c.caller = &caller
		c.ctx = rpc.WithCaller(c.ctx, caller)
	} else {
		c.ctx = rpc.Anonymous(c.ctx)
	}
	res, err := h.handle(c)
	if res == done && err == nil {
		return
	}
	m.answer(c, res, err)
}

// answer writes res, or err as a failed answer.
func (m *Module) answer(c *call, res *wire.Response, err error) {
	if err != nil {
		res = &wire.Response{Error: m.mapError(c.ctx, err)}
	}
	if res == nil {
		res = &wire.Response{}
	}
	wire.Write(c.w, c.format, m.cfg.ServerVersion, res)
}

// mapError turns an error into Subsonic's: a *wire.Error as it is; a catalog or media
// error by its Connect code, with the message clients may see (internal failures are
// logged and answered as a generic error).
func (m *Module) mapError(ctx context.Context, err error) *wire.Error {
	var we *wire.Error
	if errors.As(err, &we) {
		return we
	}
	ce := rpc.ConnectError(ctx, m.logger, err)
	switch ce.Code() {
	case connect.CodeNotFound:
		return wire.Errorf(wire.ErrNotFound, ce.Message())
	case connect.CodePermissionDenied, connect.CodeUnauthenticated:
		return wire.Errorf(wire.ErrNotAuthorized, ce.Message())
	default:
		return wire.Errorf(wire.ErrGeneric, ce.Message())
	}
}

// helpURL is where a person learns how to connect an app.
func (m *Module) helpURL() string {
	return strings.TrimSuffix(m.cfg.PublicURL, "/") + "/settings#developer-tokens"
}

// authenticate finds the caller from the request's credentials (see the package
// documentation).
func (m *Module) authenticate(ctx context.Context, p params) (rpc.Caller, error) {
	apiKey, user, password := p.get("apiKey"), p.get("u"), p.get("p")
	switch {
	case apiKey != "" && user != "":
		return rpc.Caller{}, wire.Errorf(wire.ErrConflictingAuth, "send apiKey without u")
	case apiKey != "":
		caller, err := m.resolve(ctx, apiKey)
		if errors.Is(err, rpc.ErrInvalidCredentials) {
			return rpc.Caller{}, &wire.Error{Code: wire.ErrInvalidAPIKey, Message: "this API key is not a live plyr developer token", HelpURL: m.helpURL()}
		}
		return caller, err
	case user == "":
		return rpc.Caller{}, wire.Errorf(wire.ErrMissingParameter, "sign in with apiKey (a plyr developer token), or u and p")
	case password == "" && p.get("t") != "":
		return rpc.Caller{}, &wire.Error{
			Code: wire.ErrTokenAuthentication, HelpURL: m.helpURL(),
			Message: "plyr keeps no password to check a token against: use a developer token as apiKey, or as the password",
		}
	case password == "":
		return rpc.Caller{}, wire.Errorf(wire.ErrMissingParameter, "p is missing")
	}
	if hexed, ok := strings.CutPrefix(password, "enc:"); ok {
		raw, err := hex.DecodeString(hexed)
		if err != nil {
			return rpc.Caller{}, wire.Errorf(wire.ErrWrongCredentials, "Wrong username or password")
		}
		password = string(raw)
	}
	caller, err := m.resolve(ctx, password)
	if errors.Is(err, rpc.ErrInvalidCredentials) || (err == nil && !sameUser(user, caller)) {
		return rpc.Caller{}, wire.Errorf(wire.ErrWrongCredentials, "Wrong username or password")
	}
	return caller, err
}

// sameUser says whether u names the token's account: its handle (any case) or its DID.
func sameUser(u string, caller rpc.Caller) bool {
	if u == caller.DID {
		return true
	}
	a, b := strings.ToLower(strings.TrimPrefix(u, "@")), strings.ToLower(caller.Handle)
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// resolve checks a developer token. A browser session's token is refused as if unknown.
func (m *Module) resolve(ctx context.Context, token string) (rpc.Caller, error) {
	caller, err := m.auth.Authenticate(ctx, token)
	if err != nil {
		if errors.Is(err, rpc.ErrInvalidCredentials) {
			return rpc.Caller{}, err
		}
		m.logger.ErrorContext(ctx, "check a Subsonic app's credentials", "error", err.Error())
		return rpc.Caller{}, wire.Errorf(wire.ErrGeneric, "cannot check credentials right now; try again")
	}
	if caller.Browser() {
		return rpc.Caller{}, rpc.ErrInvalidCredentials
	}
	return caller, nil
}

// maxFormBytes bounds a form POST's body.
const maxFormBytes = 64 << 10

// params are a request's parameters, from its query and (formPost) its form body.
type params map[string][]string

func readParams(w http.ResponseWriter, r *http.Request) (params, error) {
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	}
	if err := r.ParseForm(); err != nil {
		return params(r.URL.Query()), wire.Errorf(wire.ErrGeneric, "the parameters cannot be read: send a query string or a form body of at most 64 KiB")
	}
	return params(r.Form), nil
}

func (p params) get(name string) string {
	if v := p[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (p params) all(name string) []string { return p[name] }

// required is a parameter that must be there.
func (p params) required(name string) (string, error) {
	v := p.get(name)
	if v == "" {
		return "", wire.Errorf(wire.ErrMissingParameter, "required parameter "+name+" is missing")
	}
	return v, nil
}

// int reads an integer parameter, def when absent; bad values are an error.
func (p params) int(name string, def int) (int, error) {
	v := p.get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, wire.Errorf(wire.ErrGeneric, name+" is not a number")
	}
	return n, nil
}

// bool reads a boolean parameter ("true"/"false"), def when absent.
func (p params) bool(name string, def bool) bool {
	switch strings.ToLower(p.get(name)) {
	case "true", "1":
		return true
	case "false", "0":
		return false
	}
	return def
}
