// Moments in a track as people write them in links: ?t=90, ?t=90s, ?t=1m30s, ?t=1h2m3s
// or ?t=1:30 (the forms SoundCloud and YouTube links use). Plain TypeScript without
// imports, so that tests/time.test.mjs can run it under node --test.

const units = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$/;
const colons = /^(?:(\d+):)?(\d+):(\d{1,2}(?:\.\d+)?)$/;

/** Seconds for a moment written as 90, 90s, 1m30s, 1h2m3s, 1:30 or 1:02:03; null for
 * anything else (empty, negative, a word, minutes or seconds of 60 and more after a colon). */
export function parseTime(raw: string | null | undefined): number | null {
	const s = (raw ?? '').trim().toLowerCase();
	if (s === '') return null;
	if (/^\d+(?:\.\d+)?$/.test(s)) return finite(Number(s));
	const c = colons.exec(s);
	if (c) {
		const h = Number(c[1] ?? 0);
		const m = Number(c[2]);
		const sec = Number(c[3]);
		// 90:00 is fine on its own (an hour and a half); after hours, minutes stop at 59.
		if (sec >= 60 || (c[1] !== undefined && m >= 60)) return null;
		return finite(h * 3600 + m * 60 + sec);
	}
	const u = units.exec(s);
	if (u && (u[1] ?? u[2] ?? u[3]) !== undefined) {
		return finite(Number(u[1] ?? 0) * 3600 + Number(u[2] ?? 0) * 60 + Number(u[3] ?? 0));
	}
	return null;
}

/** A moment as a link writes it: 45s, 1m30s, 1h2m3s (whole seconds, rounded down). */
export function formatTimeParam(seconds: number): string {
	const total = Math.max(0, Math.floor(Number.isFinite(seconds) ? seconds : 0));
	const h = Math.floor(total / 3600);
	const m = Math.floor((total % 3600) / 60);
	const s = total % 60;
	return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s}s`;
}

function finite(n: number): number | null {
	return Number.isFinite(n) && n >= 0 ? n : null;
}
