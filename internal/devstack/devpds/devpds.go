// Package devpds runs the reference ATProto network (a PLC directory and a PDS, from
// @atproto/dev-env on Node 22) on loopback for the ATProto tests and for `plyr dev`, and
// drives its OAuth sign-in pages headlessly.
//
// The harness is installed by scripts/pds-harness into a cache keyed by its lockfile
// (PLYR_PDS_HARNESS_DIR names the result); the script it runs is embedded here. It starts in
// about ten seconds, so a whole `make test` run shares one network (testrun starts it and
// passes PLYR_TEST_PDS); a test binary run on its own starts its own.
//
// Two modes:
//   - Hostname mode (tests): the PDS calls itself https://pds.test and handles live under
//     .test. Nothing can reach those names, so Transport routes https://*.test to the PDS
//     over plain HTTP, keeping the Host header. plyr's production code paths (https only)
//     then run unchanged against it.
//   - Loopback mode (plyr dev): the PDS is http://localhost:<port>, which a browser on the
//     same machine can open to sign in.
package devpds

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/bluesky-social/indigo/atproto/identity"

	"github.com/plyrfm/plyr/internal/platform/atproto"
	"github.com/plyrfm/plyr/internal/platform/ports"
	"github.com/plyrfm/plyr/lexicons"
)

//go:embed harness/harness.mjs
var harnessScript []byte

// EnvHarnessDir names the installed harness directory (scripts/pds-harness prints it).
const EnvHarnessDir = "PLYR_PDS_HARNESS_DIR"

// Hostname is the PDS's name in hostname mode; handles end in .test.
const Hostname = "pds.test"

// Account is an account on the test PDS.
type Account struct {
	Handle   string `json:"handle"`
	DID      string `json:"did"`
	Password string `json:"password"`
}

// Options configure a network.
type Options struct {
	// Hostname, when set, starts the PDS in hostname mode (https://<Hostname>).
	Hostname string
	// Demo accounts are created at start.
	Demo []Account
	// Log receives the harness's own output; nil discards it.
	Log io.Writer
}

// Network is a running PLC directory and PDS. Its exported fields can be shared with other
// processes as JSON (see Shared).
type Network struct {
	PLCURL        string    `json:"plc"`    // http://localhost:<port>
	PDSURL        string    `json:"pds"`    // how the PDS names itself (in DID documents): https://pds.test, or http://localhost:<port>
	Issuer        string    `json:"issuer"` // the OAuth issuer, the same as PDSURL
	Listen        string    `json:"listen"` // where the PDS really listens: http://localhost:<port>
	Control       string    `json:"control"`
	AdminPassword string    `json:"adminPassword"`
	Demo          []Account `json:"demo"`

	cmd    *exec.Cmd
	exited chan struct{}
}

