package deploy

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// publicPorts are the only ports compose may publish on every interface: the API, keyed
// by service and container port. Everything else here has no authentication of its own
// (Temporal frontend and UI, S3's root endpoint, plyr's operator listener).
var publicPorts = map[string]bool{"plyr-serve:8080": true}

// secretName matches the variables that hold secrets.
var secretName = regexp.MustCompile(`PASSWORD|PASSWD|_PWD$|SECRET|_KEYS?$|_KEY_ID$|TOKEN`)

// required is a value taken from a variable compose insists on: ${NAME:?message}.
var required = regexp.MustCompile(`^\$\{[A-Z0-9_]+:\?[^}]*\}$`)

// defaulted finds ${NAME:-default} and ${NAME-default} references.
var defaulted = regexp.MustCompile(`\$\{([A-Z0-9_]+):?-[^}]*\}`)

type composeFile struct {
	Services map[string]struct {
		Ports       []any `yaml:"ports"`
		Environment any   `yaml:"environment"`
	} `yaml:"services"`
}

// problems lists how a compose file breaks the rules.
func problems(data []byte) ([]string, error) {
	var out []string
	for _, m := range defaulted.FindAllStringSubmatch(string(data), -1) {
		if secretName.MatchString(m[1]) {
			out = append(out, fmt.Sprintf("secret %s has a default: %s", m[1], m[0]))
		}
	}
	var f composeFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("parse compose file: %w", err)
	}
	for name, svc := range f.Services {
		for _, p := range svc.Ports {
			hostIP, target, err := parsePort(p)
			if err != nil {
				return nil, fmt.Errorf("service %s: %w", name, err)
			}
			if ip := net.ParseIP(hostIP); (ip == nil || !ip.IsLoopback()) && !publicPorts[name+":"+target] {
				out = append(out, fmt.Sprintf("service %s publishes port %s on %q, not loopback", name, target, hostIP))
			}
		}
		env, err := environment(svc.Environment)
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", name, err)
		}
		for k, v := range env {
			if secretName.MatchString(k) && !required.MatchString(v) {
				out = append(out, fmt.Sprintf("service %s: secret %s is %q, not a required ${VAR:?…}", name, k, v))
			}
			if u := strings.TrimPrefix(v, "postgres://"); u != v {
				userinfo, _, _ := strings.Cut(u, "@")
				if _, pw, ok := strings.Cut(userinfo, ":"); ok && !required.MatchString(pw) {
					out = append(out, fmt.Sprintf("service %s: %s carries password %q, not ${…:?…}", name, k, pw))
				}
			}
		}
		if name == "plyr-serve" && env["PLYR_OPERATOR_ADDR"] == "" {
			out = append(out, "plyr-serve sets no PLYR_OPERATOR_ADDR: /metrics would be on the public port")
		}
	}
	slices.Sort(out)
	return out, nil
}

// parsePort reads a ports entry, short ("[ip:]host:container[/proto]") or long
// ({target, published, host_ip}), and returns the host address it binds ("" for all
// interfaces) and the container port.
func parsePort(p any) (hostIP, target string, err error) {
	switch v := p.(type) {
	case string:
		spec, _, _ := strings.Cut(v, "/")
		i := strings.LastIndex(spec, ":")
		if i < 0 {
			return "", spec, nil // container port only: published on a random host port
		}
		target, rest := spec[i+1:], spec[:i]
		if j := strings.LastIndex(rest, ":"); j >= 0 {
			hostIP = strings.Trim(rest[:j], "[]")
		}
		return hostIP, target, nil
	case int:
		return "", fmt.Sprint(v), nil
	case map[string]any:
		ip, _ := v["host_ip"].(string)
		return ip, fmt.Sprint(v["target"]), nil
	}
	return "", "", fmt.Errorf("unreadable ports entry %v", p)
}

