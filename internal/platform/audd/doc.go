// Package audd asks AudD's enterprise endpoint whether a track's audio contains known
// (copyrighted) music, and applies plyr's dominant-match rule to the answer.
//
// # Wire format, and where it comes from
//
// AudD's own contract is the OpenAPI document in github.com/AudDMusic/audd-openapi
// (openapi.yaml, operation recognizeEnterprise, schemas EnterpriseChunkResult,
// EnterpriseMatch and ErrorResponse) with the live answers it ships as fixtures
// (fixtures/enterprise_with_isrc_upc.json, error_900_invalid_token.json,
// error_904_enterprise_unauthorized.json); docs.audd.io/enterprise describes the same
// endpoint in prose. In short:
//
//   - Request: POST https://enterprise.audd.io/ with the form fields api_token, url (AudD
//     downloads the file itself) and accurate_offsets; the fields may be urlencoded or
//     multipart, in the body or the query.
//   - Answer: HTTP 200 with {"status": "success", "result": [...], "execution_time": "..."},
//     where result lists one group per 12-second chunk in which music was heard:
//     {"offset": "00:12", "songs": [{"artist", "title", "album", "release_date", "label",
//     "timecode", "score", "isrc", "upc", "song_link", "start_offset", "end_offset"}]}.
//     offset is where the chunk starts in the file (the schema says "mm:ss"; AudD's Go SDK
//     also reads "hh:mm:ss", which a file past the hour needs);
//     timecode is where the fragment plays in the matched song; start_offset and end_offset
//     (milliseconds within the chunk) come only with accurate_offsets; isrc, upc and score
//     come only with a paid plan above the entry tier (audd-go's README: "Startup or
//     higher").
//   - The standard endpoint (api.audd.io) answers a single song object instead of the list,
//     or null when nothing matched; plyr's earlier service (moderation/src/audd.rs) accepted
//     both shapes and numeric millisecond offsets too, and so does this package.
//   - Errors are also HTTP 200: {"status": "error", "error": {"error_code": 900,
//     "error_message": "..."}, ...}. The codes, grouped as AudD's SDKs group them
//     (audd-python src/audd/errors.py, audd-go errors.go and README): 900, 901, 903 token;
//     902 quota; 904, 905 endpoint not in the plan; 50, 51, 600–602, 700–702, 906 bad
//     request; 300, 400, 500 bad audio; 610, 611 stream limits; 907 not yet released;
//     19, 31337 blocked; 20 client too old; 100, 1000 and unknown codes server-side.
//
// # Design notes
//
// Scan makes exactly one request and never retries: each enterprise request is billed per
// 12 seconds of audio, and retrying belongs to the caller (a Temporal activity), which asks
// Retryable. Retryable says yes to HTTP 408, 429 and 5xx, network failures and timeouts
// (a context deadline included, not a cancellation), and to the AudD codes the SDKs treat
// as the server's trouble or as "back off" (100, 1000, 611). A bad token, a bad URL, a bad
// file, an exhausted quota or an unknown code is final.
//
// accurate_offsets is sent as "1", as plyr's earlier service sent it. AudD's OpenAPI
// document lists "true"/"false" and AudD's own SDKs send "true"; whether AudD reads "1" as
// true is not documented (the constant accurateOffsets is the one place to change).
//
// A Match's OffsetMs is where the match starts in the uploaded file: the group's offset,
// plus start_offset when AudD sent one (as AudD's Go and Swift SDKs compute StartSeconds). Offsets and
// timecodes AudD sends in a shape this package does not know read as 0 rather than failing
// the scan. Score is passed through as AudD sent it (0 when absent); the enterprise API
// gives no meaningful confidence, so nothing here computes one.
//
// The answer is read through a cap (Config.MaxResponseBytes): a longer body fails with
// ErrResponseTooLarge instead of being read whole. The api_token is never part of an error:
// AudD masks it in what it echoes, and an error message that still contains it is redacted.
package audd
