// Small helpers of the moderation screens: the track a pasted link names, the image an
// artwork URL shows, the URLs of a notice written one a line, a moment in a track, and a
// time said relative to now. Plain TypeScript without imports, so that
// tests/markdown.test.mjs can run it under node --test.

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The track id in what an admin pasted: the id itself, or a link to /track/<id> (with
 * or without the origin, a query or a fragment); '' when it names no track. */
export function trackIdFrom(input: string): string {
	const s = input.trim();
	if (s === '') return '';
	if (uuid.test(s)) return s.toLowerCase();
	let path = s;
	try {
		path = new URL(s, 'http://plyr.invalid').pathname;
	} catch {
		// Not a URL: read it as a path.
	}
	const m = /\/track\/([^/?#]+)\/?$/.exec(path);
	if (!m) return '';
	let id = m[1]!;
	try {
		id = decodeURIComponent(id);
	} catch {
		return '';
	}
	return uuid.test(id) ? id.toLowerCase() : '';
}

/** The id of the plyr image an artwork URL shows (<origin>/images/<id>/512.webp); ''
 * for any other picture (a placeholder, another site's). */
export function imageIdOf(src: string | undefined | null): string {
	if (!src) return '';
	const m = /\/images\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:[/?#]|$)/i.exec(src);
	return m ? m[1]!.toLowerCase() : '';
}

/** An image id from what an admin pasted: the id, or any URL of the image. */
export function imageIdFrom(input: string): string {
	const s = input.trim();
	if (uuid.test(s)) return s.toLowerCase();
	return imageIdOf(s);
}

/** The non-empty lines of a text area, trimmed (a notice's URLs, one a line). */
export function lines(text: string): string[] {
	return text
		.split(/\r?\n/)
		.map((l) => l.trim())
		.filter(Boolean);
}

/** Whether s is an http(s) URL with a host. */
export function isWebURL(s: string): boolean {
	try {
		const u = new URL(s);
		return (u.protocol === 'https:' || u.protocol === 'http:') && u.host !== '';
	} catch {
		return false;
	}
}

/** mm:ss (or h:mm:ss) for a number of milliseconds into a track. */
export function offset(ms: number | bigint): string {
	const total = Math.max(0, Math.floor(Number(ms) / 1000));
	const h = Math.floor(total / 3600);
	const m = Math.floor((total % 3600) / 60);
	const s = String(total % 60).padStart(2, '0');
	return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${String(m).padStart(2, '0')}:${s}`;
}

const steps: [Intl.RelativeTimeFormatUnit, number][] = [
	['year', 365 * 24 * 3600_000],
	['month', 30 * 24 * 3600_000],
	['week', 7 * 24 * 3600_000],
	['day', 24 * 3600_000],
	['hour', 3600_000],
	['minute', 60_000]
];

/** when relative to now, in words: "in 3 days", "2 hours ago", "now". */
export function relative(when: Date, now: Date = new Date(), locale?: string): string {
	const diff = when.getTime() - now.getTime();
	const format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
	for (const [unit, ms] of steps) {
		if (Math.abs(diff) >= ms) return format.format(Math.round(diff / ms), unit);
	}
	return format.format(0, 'minute');
}
