// Package subsonictest checks answers of plyr's Subsonic API (/rest) against the
// OpenSubsonic OpenAPI schemas, for use in tests.
//
// Subsonic clients are written against the Subsonic XML schema and its OpenSubsonic
// successor, not against plyr, so an answer that is missing a required field, carries a
// number as a string or nests an element wrongly breaks some client somewhere. The
// OpenSubsonic specification describes every answer as a JSON schema; this package embeds
// those schemas (openapi/, copied from github.com/opensubsonic/open-subsonic-api, see
// openapi/NOTICE) and validates an answer against the schema of the method that produced
// it:
//
//   - ValidateJSON checks a JSON answer, {"subsonic-response": {...}}.
//   - ValidateXML checks an XML answer. XML has no types and no arrays, so the answer is
//     first turned into the JSON the schema describes, guided by the schema itself (see
//     ValidateXML), and then validated like a JSON answer.
//
// An answer whose status is "failed" is checked against the failure schema (an error with
// a code from the spec's list) whatever the method. Formats are asserted: a field the spec
// marks "date-time" (created, starred, played, ...; the prose says ISO 8601) must be a JSON
// Schema date-time, that is an RFC 3339 time with a zone, such as "2021-07-22T02:09:31Z";
// "2021-07-22T02:09:31" or "2021-07-22 02:09:31" fails.
package subsonictest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Namespace is the XML namespace every Subsonic XML answer is in.
const Namespace = "http://subsonic.org/restapi"

// SchemaError is the error ValidateJSON and ValidateXML return for an answer that does
// not match its schema.
type SchemaError struct {
	Method string // the method, as the spec spells it
	Schema string // the schema file checked against, relative to openapi/
	// Violations lists every mismatch, each as "<JSON pointer>: <what is wrong>", e.g.
	// "/subsonic-response/album: missing property 'name'".
	Violations []string
}

func (e *SchemaError) Error() string {
	return fmt.Sprintf("%s: answer does not match %s:\n  %s",
		e.Method, e.Schema, strings.Join(e.Violations, "\n  "))
}

// ValidateJSON checks a JSON answer of method (a method name such as "getAlbum", in any
// case, with or without ".view"), the whole body {"subsonic-response": {...}}, against the
// method's success schema, or against the failure schema if its status is "failed".
func ValidateJSON(method string, body []byte) error {
	s, err := loadSpec()
	if err != nil {
		return err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: answer is not JSON: %w", method, err)
	}
	top, ok := doc.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: answer is not a JSON object", method)
	}
	for key := range top {
		if key != "subsonic-response" {
			return fmt.Errorf("%s: answer has a top-level %q; only \"subsonic-response\" belongs there", method, key)
		}
	}
	inner, ok := top["subsonic-response"].(map[string]any)
	if !ok {
		return fmt.Errorf("%s: answer has no \"subsonic-response\" object", method)
	}
	status, _ := inner["status"].(string)
	m, err := s.schemaFor(method, status)
	if err != nil {
		return err
	}
	return m.validate(inner)
}

// ValidateXML checks an XML answer of method like ValidateJSON checks a JSON one. The root
// must be <subsonic-response> in the Subsonic namespace (as must every element).
//
// The XML is turned into the JSON the schema describes, guided by the schema:
//   - an attribute becomes a property, converted to the type the schema gives it
//     (integer, number, boolean or string); a value that does not parse as that type
//     stays a string, so the validator reports it;
//   - a child element becomes a property: an array of all the elements of that name when
//     the schema's property is an array (even if there is only one), a scalar from the
//     element's text when the property is a scalar (e.g. <folder>1</folder>), an object
//     otherwise;
//   - an element's text becomes its "value" property (lyrics, lyric lines, genres);
//   - a required array property with no element at all becomes an empty array, since XML
//     cannot tell an empty list from a missing one;
//   - an attribute or element the schema does not know is kept, as a string (or, for an
//     element with attributes or children, as an object of strings);
//   - namespace declarations and attributes in other namespaces (xsi:...) are left out.
func ValidateXML(method string, body []byte) error {
	s, err := loadSpec()
	if err != nil {
		return err
	}
	root, err := parseXML(body)
	if err != nil {
		return fmt.Errorf("%s: answer is not XML: %w", method, err)
	}
	if root.name.Local != "subsonic-response" {
		return fmt.Errorf("%s: root element is <%s>, not <subsonic-response>", method, root.name.Local)
	}
	if bad := outsideNamespace(root); len(bad) > 0 {
		return fmt.Errorf("%s: elements not in namespace %s: %s", method, Namespace, strings.Join(bad, ", "))
	}
	m, err := s.schemaFor(method, root.attr("status"))
	if err != nil {
		return err
	}
	return m.validate(s.convert(root, m.root))
}

// Methods returns the names of the methods the spec has a success schema for, sorted.
// Methods that answer with binary data on success (stream, download, getCoverArt, ...)
// are not among them. It panics if the embedded spec does not load, which this package's
// tests would have caught.
func Methods() []string {
	s, err := loadSpec()
	if err != nil {
		panic(err)
	}
	var names []string
	for _, m := range s.methods {
		if m.schema != nil {
			names = append(names, m.name)
		}
	}
	slices.Sort(names)
	return names
}

// schemaFor returns the schema an answer of method with the given status is checked
// against.
func (s *spec) schemaFor(method, status string) (*compiled, error) {
	key := strings.ToLower(strings.TrimSuffix(method, ".view"))
	m, ok := s.methods[key]
	if !ok {
		return nil, fmt.Errorf("%s: no such method in the OpenSubsonic spec", method)
	}
	if status == "failed" {
		return &compiled{name: m.name, file: s.failure.file, root: s.failure.root, schema: s.failure.schema}, nil
	}
	if m.schema == nil {
		return nil, fmt.Errorf("%s: the spec has no JSON or XML success answer for this method (it answers with binary data)", m.name)
	}
	return m, nil
}

// validate checks the content of <subsonic-response> (the object inside
// "subsonic-response") against the schema.
func (m *compiled) validate(inner any) error {
	err := m.schema.Validate(inner)
	if err == nil {
		return nil
	}
	var verr *jsonschema.ValidationError
	if !errors.As(err, &verr) {
		return fmt.Errorf("%s: %w", m.name, err)
	}
	return &SchemaError{Method: m.name, Schema: m.file, Violations: violations(verr)}
}

var printer = message.NewPrinter(language.English)

// violations lists the leaves of a validation error tree: the individual mismatches, as
// opposed to the "allOf failed" and "$ref failed" nodes above them.
func violations(e *jsonschema.ValidationError) []string {
	if len(e.Causes) == 0 {
		where := "/subsonic-response" + jsonPointer(e.InstanceLocation)
		return []string{where + ": " + e.ErrorKind.LocalizedString(printer)}
	}
	var out []string
	for _, c := range e.Causes {
		for _, v := range violations(c) {
			if !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	return out
}

func jsonPointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteString("/")
		b.WriteString(pointerEscaper.Replace(t))
	}
	return b.String()
}
