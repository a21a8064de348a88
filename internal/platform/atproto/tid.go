package atproto

import (
	"encoding/binary"
	"time"

	"github.com/bluesky-social/indigo/atproto/syntax"
	"github.com/google/uuid"
)

// DatetimeLayout is how plyr writes datetimes in records: UTC with exactly three digits of
// fractional seconds, the form ATProto prefers (indigo's AtprotoDatetimeLayout drops
// trailing zeros).
const DatetimeLayout = "2006-01-02T15:04:05.000Z"

// Datetime formats t for a record.
func Datetime(t time.Time) string { return t.UTC().Format(DatetimeLayout) }

// ValidDatetime reports whether s is an ATProto datetime (a record's createdAt that a
// rewrite keeps).
func ValidDatetime(s string) bool {
	_, err := syntax.ParseDatetime(s)
	return err == nil
}

// RecordKey is the rkey of the record that stands for an entity (a track, an album's list,
// a like…): a TID made from the entity's own creation time, with a clock id taken from
// the entity's id. The same entity always gets the same key, so a write retried, started
// twice or repeated after a crash lands on the same record; two entities created in the
// same microsecond still differ unless their ids agree in those 10 bits.
//
// Migration 00008 computes the same key in SQL (catalog.record_key) for rows that existed
// before; TestRecordKey_MatchesSQL (modules/catalog/internal/tracks) keeps the two in step.
func RecordKey(createdAt time.Time, entity uuid.UUID) string {
	clock := uint(binary.BigEndian.Uint16(entity[14:16])) & 0x3FF // the id's random tail
	return syntax.NewTIDFromTime(createdAt, clock).String()
}