// environment reads a service's environment, as a map or as a list of NAME=value.
func environment(e any) (map[string]string, error) {
	out := map[string]string{}
	switch v := e.(type) {
	case nil:
	case map[string]any:
		for k, val := range v {
			out[k] = fmt.Sprint(val)
		}
	case []any:
		for _, item := range v {
			k, val, _ := strings.Cut(fmt.Sprint(item), "=")
			out[k] = val
		}
	default:
		return nil, fmt.Errorf("unreadable environment %v", e)
	}
	return out, nil
}

func readRoot(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", name))
	require.NoError(t, err)
	return data
}

// TestCompose_PublishesNothingUnauthenticatedAndHasNoDefaultSecrets holds the production
// compose file to its rules.
func TestCompose_PublishesNothingUnauthenticatedAndHasNoDefaultSecrets(t *testing.T) {
	got, err := problems(readRoot(t, "docker-compose.yml"))
	require.NoError(t, err)
	require.Empty(t, got)
}

// TestCompose_EnvExampleListsEveryRequiredVariable: .env.example names every variable
// compose refuses to start without, and git ignores the .env an operator fills in.
func TestCompose_EnvExampleListsEveryRequiredVariable(t *testing.T) {
	compose, example := readRoot(t, "docker-compose.yml"), string(readRoot(t, ".env.example"))
	names := regexp.MustCompile(`\$\{([A-Z0-9_]+):\?`).FindAllStringSubmatch(string(compose), -1)
	require.NotEmpty(t, names)
	for _, m := range names {
		require.Regexp(t, `(?m)^`+m[1]+`=`, example, ".env.example lacks %s", m[1])
	}
	require.Regexp(t, `(?m)^/?\.env$`, string(readRoot(t, ".gitignore")))
}

// TestProblems shows the checker catches each way a compose file can break the rules.
func TestProblems(t *testing.T) {
	tests := []struct {
		name, compose, want string
	}{
		{name: "Temporal frontend on every interface", want: "temporal publishes port 7233",
			compose: "services:\n  temporal:\n    ports: [\"7233:7233\"]\n"},
		{name: "UI on 0.0.0.0", want: "temporal-ui publishes port 8080",
			compose: "services:\n  temporal-ui:\n    ports: [\"0.0.0.0:8233:8080\"]\n"},
		{name: "long syntax without host_ip", want: "s3 publishes port 7070",
			compose: "services:\n  s3:\n    ports:\n      - target: 7070\n        published: 7070\n"},
		{name: "operator port public", want: "plyr-serve publishes port 9090",
			compose: "services:\n  plyr-serve:\n    environment: {PLYR_OPERATOR_ADDR: \":9090\"}\n    ports: [\"8080:8080\", \"9090:9090\"]\n"},
		{name: "no operator listener", want: "plyr-serve sets no PLYR_OPERATOR_ADDR",
			compose: "services:\n  plyr-serve:\n    ports: [\"8080:8080\"]\n"},
		{name: "defaulted secret", want: "secret S3_SECRET_ACCESS_KEY has a default",
			compose: "services:\n  s3:\n    environment:\n      K: ${S3_SECRET_ACCESS_KEY:-plyr-dev-secret}\n"},
		{name: "literal password", want: "secret POSTGRES_PASSWORD is \"temporal\"",
			compose: "services:\n  postgresql:\n    environment:\n      POSTGRES_PASSWORD: temporal\n"},
		{name: "password in a database URL", want: "DATABASE_URL carries password \"plyr\"",
			compose: "services:\n  w:\n    environment: [\"DATABASE_URL=postgres://plyr:plyr@db/plyr\"]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := problems([]byte(tt.compose))
			require.NoError(t, err)
			require.NotEmpty(t, got)
			require.Contains(t, strings.Join(got, "\n"), tt.want)
		})
	}
	good := "services:\n  plyr-serve:\n    environment: {PLYR_OPERATOR_ADDR: \":9090\", S3_SECRET_ACCESS_KEY: \"${S3_SECRET_ACCESS_KEY:?set it}\"}\n    ports: [\"8080:8080\", \"127.0.0.1:9090:9090\", \"[::1]:9091:9091\"]\n"
	got, err := problems([]byte(good))
	require.NoError(t, err)
	require.Empty(t, got)
}
