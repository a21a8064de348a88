// A track's audio and the artist's PDS, and tracks for supporters only: which tracks may
// move to the PDS, the words for where each one stands, sizes in MB, and where to support
// an artist.
import { PdsAudioState, TrackStatus, type Track } from '$gen/plyr/catalog/v1/catalog_pb';

/** The feature flag (GetMe's enabledFlags) that lets an account copy audio to its PDS. */
export const pdsAudioFlag = 'pds-audio-uploads';

/** Whether StartPdsMigration would take the track: ready, open to everyone, and not
 * already on the PDS (a copy the PDS refused or that failed may be tried again). */
export function movable(t: Track): boolean {
	return t.status === TrackStatus.READY && !t.supportersOnly && t.pdsAudio?.state !== PdsAudioState.ON_PDS;
}

export type PdsWord = 'on your PDS' | 'too large for your PDS' | 'PDS copy failed' | '';

/** The badge's words for where the track's audio stands with the PDS; '' when it is on
 * plyr storage only (the usual case, not worth a badge). */
export function pdsWord(t: Track): PdsWord {
	switch (t.pdsAudio?.state) {
		case PdsAudioState.ON_PDS:
			return 'on your PDS';
		case PdsAudioState.TOO_LARGE:
			return 'too large for your PDS';
		case PdsAudioState.FAILED:
			return 'PDS copy failed';
		default:
			return '';
	}
}

/** bytes in MB (10⁶ bytes), to two significant decimals for small files: "0.42 MB",
 * "3.4 MB", "58 MB". */
export function megabytes(bytes: number | bigint): string {
	const mb = Number(bytes) / 1_000_000;
	if (mb >= 10) return `${Math.round(mb)} MB`;
	if (mb >= 1) return `${mb.toFixed(1)} MB`;
	return `${Math.max(mb, 0.01).toFixed(2)} MB`;
}

/** Where to support an artist: their atprotofans page, or their own https link; '' when
 * they have none. */
export function supportLink(artistDid: string, supportUrl: string): string {
	if (supportUrl === 'atprotofans') return `https://atprotofans.com/u/${artistDid}`;
	return /^https:\/\//i.test(supportUrl) ? supportUrl : '';
}
