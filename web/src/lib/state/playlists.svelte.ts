// The signed-in listener's own playlists, newest first: asked once (ListPlaylists with no
// owner) when a screen first wants them (a track's "add to playlist" menu, the library),
// then kept in step with what this page changes (create, add, rename, delete) so every menu
// shows them without asking again. A sign-in as someone else reloads the page, and so
// forgets them.
import { Code, ConnectError } from '@connectrpc/connect';
import type { Track } from '$gen/plyr/catalog/v1/catalog_pb';
import type { Playlist } from '$gen/plyr/catalog/v1/listening_pb';
import { describe, playlists as playlistService } from '$lib/api';
import { toast } from './toasts.svelte';

/** A list record's limit: AddPlaylistTrack refuses the 501st track. */
export const maxPlaylistTracks = 500;
/** CreatePlaylist's limit on a name. */
export const maxPlaylistName = 64;

class MyPlaylists {
	list = $state<Playlist[]>([]);
	state = $state<'idle' | 'loading' | 'ready' | 'error'>('idle');
	error = $state('');
	private loading: Promise<void> | null = null;

	/** Loads the list unless it is loaded or loading; force asks again. */
	load(force = false): Promise<void> {
		if (this.loading) return this.loading;
		if (this.state === 'ready' && !force) return Promise.resolve();
		this.loading = this.fetchAll().finally(() => (this.loading = null));
		return this.loading;
	}

	private async fetchAll(): Promise<void> {
		if (this.state !== 'ready') this.state = 'loading';
		this.error = '';
		try {
			const all: Playlist[] = [];
			let pageToken = '';
			// Every page: a menu that left some out would say they do not exist.
			for (let i = 0; i < 20; i++) {
				const res = await playlistService.listPlaylists({ pageToken, pageSize: 100 });
				all.push(...res.playlists);
				pageToken = res.nextPageToken;
				if (!pageToken) break;
			}
			this.list = all;
			this.state = 'ready';
		} catch (err) {
			this.error = describe(err);
			this.state = 'error';
		}
	}

	/** Makes a playlist and puts it first. Throws the refusal. */
	async create(name: string, opts: { showOnProfile?: boolean; private?: boolean } = {}): Promise<Playlist> {
		const res = await playlistService.createPlaylist({
			name: name.trim(),
			showOnProfile: opts.showOnProfile ?? false,
			private: opts.private ?? false
		});
		const p = res.playlist!;
		this.list = [p, ...this.list.filter((x) => x.id !== p.id)];
		return p;
	}

	/** Appends track to playlist and says how it went in a toast; true when added. */
	async add(playlist: Playlist, track: Track): Promise<boolean> {
		try {
			const res = await playlistService.addPlaylistTrack({ playlistId: playlist.id, trackId: track.id });
			if (res.playlist) this.put(res.playlist);
			toast('success', `Added “${track.title}” to ${playlist.name}.`, {
				label: 'View',
				href: `/playlist/${encodeURIComponent(playlist.id)}`,
				run: () => {}
			});
			return true;
		} catch (err) {
			const code = ConnectError.from(err).code;
			if (code === Code.AlreadyExists) toast('info', `“${track.title}” is already in ${playlist.name}.`);
			else if (code === Code.ResourceExhausted)
				toast('error', `${playlist.name} has ${maxPlaylistTracks} tracks, the most a playlist can hold.`);
			else toast('error', `Could not add “${track.title}” to ${playlist.name}: ${describe(err)}`);
			return false;
		}
	}

	/** Takes in a playlist as the server now has it (after an edit elsewhere). */
	put(p: Playlist): void {
		const i = this.list.findIndex((x) => x.id === p.id);
		if (i >= 0) this.list[i] = p;
		else if (this.state === 'ready') this.list = [p, ...this.list];
	}

	/** Forgets a deleted playlist. */
	drop(id: string): void {
		this.list = this.list.filter((x) => x.id !== id);
	}
}

export const myPlaylists = new MyPlaylists();
