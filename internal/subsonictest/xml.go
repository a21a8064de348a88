package subsonictest

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"regexp"
	"slices"
	"strings"
)

// element is a parsed XML element.
type element struct {
	name     xml.Name
	attrs    []xml.Attr // without namespace declarations and namespaced attributes
	children []*element
	text     string // the character data directly inside the element
}

// attr returns the value of the named attribute, or "".
func (e *element) attr(name string) string {
	for _, a := range e.attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// parseXML parses a document into its root element.
func parseXML(body []byte) (*element, error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	var root *element
	var open []*element // the elements being read, innermost last
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			el := &element{name: t.Name}
			for _, a := range t.Attr {
				// xmlns="..." has no Space; xmlns:x="..." has Space "xmlns"; x:attr has the
				// namespace x stands for. Subsonic's own attributes have none.
				if a.Name.Space == "" && a.Name.Local != "xmlns" {
					el.attrs = append(el.attrs, a)
				}
			}
			if len(open) > 0 {
				parent := open[len(open)-1]
				parent.children = append(parent.children, el)
			} else if root == nil {
				root = el
			} else {
				return nil, errors.New("more than one root element")
			}
			open = append(open, el)
		case xml.EndElement:
			open = open[:len(open)-1]
		case xml.CharData:
			if len(open) > 0 {
				open[len(open)-1].text += string(t)
			}
		}
	}
	if root == nil {
		return nil, errors.New("no root element")
	}
	return root, nil
}

// outsideNamespace lists the elements, from e down, that are not in the Subsonic
// namespace.
func outsideNamespace(e *element) []string {
	var bad []string
	if e.name.Space != Namespace {
		ns := e.name.Space
		if ns == "" {
			ns = "no namespace"
		}
		bad = append(bad, "<"+e.name.Local+"> ("+ns+")")
	}
	for _, c := range e.children {
		for _, b := range outsideNamespace(c) {
			if !slices.Contains(bad, b) {
				bad = append(bad, b)
			}
		}
	}
	return bad
}

// convert turns the XML element e into the JSON value the schema n describes; n.v is nil
// when the schema does not know the element. See ValidateXML for the rules.
func (s *spec) convert(e *element, n node) any {
	t := ""
	if n.v != nil {
		t = s.typeOf(n)
	}
	if len(e.attrs) == 0 && len(e.children) == 0 {
		switch {
		case t == "string" || t == "integer" || t == "number" || t == "boolean":
			return scalar(e.text, t)
		case n.v == nil:
			return e.text
		}
	}
	// Anything else becomes an object, even where the schema wants a scalar or an array,
	// so that the validator reports the mismatch.
	obj := map[string]any{}
	for _, a := range e.attrs {
		p, _ := s.property(n, a.Name.Local)
		add(obj, a.Name.Local, scalar(a.Value, s.typeOf(p)))
	}
	for _, c := range e.children {
		name := c.name.Local
		p, known := s.property(n, name)
		if known && s.typeOf(p) == "array" {
			v := s.convert(c, s.items(p))
			if _, ok := obj[name]; ok {
				add(obj, name, v)
			} else {
				obj[name] = []any{v}
			}
			continue
		}
		add(obj, name, s.convert(c, p))
	}
	if _, taken := obj["value"]; !taken {
		p, known := s.property(n, "value")
		switch {
		case known && len(e.children) == 0:
			// The whole text, spaces included (a lyric cue can be " "), and "" for an
			// element with no text, since XML cannot tell empty text from none.
			obj["value"] = scalar(e.text, s.typeOf(p))
		case strings.TrimSpace(e.text) != "":
			obj["value"] = e.text
		}
	}
	for _, name := range s.required(n) {
		if _, ok := obj[name]; !ok {
			if p, _ := s.property(n, name); s.typeOf(p) == "array" {
				obj[name] = []any{} // XML cannot tell an empty list from a missing one
			}
		}
	}
	return obj
}

// add sets obj[name] to v, or, if it is already set, makes it a list of both.
func add(obj map[string]any, name string, v any) {
	switch prev := obj[name].(type) {
	case nil:
		obj[name] = v
	case []any:
		obj[name] = append(prev, v)
	default:
		obj[name] = []any{prev, v}
	}
}

var (
	integerRE = regexp.MustCompile(`^-?(0|[1-9][0-9]*)$`)
	numberRE  = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)
)

// scalar converts an XML attribute value or element text to the JSON type t. A value that
// is not written as a JSON value of that type stays a string, which the validator then
// reports.
func scalar(v, t string) any {
	switch t {
	case "integer":
		if s := strings.TrimSpace(v); integerRE.MatchString(s) {
			return json.Number(s)
		}
	case "number":
		if s := strings.TrimSpace(v); numberRE.MatchString(s) {
			return json.Number(s)
		}
	case "boolean":
		switch strings.TrimSpace(v) {
		case "true":
			return true
		case "false":
			return false
		}
	}
	return v
}
