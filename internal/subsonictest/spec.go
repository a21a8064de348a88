package subsonictest

import (
	"embed"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// openapiFS holds the vendored OpenSubsonic spec: openapi/endpoints, openapi/schemas and
// openapi/responses, byte for byte (see openapi/NOTICE).
//
//go:embed openapi
var openapiFS embed.FS

// baseURL is the made-up address the embedded files are registered under, so that the
// relative $refs between them resolve: openapi/schemas/Child.json is
// https://opensubsonic.test/openapi/schemas/Child.json.
const baseURL = "https://opensubsonic.test/"

const (
	successFile = "openapi/schemas/SubsonicResponse/SubsonicSuccessResponse.json"
	failureFile = "openapi/schemas/SubsonicResponse/SubsonicFailureResponse.json"
)

// spec is the loaded specification.
type spec struct {
	docs    map[string]any       // every file, parsed, by URL (baseURL + path)
	methods map[string]*compiled // one per endpoints/<name>.json, by lower-case name
	failure *compiled            // the failure answer, common to all methods
}

// compiled is the schema answers of one method are checked against.
type compiled struct {
	name   string             // the method, as the spec spells it
	file   string             // where the schema comes from, relative to openapi/
	root   node               // the raw schema, which guides the XML conversion
	schema *jsonschema.Schema // nil when the method answers with binary data
}

// loadSpec parses and compiles the embedded spec once.
var loadSpec = sync.OnceValues(func() (*spec, error) {
	s, err := newSpec()
	if err != nil {
		return nil, fmt.Errorf("subsonictest: loading the OpenSubsonic spec: %w", err)
	}
	return s, nil
})

func newSpec() (*spec, error) {
	s := &spec{docs: map[string]any{}, methods: map[string]*compiled{}}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	err := fs.WalkDir(openapiFS, "openapi", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".json" {
			return err
		}
		f, err := openapiFS.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		s.docs[baseURL+p] = doc
		return c.AddResource(baseURL+p, doc)
	})
	if err != nil {
		return nil, err
	}

	entries, err := fs.ReadDir(openapiFS, "openapi/endpoints")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if e.IsDir() || !ok {
			continue
		}
		loc, file, err := s.successSchema(c, name)
		if err != nil {
			return nil, fmt.Errorf("endpoints/%s: %w", e.Name(), err)
		}
		m := &compiled{name: name, file: file}
		if loc != "" {
			if m.root, m.schema, err = s.compile(c, loc); err != nil {
				return nil, err
			}
		}
		s.methods[strings.ToLower(name)] = m
	}

	s.failure = &compiled{file: strings.TrimPrefix(failureFile, "openapi/")}
	if s.failure.root, s.failure.schema, err = s.compile(c, baseURL+failureFile); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *spec) compile(c *jsonschema.Compiler, loc string) (node, *jsonschema.Schema, error) {
	root, err := s.lookup(loc)
	if err != nil {
		return node{}, nil, err
	}
	schema, err := c.Compile(loc)
	if err != nil {
		return node{}, nil, err
	}
	return root, schema, nil
}

// successSchema finds the schema of a successful answer of the method that
// endpoints/<name>.json describes, and returns its URL and file. It follows the
// operation's 200 response (get, or post for POST-only methods) to its application/json
// schema, which is a wrapper {"subsonic-response": {"oneOf": [success, failure]}}, and
// picks the success branch. Methods with no body share responses/EmptySubsonicResponse.json,
// whose wrapper is schemas/SubsonicResponse.json and whose success branch is the bare
// SubsonicSuccessResponse.json. It returns "" when the 200 response has no JSON (binary
// answers: stream, download, getCoverArt, getAvatar, getCaptions, hls.m3u8,
// getTranscodeStream).
func (s *spec) successSchema(c *jsonschema.Compiler, name string) (loc, file string, err error) {
	ep, err := s.lookup(baseURL + "openapi/endpoints/" + name + ".json")
	if err != nil {
		return "", "", err
	}
	op := ep.get("get")
	if op.v == nil {
		op = ep.get("post")
	}
	resp, err := s.deref(op.get("responses").get("200"))
	if err != nil {
		return "", "", err
	}
	schema := resp.get("content").get("application/json").get("schema")
	if schema.v == nil {
		return "", "", nil
	}
	wrapper, err := s.deref(schema)
	if err != nil {
		return "", "", err
	}
	if branches := wrapper.get("properties").get("subsonic-response").get("oneOf"); branches.v != nil {
		for _, b := range branches.list() {
			ref, _ := b.get("$ref").v.(string)
			if ref != "" && path.Base(ref) != path.Base(failureFile) {
				loc := s.resolve(b, ref)
				return loc, strings.TrimPrefix(loc, baseURL+"openapi/"), nil
			}
		}
		return "", "", fmt.Errorf("no success branch in %s", wrapper.url)
	}

	// getTranscodeDecision's 200 response (schemas/TranscodeDecisionResponse.json) gives
	// only the payload, {"transcodeDecision": ...}, without the status, version and so
	// on around it; the spec's own example has both. Put the two together.
	loc = baseURL + "plyr/" + name + "SuccessResponse.json"
	doc := map[string]any{"allOf": []any{
		map[string]any{"$ref": baseURL + successFile},
		map[string]any{"$ref": schema.url + "#" + schema.ptr},
	}}
	s.docs[loc] = doc
	if err := c.AddResource(loc, doc); err != nil {
		return "", "", err
	}
	file = strings.TrimPrefix(successFile, "openapi/") + " + " +
		strings.TrimPrefix(schema.url, baseURL+"openapi/") + "#" + schema.ptr
	return loc, file, nil
}

