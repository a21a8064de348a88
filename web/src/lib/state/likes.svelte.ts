// Likes as this browser knows them: a track's liked flag and count as the catalog said
// (Track.liked, Track.like_count) until the viewer likes or unlikes it here, then as
// LikeTrack or UnlikeTrack answered. Every heart showing one track (a list row, the track
// page) reads the same entry, so they agree. Who likes a track (ListLikers) is kept about
// five minutes, and forgotten when the viewer's own like changes it.
import { SvelteMap } from 'svelte/reactivity';
import type { Track } from '$gen/plyr/catalog/v1/catalog_pb';
import type { ListLikersResponse } from '$gen/plyr/catalog/v1/listening_pb';
import { describe, likes as likeService } from '$lib/api';
import { toast } from './toasts.svelte';

export interface LikeState {
	liked: boolean;
	count: number;
}

interface Likers {
	at: number;
	res: Promise<ListLikersResponse>;
}

const likersTTL = 5 * 60_000;

class Likes {
	/** The viewer's changes this page load, by track id. */
	private changed = new SvelteMap<string, LikeState>();
	/** Requests in flight, by track id: a second click waits for the first answer. */
	private busy = new SvelteMap<string, boolean>();
	private likers = new Map<string, Likers>();

	/** Whether the viewer likes track, and how many do. */
	of(track: Track): LikeState {
		return this.changed.get(track.id) ?? { liked: track.liked, count: Number(track.likeCount) };
	}

	pending(trackId: string): boolean {
		return this.busy.get(trackId) ?? false;
	}

	/** Likes or unlikes track at once on screen; a refusal puts it back and says why. */
	async toggle(track: Track): Promise<void> {
		if (this.pending(track.id)) return;
		const before = this.of(track);
		const want = !before.liked;
		this.changed.set(track.id, { liked: want, count: Math.max(0, before.count + (want ? 1 : -1)) });
		this.busy.set(track.id, true);
		this.likers.delete(track.id);
		try {
			const res = want
				? await likeService.likeTrack({ trackId: track.id })
				: await likeService.unlikeTrack({ trackId: track.id });
			this.changed.set(track.id, { liked: res.liked, count: Number(res.likeCount) });
		} catch (err) {
			this.changed.set(track.id, before);
			toast('error', `${want ? 'Could not like' : 'Could not unlike'} “${track.title}”: ${describe(err)}`);
		} finally {
			this.busy.delete(track.id);
			this.likers.delete(track.id);
		}
	}

	/** The newest likers of a track (up to 20), from the last five minutes' answer when there
	 * is one. A failure is not kept. */
	whoLikes(trackId: string): Promise<ListLikersResponse> {
		const cached = this.likers.get(trackId);
		if (cached && Date.now() - cached.at < likersTTL) return cached.res;
		const res = likeService.listLikers({ trackId, pageSize: 20 });
		const entry = { at: Date.now(), res };
		this.likers.set(trackId, entry);
		res.catch(() => {
			if (this.likers.get(trackId) === entry) this.likers.delete(trackId);
		});
		return res;
	}
}

export const likes = new Likes();
