// Sensitive images: the list an admin keeps (GET /moderation/sensitive-images, public),
// asked for once per page session and kept in localStorage for five minutes, so that a
// reload or a new tab does not ask again. Artwork blurs an image on the list until the
// listener reveals it; a revealed image stays revealed for the browser session
// (sessionStorage). A listener whose preferences say to show sensitive artwork sees it
// all. Admins mark and unmark images (SetImageSensitive); the list here follows at once.
import { SvelteSet } from 'svelte/reactivity';
import { legal } from '$lib/api';
import { imageIdOf } from '$lib/legal';
import { prefs } from './prefs.svelte';

const cacheKey = 'plyr-sensitive-images';
const revealedKey = 'plyr-revealed-images';
/** How long the kept list is good for. */
const keepMs = 5 * 60_000;

interface Kept {
	at: number;
	imageIds: string[];
	urls: string[];
}

function readKept(): Kept | null {
	try {
		const kept = JSON.parse(localStorage.getItem(cacheKey) ?? 'null') as Kept | null;
		if (!kept || !Array.isArray(kept.imageIds) || typeof kept.at !== 'number') return null;
		return kept;
	} catch {
		return null;
	}
}

class Sensitive {
	/** Ids of the images marked sensitive. */
	readonly ids = new SvelteSet<string>();
	/** Their URLs, for pictures whose address does not name the id. */
	readonly urls = new SvelteSet<string>();
	/** Images the listener chose to see, this session. */
	readonly revealed = new SvelteSet<string>();
	/** True once the list is known (or could not be had: pictures then show). */
	ready = $state(false);
	private started = false;

	/** Asks for the list unless it is known or kept fresh; called by Artwork and the layout. */
	load(): void {
		if (this.started || typeof window === 'undefined') return;
		this.started = true;
		try {
			for (const id of JSON.parse(sessionStorage.getItem(revealedKey) ?? '[]') as string[]) this.revealed.add(id);
		} catch {
			// Nothing revealed yet.
		}
		const kept = readKept();
		if (kept && Date.now() - kept.at < keepMs && kept.at <= Date.now()) {
			this.take(kept.imageIds, kept.urls ?? []);
			this.ready = true;
			return;
		}
		void this.fetchList();
	}

	private async fetchList(raise = false): Promise<void> {
		try {
			// A refresh asks the server itself, past the browser's cache of the list.
			const res = await fetch('/moderation/sensitive-images', { credentials: 'same-origin', cache: raise ? 'no-cache' : 'default' });
			if (!res.ok) throw new Error(String(res.status));
			const body = (await res.json()) as { imageIds?: string[]; urls?: string[] };
			const ids = (body.imageIds ?? []).map((id) => id.toLowerCase());
			this.take(ids, body.urls ?? []);
			this.keep();
		} catch {
			// Pictures show as they are until the next page load asks again.
			if (raise) throw new Error(navigator.onLine ? 'The list of sensitive images could not be loaded.' : 'You are offline.');
		} finally {
			this.ready = true;
		}
	}

	private take(ids: string[], urls: string[]): void {
		this.ids.clear();
		for (const id of ids) this.ids.add(id);
		this.urls.clear();
		for (const u of urls) this.urls.add(u);
	}

	private keep(): void {
		try {
			const kept: Kept = { at: Date.now(), imageIds: [...this.ids], urls: [...this.urls] };
			localStorage.setItem(cacheKey, JSON.stringify(kept));
		} catch {
			// A full or refused storage only means asking again next time.
		}
	}

	/** The id of the plyr image src shows, or '' for other pictures. */
	idOf(src: string | undefined | null): string {
		return imageIdOf(src);
	}

	/** Whether the picture at src (of image id, when known) is marked sensitive. */
	isSensitive(src: string | undefined | null, id = imageIdOf(src)): boolean {
		return (id !== '' && this.ids.has(id)) || (!!src && this.urls.has(src));
	}

	/** Whether the picture at src is to be blurred for this listener now. */
	blurred(src: string | undefined | null): boolean {
		if (!src || prefs.current?.showSensitiveArtwork) return false;
		const id = imageIdOf(src) || src;
		return this.isSensitive(src) && !this.revealed.has(id);
	}

	/** Shows the picture at src for the rest of the session. */
	reveal(src: string): void {
		const id = imageIdOf(src) || src;
		this.revealed.add(id);
		try {
			sessionStorage.setItem(revealedKey, JSON.stringify([...this.revealed]));
		} catch {
			// Revealed for this page only.
		}
	}

	/** Marks an image sensitive or not (admins); the list here follows at once. */
	async mark(imageId: string, on: boolean): Promise<void> {
		const id = imageId.toLowerCase();
		await legal.setImageSensitive({ imageId: id, sensitive: on });
		if (on) {
			this.ids.add(id);
		} else {
			this.ids.delete(id);
			for (const u of [...this.urls]) if (imageIdOf(u) === id) this.urls.delete(u);
		}
		this.keep();
	}

	/** Asks for the list again, whatever is kept (the admin's list of images); throws
	 * when it could not be had. */
	async refresh(): Promise<void> {
		this.load();
		await this.fetchList(true);
	}
}

export const sensitive = new Sensitive();