// pointerEscaper and pointerUnescaper write and read a JSON pointer token (RFC 6901).
var (
	pointerEscaper   = strings.NewReplacer("~", "~0", "/", "~1")
	pointerUnescaper = strings.NewReplacer("~1", "/", "~0", "~")
)

// A node is a value inside one of the raw JSON documents, with the URL of its document
// (which relative $refs inside it resolve against) and its JSON pointer there. A node with
// a nil v stands for something absent, so that lookups can be chained:
// n.get("properties").get("album").
type node struct {
	url string
	ptr string
	v   any
}

func (n node) get(key string) node {
	obj, _ := n.v.(map[string]any)
	return node{url: n.url, ptr: n.ptr + "/" + pointerEscaper.Replace(key), v: obj[key]}
}

func (n node) list() []node {
	items, _ := n.v.([]any)
	out := make([]node, len(items))
	for i, item := range items {
		out[i] = node{url: n.url, ptr: n.ptr + "/" + strconv.Itoa(i), v: item}
	}
	return out
}

// resolve returns the absolute URL of a $ref found in n.
func (s *spec) resolve(n node, ref string) string {
	base, err := url.Parse(n.url)
	if err != nil {
		return ref
	}
	r, err := url.Parse(ref)
	if err != nil {
		return ref
	}
	return base.ResolveReference(r).String()
}

// lookup returns the node at loc, a URL with an optional JSON pointer fragment.
func (s *spec) lookup(loc string) (node, error) {
	u, frag, _ := strings.Cut(loc, "#")
	doc, ok := s.docs[u]
	if !ok {
		return node{}, fmt.Errorf("no file %s", u)
	}
	n := node{url: u, v: doc}
	if frag == "" {
		return n, nil
	}
	for _, tok := range strings.Split(strings.TrimPrefix(frag, "/"), "/") {
		tok = pointerUnescaper.Replace(tok)
		if _, isList := n.v.([]any); isList {
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n.list()) {
				return node{}, fmt.Errorf("no %s", loc)
			}
			n = n.list()[i]
			continue
		}
		if n = n.get(tok); n.v == nil {
			return node{}, fmt.Errorf("no %s", loc)
		}
	}
	return n, nil
}

// deref follows n's $ref, if it has one, to what it points at.
func (s *spec) deref(n node) (node, error) {
	for range 10 {
		ref, ok := n.get("$ref").v.(string)
		if !ok {
			return n, nil
		}
		next, err := s.lookup(s.resolve(n, ref))
		if err != nil {
			return node{}, err
		}
		n = next
	}
	return node{}, fmt.Errorf("$ref chain too long at %s#%s", n.url, n.ptr)
}

// parts returns the schema n and every schema it is made of through $ref and allOf, so
// that a type or property declared in any of them is found. (The spec uses oneOf only for
// the success/failure choice, which ValidateJSON and ValidateXML make themselves.)
func (s *spec) parts(n node) []node {
	var out []node
	var walk func(n node, depth int)
	walk = func(n node, depth int) {
		if n.v == nil || depth > 20 {
			return
		}
		out = append(out, n)
		if ref, ok := n.get("$ref").v.(string); ok {
			if target, err := s.lookup(s.resolve(n, ref)); err == nil {
				walk(target, depth+1)
			}
		}
		for _, sub := range n.get("allOf").list() {
			walk(sub, depth+1)
		}
	}
	walk(n, 0)
	return out
}

// property returns the schema of the named property of the object schema n.
func (s *spec) property(n node, name string) (node, bool) {
	for _, p := range s.parts(n) {
		if prop := p.get("properties").get(name); prop.v != nil {
			return prop, true
		}
	}
	return node{}, false
}

// typeOf returns the JSON type schema n declares ("object", "array", "string", ...), or
// "" if it declares none.
func (s *spec) typeOf(n node) string {
	for _, p := range s.parts(n) {
		if t, ok := p.get("type").v.(string); ok {
			return t
		}
	}
	return ""
}

// items returns the schema of the items of the array schema n.
func (s *spec) items(n node) node {
	for _, p := range s.parts(n) {
		if items := p.get("items"); items.v != nil {
			return items
		}
	}
	return node{}
}

// required returns the names of the properties the object schema n requires.
func (s *spec) required(n node) []string {
	var names []string
	for _, p := range s.parts(n) {
		for _, r := range p.get("required").list() {
			if name, ok := r.v.(string); ok {
				names = append(names, name)
			}
		}
	}
	return names
}