// HarnessDir returns the installed harness: $PLYR_PDS_HARNESS_DIR, or what
// scripts/pds-harness (found above the working directory) installs and prints.
func HarnessDir() (string, error) {
	if dir := os.Getenv(EnvHarnessDir); dir != "" {
		return dir, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		script := filepath.Join(d, "scripts", "pds-harness")
		if _, err := os.Stat(script); err == nil {
			// Concurrent test binaries may all get here on a fresh machine: the script
			// serialises their installs with a lock.
			out, err := exec.Command(script).Output()
			if err != nil {
				var stderr string
				if ee, ok := errors.AsType[*exec.ExitError](err); ok {
					stderr = "\n" + tail(string(ee.Stderr))
				}
				return "", fmt.Errorf("install the reference PDS with scripts/pds-harness (or run the tests with `make test`, "+
					"which installs it and sets %s): %w%s", EnvHarnessDir, err, stderr)
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			return lines[len(lines)-1], nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New("the PDS harness is not installed: run scripts/pds-harness and set " + EnvHarnessDir)
		}
	}
}

// Start launches the harness and waits until it is ready. The harness binds its three
// ports seconds after they were found free; if another process took one meanwhile it is
// started again on fresh ports.
func Start(ctx context.Context, o Options) (*Network, error) {
	for attempt := 1; ; attempt++ {
		n, err := start(ctx, o)
		if err == nil || attempt == 3 || !strings.Contains(err.Error(), "EADDRINUSE") {
			return n, err
		}
	}
}

func start(ctx context.Context, o Options) (*Network, error) {
	dir, err := HarnessDir()
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "plyr-pds-")
	if err != nil {
		return nil, err
	}
	script := filepath.Join(dir, "harness-"+strconv.Itoa(os.Getpid())+"-"+filepath.Base(work)+".mjs")
	if err := os.WriteFile(script, harnessScript, 0o644); err != nil {
		return nil, fmt.Errorf("write harness script: %w", err)
	}
	permissionSet, err := lexicons.FS.ReadFile("fm.plyr/authFullApp.json")
	if err != nil {
		return nil, err
	}
	lexFile := filepath.Join(work, "authFullApp.json")
	if err := os.WriteFile(lexFile, permissionSet, 0o644); err != nil {
		return nil, err
	}
	var free [3]int
	for i := range free {
		if free[i], err = ports.Free("127.0.0.1"); err != nil {
			return nil, err
		}
	}
	extra := map[string]any{"blobUploadLimit": 104857600}
	if o.Hostname != "" {
		extra["hostname"] = o.Hostname
	}
	extraJSON, _ := json.Marshal(extra)
	var demo []string
	for _, a := range o.Demo {
		demo = append(demo, a.Handle+":"+a.Password)
	}

	cmd := exec.Command(filepath.Join(dir, "node"), script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"PLC_PORT="+strconv.Itoa(free[0]), "PDS_PORT="+strconv.Itoa(free[1]), "CONTROL_PORT="+strconv.Itoa(free[2]),
		"PDS_EXTRA="+string(extraJSON), "LEXICON_FILES="+lexFile, "DEMO_ACCOUNTS="+strings.Join(demo, ","),
		"NODE_ENV=development",
	)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	logOut := o.Log
	if logOut == nil {
		logOut = io.Discard
	}
	var stderr bytes.Buffer
	cmd.Stderr = io.MultiWriter(logOut, &limited{&stderr, 16 << 10})
	// Its own process group (Ctrl-C reaches plyr, which stops it in order), and SIGTERM if
	// the process that started it dies first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start PDS harness: %w", err)
	}
	n := &Network{cmd: cmd, exited: make(chan struct{})}
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		signalled := false
		for sc.Scan() {
			line := sc.Bytes()
			if !signalled && bytes.HasPrefix(line, []byte(`{"event":"ready"`)) {
				signalled = true
				ready <- json.Unmarshal(line, n)
				continue
			}
			fmt.Fprintln(logOut, string(line))
		}
		if !signalled {
			ready <- errors.New("PDS harness exited before it was ready")
		}
	}()
	go func() {
		_ = cmd.Wait()
		_ = os.Remove(script)
		_ = os.RemoveAll(work)
		close(n.exited)
	}()

	timeout := time.NewTimer(90 * time.Second)
	defer timeout.Stop()
	select {
	case err := <-ready:
		if err != nil {
			n.Stop(5 * time.Second)
			return nil, fmt.Errorf("%w: %s", err, tail(stderr.String()))
		}
	case <-timeout.C:
		n.Stop(5 * time.Second)
		return nil, fmt.Errorf("PDS harness not ready after 90s: %s", tail(stderr.String()))
	case <-ctx.Done():
		n.Stop(5 * time.Second)
		return nil, ctx.Err()
	}
	n.Listen = "http://localhost:" + strconv.Itoa(free[1])
	if o.Hostname != "" {
		n.PDSURL = "https://" + o.Hostname
	}
	n.Control = "http://127.0.0.1:" + strconv.Itoa(free[2])
	n.PLCURL = strings.Replace(n.PLCURL, "127.0.0.1", "localhost", 1)
	return n, nil
}

// Stop ends the harness: SIGTERM, then SIGKILL after timeout. Networks shared from another
// process (Shared) are left to their owner.
func (n *Network) Stop(timeout time.Duration) {
	if n.cmd == nil {
		return
	}
	select {
	case <-n.exited:
		return
	default:
	}
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.exited:
	case <-time.After(timeout):
		_ = n.cmd.Process.Kill()
		<-n.exited
	}
}

// PID is the harness process id.
func (n *Network) PID() int { return n.cmd.Process.Pid }

// Transport routes requests for https://*.test (the PDS, its handles, its OAuth issuer) to
// the PDS over plain HTTP with the original Host header, and sends the rest through base.
func (n *Network) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	up, _ := url.Parse(n.Listen)
	return rewrite{up: up, base: base}
}

type rewrite struct {
	up   *url.URL
	base http.RoundTripper
}

func (t rewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Scheme == "https" && strings.HasSuffix(r.URL.Hostname(), ".test") {
		r2 := r.Clone(r.Context())
		r2.Host = r.URL.Host
		r2.URL.Scheme, r2.URL.Host = t.up.Scheme, t.up.Host
		return t.base.RoundTrip(r2)
	}
	return t.base.RoundTrip(r)
}

// HTTPClient is a client that reaches the network (and anything else through base).
//
// Its responses are size-capped as production's are (atproto.LimitResponses), so the
// sign-in flows that development and the tests run meet the same limit.
func (n *Network) HTTPClient() *http.Client {
	return &http.Client{
		Transport: atproto.LimitResponses(n.Transport(nil), atproto.DefaultMaxResponseBytes),
		Timeout:   30 * time.Second,
	}
}

