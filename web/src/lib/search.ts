// Search, shared by the Cmd/Ctrl+K modal and the /search page: the kinds and their words,
// the query's bounds, where each result leads, and results grouped by kind. Imported only
// by those two (both loaded on demand).
import { SearchKind, type SearchResponse, type SearchResult } from '$gen/plyr/catalog/v1/listening_pb';
import { searchService } from '$lib/api';

/** A query is 2 to 100 characters (after trimming). */
export const minQuery = 2;
export const maxQuery = 100;

export interface KindInfo {
	kind: SearchKind;
	/** The kind in URLs (/search?kind=track). */
	key: string;
	one: string;
	many: string;
}

export const kinds: KindInfo[] = [
	{ kind: SearchKind.TRACK, key: 'track', one: 'Track', many: 'Tracks' },
	{ kind: SearchKind.ARTIST, key: 'artist', one: 'Artist', many: 'Artists' },
	{ kind: SearchKind.ALBUM, key: 'album', one: 'Album', many: 'Albums' },
	{ kind: SearchKind.TAG, key: 'tag', one: 'Tag', many: 'Tags' },
	{ kind: SearchKind.PLAYLIST, key: 'playlist', one: 'Playlist', many: 'Playlists' }
];

export function kindInfo(kind: SearchKind): KindInfo | undefined {
	return kinds.find((k) => k.kind === kind);
}

export function kindByKey(key: string | null): KindInfo | undefined {
	return kinds.find((k) => k.key === key);
}

/** Whether q can be searched for. */
export function searchable(q: string): boolean {
	const t = q.trim();
	return t.length >= minQuery && t.length <= maxQuery;
}

export function search(q: string, only: SearchKind[] = [], limit = 0, signal?: AbortSignal): Promise<SearchResponse> {
	return searchService.search({ q: q.trim(), kinds: only, limit }, { signal });
}

/** The address of the full results for q (of one kind). */
export function resultsHref(q: string, kind?: KindInfo): string {
	const p = new URLSearchParams({ q: q.trim() });
	if (kind) p.set('kind', kind.key);
	return `/search?${p}`;
}

/** A result as a row shows it. */
export interface Shown {
	href: string;
	title: string;
	detail: string;
	image: string;
	round: boolean;
}

export function shown(r: SearchResult): Shown | null {
	const it = r.item;
	switch (it.case) {
		case 'track': {
			const t = it.value;
			return { href: `/track/${t.id}`, title: t.title, detail: t.artistDisplayName || t.artistHandle, image: t.thumbUrl, round: false };
		}
		case 'artist': {
			const p = it.value;
			return { href: `/u/${p.handle}`, title: p.displayName || p.handle, detail: `@${p.handle}`, image: p.avatarUrl, round: true };
		}
		case 'album': {
			const a = it.value;
			const count = `${a.trackCount} ${a.trackCount === 1n ? 'track' : 'tracks'}`;
			return { href: `/u/${a.artistHandle}/album/${a.slug}`, title: a.title, detail: `${a.artistDisplayName || a.artistHandle} · ${count}`, image: a.thumbUrl, round: false };
		}
		case 'tag': {
			const g = it.value;
			const count = `${g.trackCount} ${g.trackCount === 1n ? 'track' : 'tracks'}`;
			return { href: `/tag/${encodeURIComponent(g.name)}`, title: `#${g.name}`, detail: count, image: '', round: false };
		}
		case 'playlist': {
			const p = it.value;
			const count = `${p.trackCount} ${p.trackCount === 1n ? 'track' : 'tracks'}`;
			return { href: `/playlist/${p.id}`, title: p.name, detail: `by @${p.ownerHandle} · ${count}`, image: p.thumbUrl, round: false };
		}
		default:
			return null;
	}
}

export interface Group {
	info: KindInfo;
	/** How many match in all (the answer holds at most its limit). */
	count: number;
	results: SearchResult[];
}

/** The results by kind, the kind of the most relevant result first. */
export function grouped(res: SearchResponse): Group[] {
	const out: Group[] = [];
	for (const r of res.results) {
		const info = kindInfo(r.kind);
		if (!info || !shown(r)) continue;
		let g = out.find((g) => g.info.kind === r.kind);
		if (!g) out.push((g = { info, count: countOf(res, r.kind), results: [] }));
		g.results.push(r);
	}
	for (const g of out) g.count = Math.max(g.count, g.results.length);
	return out;
}

/** How many of kind match (the server counts up to the limit asked). */
export function countOf(res: SearchResponse, kind: SearchKind): number {
	return Number(res.counts.find((c) => c.kind === kind)?.count ?? 0n);
}

/** The server reads at most the limit asked (20 when none is) of each kind, so a count of
 * countCap means that many or more. */
export const countCap = 20;

/** A count as shown: "20+" at the cap. */
export function countText(n: number, capped = n >= countCap): string {
	return capped ? `${n}+` : String(n);
}

/** What the server searched when it is not what was typed: a misspelt word is spelt as
 * the titles spell it ("midnite" → "midnight"); null when nothing changed. */
export function correctedQuery(typed: string, res: SearchResponse): string | null {
	const asTyped = typed.trim().toLowerCase();
	return res.query && res.query !== asTyped ? res.query : null;
}

/** "3 tracks, 1 artist" for the counts of res. */
export function summary(res: SearchResponse): string {
	const parts = kinds
		.map((k) => ({ k, n: countOf(res, k.kind) }))
		.filter(({ n }) => n > 0)
		.map(({ k, n }) => `${countText(n)} ${(n === 1 ? k.one : k.many).toLowerCase()}`);
	return parts.length ? parts.join(', ') : 'No results';
}
