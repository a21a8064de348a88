// The words of the moderation screens for the LegalService's values: what a report is
// about and why, what was decided, where a notice stands, and dates as people read them.
import { timestampDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import {
	Decision,
	DmcaStatus,
	NoticeStatus,
	ReportReason,
	ScanStatus,
	TargetType,
	type Resolution
} from '$gen/plyr/legal/v1/legal_pb';
import { relative } from './legal';

/** What a report is about, in a word. */
export function targetWord(t: TargetType): string {
	switch (t) {
		case TargetType.TRACK:
			return 'track';
		case TargetType.ARTIST:
			return 'artist';
		case TargetType.ALBUM:
			return 'album';
		case TargetType.PLAYLIST:
			return 'playlist';
		case TargetType.TAG:
			return 'tag';
		case TargetType.COMMENT:
			return 'comment';
		default:
			return 'item';
	}
}

/** The reasons a person may give, in the order the dialog offers them. */
export const reasons: { value: ReportReason; label: string; hint: string }[] = [
	{ value: ReportReason.COPYRIGHT, label: 'Copyright', hint: 'It uses someone’s work without their permission.' },
	{ value: ReportReason.ABUSE, label: 'Abuse', hint: 'It harasses, threatens or impersonates someone.' },
	{ value: ReportReason.SPAM, label: 'Spam', hint: 'It is advertising, a scam or repeated junk.' },
	{ value: ReportReason.EXPLICIT, label: 'Explicit', hint: 'It is sexual or violent content shown without a warning.' },
	{ value: ReportReason.OTHER, label: 'Other', hint: 'Something else: say what in the description.' }
];

export function reasonWord(r: ReportReason): string {
	return reasons.find((x) => x.value === r)?.label.toLowerCase() ?? 'unspecified';
}

/** What a decision was, as the reporter and the admin read it. */
export function decisionWord(d: Decision | undefined): string {
	switch (d) {
		case Decision.FALSE_POSITIVE:
			return 'false positive';
		case Decision.TAKE_DOWN:
			return 'taken down';
		case Decision.DISMISS:
			return 'dismissed';
		default:
			return 'decided';
	}
}

/** A report's or flag's state: open, or what was decided. */
export function resolutionWord(r: Resolution | undefined): string {
	return r ? decisionWord(r.decision) : 'open';
}

export function scanWord(s: ScanStatus): string {
	switch (s) {
		case ScanStatus.CLEAR:
			return 'clear';
		case ScanStatus.FLAGGED:
			return 'flagged';
		case ScanStatus.FAILED:
			return 'scan failed';
		default:
			return 'not scanned';
	}
}

export function dmcaWord(s: DmcaStatus): string {
	switch (s) {
		case DmcaStatus.TAKEN_DOWN:
			return 'in force (taken down)';
		case DmcaStatus.COUNTERED:
			return 'countered';
		case DmcaStatus.COURT_ACTION:
			return 'court action (stays down)';
		case DmcaStatus.RESTORED:
			return 'restored';
		case DmcaStatus.WITHDRAWN:
			return 'withdrawn';
		default:
			return 'unknown';
	}
}

/** Whether a notice still holds its track down (it may be withdrawn). */
export function inForce(s: DmcaStatus): boolean {
	return s === DmcaStatus.TAKEN_DOWN || s === DmcaStatus.COUNTERED;
}

export function noticeWord(s: NoticeStatus): string {
	switch (s) {
		case NoticeStatus.PENDING:
			return 'pending';
		case NoticeStatus.SENT:
			return 'sent';
		case NoticeStatus.FAILED:
			return 'failed';
		case NoticeStatus.OFF:
			return 'not sent (DMs are off)';
		default:
			return 'unknown';
	}
}

/** A tone for a badge: what needs a look, what went well, what stays quiet. */
export type Tone = 'open' | 'good' | 'bad' | 'quiet';

export function resolutionTone(r: Resolution | undefined): Tone {
	if (!r) return 'open';
	return r.decision === Decision.TAKE_DOWN ? 'bad' : 'quiet';
}

export function dmcaTone(s: DmcaStatus): Tone {
	if (s === DmcaStatus.TAKEN_DOWN || s === DmcaStatus.COURT_ACTION) return 'bad';
	if (s === DmcaStatus.COUNTERED) return 'open';
	return 'good';
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'long' });

/** A moment for a <time>: its ISO form, the date and time, and how long ago or ahead. */
export function when(ts: Timestamp | undefined): { iso: string; text: string; day: string; relative: string } | null {
	if (!ts) return null;
	const d = timestampDate(ts);
	return { iso: d.toISOString(), text: dateTime.format(d), day: dateOnly.format(d), relative: relative(d) };
}

/** The way to someone's page: by handle, or by DID while the handle is not verified. */
export function profileHref(handle: string, did: string): string {
	return `/u/${encodeURIComponent(handle && handle !== 'handle.invalid' ? handle : did)}`;
}

/** A link a report carries, when it is safe to follow (http or https). */
export function safeLink(url: string): string {
	try {
		const u = new URL(url);
		return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : '';
	} catch {
		return '';
	}
}