// Directory resolves handles and DIDs against the network: its PLC, and handles by the
// PDS's HTTPS well-known endpoint (DNS is skipped for .test).
func (n *Network) Directory() identity.Directory {
	return &identity.BaseDirectory{
		PLCURL: n.PLCURL, HTTPClient: *n.HTTPClient(),
		SkipDNSDomainSuffixes: []string{".test"}, TryAuthoritativeDNS: false,
	}
}

// CreateAccount makes an account with handle (which must end in .test) and password.
func (n *Network) CreateAccount(ctx context.Context, handle, password string) (Account, error) {
	body, _ := json.Marshal(map[string]string{"handle": handle, "email": handle + "@plyr.invalid", "password": password})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, n.PDSURL+"/xrpc/com.atproto.server.createAccount", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	res, err := n.HTTPClient().Do(req)
	if err != nil {
		return Account{}, err
	}
	defer res.Body.Close()
	var out struct {
		DID     string `json:"did"`
		Message string `json:"message"`
	}
	_ = json.NewDecoder(res.Body).Decode(&out)
	if res.StatusCode != http.StatusOK {
		return Account{}, fmt.Errorf("create account %s: HTTP %d: %s", handle, res.StatusCode, out.Message)
	}
	return Account{Handle: handle, DID: out.DID, Password: password}, nil
}

// MapFetch makes the PDS fetch https://<host>/… from target instead (a local server), for
// confidential clients whose metadata lives at an https client_id. An empty target
// removes the mapping.
func (n *Network) MapFetch(host, target string) error {
	return n.control("/fetch-map", map[string]string{"host": host, "target": target})
}

// didService is one entry of a DID document's service list.
type didService struct {
	ID       string `json:"id"`   // a fragment: "#bsky_chat"
	Type     string `json:"type"` // "BskyChatService"
	Endpoint string `json:"serviceEndpoint"`
}

// RegisterService makes did resolve, for the PDS, to a DID document holding one service:
// serviceID ("#bsky_chat" or "bsky_chat"), of serviceType, at endpoint. The PDS then proxies
// requests sent with "Atproto-Proxy: <did>#<id>" to endpoint, with a service-auth JWT whose
// audience is did, as it proxies to a real service. did is meant to be invented per test
// (a did:web under .test), so that tests sharing one network do not meet; any other DID
// resolves as before. An empty endpoint removes the document.
func (n *Network) RegisterService(did, serviceID, serviceType, endpoint string) error {
	services := []didService{}
	if endpoint != "" {
		services = append(services, didService{ID: "#" + strings.TrimPrefix(serviceID, "#"), Type: serviceType, Endpoint: endpoint})
	}
	if err := n.control("/did-doc", map[string]any{"did": did, "service": services}); err != nil {
		return fmt.Errorf("register %s: %w", did, err)
	}
	return nil
}

// control posts body as JSON to the harness's control endpoint path.
func (n *Network) control(path string, body any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	res, err := http.Post(n.Control+path, "application/json", bytes.NewReader(b))
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		msg, _ := io.ReadAll(io.LimitReader(res.Body, 1<<10))
		return fmt.Errorf("harness control %s: HTTP %d: %s", path, res.StatusCode, strings.TrimSpace(string(msg)))
	}
	return nil
}

// EnvShared carries a network started by another process (testrun), as JSON.
const EnvShared = "PLYR_TEST_PDS"

// Encode returns the network as the JSON Shared reads.
func (n *Network) Encode() string {
	b, _ := json.Marshal(n)
	return string(b)
}

var shared struct {
	once sync.Once
	net  *Network
	err  error
}

// Shared returns the run's network: the one testrun started (PLYR_TEST_PDS), or one started
// for this process on first use (hostname mode) and stopped by stop at the process's end.
func Shared(atExit func(func())) (*Network, error) {
	shared.once.Do(func() {
		if env := os.Getenv(EnvShared); env != "" {
			var n Network
			shared.err = json.Unmarshal([]byte(env), &n)
			shared.net = &n
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		shared.net, shared.err = Start(ctx, Options{Hostname: Hostname})
		if shared.err == nil {
			atExit(func() { shared.net.Stop(10 * time.Second) })
		}
	})
	return shared.net, shared.err
}

type limited struct {
	buf *bytes.Buffer
	max int
}

func (l *limited) Write(p []byte) (int, error) {
	if room := l.max - l.buf.Len(); room > 0 {
		l.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func tail(s string) string {
	if len(s) > 2000 {
		s = s[len(s)-2000:]
	}
	return strings.TrimSpace(s)
}
