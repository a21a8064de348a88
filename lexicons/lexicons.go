// Package lexicons holds the ATProto schemas of the records plyr writes: fm.plyr.* (its own,
// including the authFullApp permission set users grant) and teal.fm's play records, with
// the one ATProto definition they refer to (com.atproto.repo.strongRef).
// They are embedded so the binary can validate records before sending them, and so the
// test PDS can publish the permission set.
package lexicons

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"

	"github.com/bluesky-social/indigo/atproto/atdata"
	"github.com/bluesky-social/indigo/atproto/lexicon"
)

// FS holds every lexicon file, by NSID path: fm.plyr/track.json, fm.teal.alpha/feed.play.json…
//
//go:embed fm.plyr/*.json fm.teal/*.json fm.teal.alpha/*.json com.atproto/*.json
var FS embed.FS

// DefaultNamespace is the NSID prefix the fm.plyr schemas are written under.
const DefaultNamespace = "fm.plyr"

// Validator checks records against the schemas before they leave plyr.
type Validator struct {
	catalog *lexicon.BaseCatalog
}

// NewValidator loads every embedded schema. plyr's own schemas are loaded under namespace
// (PLYR_ATPROTO_NAMESPACE), so a deployment on another namespace validates the
// collections it actually writes: fm.plyr.track becomes <namespace>.track, and so do the
// references between plyr's schemas.
func NewValidator(namespace string) (*Validator, error) {
	cat := lexicon.NewBaseCatalog()
	err := fs.WalkDir(FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		b, err := FS.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.HasPrefix(path, DefaultNamespace+"/") && namespace != DefaultNamespace {
			b = []byte(strings.ReplaceAll(string(b), `"`+DefaultNamespace+`.`, `"`+namespace+`.`))
		}
		var sf lexicon.SchemaFile
		if err := json.Unmarshal(b, &sf); err != nil {
			return fmt.Errorf("lexicon %s: %w", path, err)
		}
		if err := cat.AddSchemaFile(sf); err != nil {
			return fmt.Errorf("lexicon %s: %w", path, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Validator{catalog: cat}, nil
}

// Validate checks record, in its JSON form (blobs as {"$type":"blob",…}), against the
// schema of collection. It is strict: unknown formats, legacy blobs and loose datetimes
// are refused, and nested objects that name a $type are checked against it too.
func (v *Validator) Validate(collection string, record map[string]any) error {
	b, err := json.Marshal(record)
	if err != nil {
		return fmt.Errorf("encode %s record: %w", collection, err)
	}
	data, err := atdata.UnmarshalJSON(b)
	if err != nil {
		return fmt.Errorf("%s record is not ATProto data: %w", collection, err)
	}
	if err := lexicon.ValidateRecord(v.catalog, data, collection, lexicon.StrictRecursiveValidation); err != nil {
		return fmt.Errorf("%s record does not match its lexicon: %w", collection, err)
	}
	return nil
}
