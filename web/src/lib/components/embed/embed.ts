// The embeddable players' plain logic: which layout a frame of a given size gets (the
// component's container queries draw the same lines; data-mode says which one applied),
// where their links go, and when a play counts. Plain TypeScript without imports.

/** The embed's layouts, from the roomiest to the smallest:
 * - very-wide (≥ 600 px, landscape): large artwork at the side;
 * - wide (≥ 400 px, landscape): artwork at the side;
 * - base (280–399 px, landscape): small artwork at the side;
 * - square (at least 200×200 and width/height ≤ 1.2): artwork on top, titles on 2 lines;
 * - very-tall (as square, width/height ≤ 0.7): the same over the blurred artwork;
 * - narrow (< 280 px, not square): compact, over the blurred artwork;
 * - micro (< 200 px): as narrow, without the time labels and the logo. */
export type EmbedMode = 'very-wide' | 'wide' | 'base' | 'square' | 'very-tall' | 'narrow' | 'micro';

/** The layout of a frame width × height px (the container queries' conditions, in order). */
export function embedMode(width: number, height: number): EmbedMode {
	if (width < 200) return 'micro';
	const ratio = height > 0 ? width / height : Infinity;
	if (height >= 200 && ratio <= 1.2) return ratio <= 0.7 ? 'very-tall' : 'square';
	if (width < 280) return 'narrow';
	if (width >= 600) return 'very-wide';
	if (width >= 400) return 'wide';
	return 'base';
}

/** Someone's page on plyr: by handle, or by DID while the handle is not verified. */
export function profilePath(handle: string, did: string): string {
	return `/u/${encodeURIComponent(handle && handle !== 'handle.invalid' ? handle : did)}`;
}

/** How long a track must be heard before its play is reported, in ms: as the main player,
 * 30 s or half the track when it is shorter than a minute, and a little more (the server
 * judges by the catalog's length, and a report that falls short cannot be sent again). */
export function countAfterMs(lengthMs: number): number {
	const need = lengthMs > 0 ? Math.min(30_000, lengthMs / 2) : 30_000;
	return Math.min(need + 250, Math.max(need, lengthMs - 500));
}
