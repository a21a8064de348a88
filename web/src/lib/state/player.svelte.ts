// The player owns the one <audio> element (rendered once by the layout's PlayerBar, so it
// survives client-side navigation) and plays queue.current.
import type { Track } from '$gen/plyr/catalog/v1/catalog_pb';
import { prefs } from './prefs.svelte';
import { queue } from './queue.svelte';
import { toast } from './toasts.svelte';

const volumeKey = 'plyr-volume';

class Player {
	playing = $state(false);
	/** Seconds into the current track. */
	time = $state(0);
	/** The current track's length in seconds (from the catalog until the file says). */
	duration = $state(0);
	volume = $state(0.7);
	muted = $state(false);
	/** True while the browser waits for audio data. */
	buffering = $state(false);

	private audio: HTMLAudioElement | null = null;
	private loadedId = '';

	get track(): Track | null {
		return queue.current;
	}

	/** Binds the player to its element; called once by PlayerBar. */
	attach(audio: HTMLAudioElement): () => void {
		this.audio = audio;
		const saved = Number(localStorage.getItem(volumeKey));
		if (saved >= 0 && saved <= 1 && localStorage.getItem(volumeKey) !== null) this.volume = saved;
		audio.volume = this.volume;
		const on = (type: string, fn: () => void) => audio.addEventListener(type, fn);
		on('play', () => (this.playing = true));
		on('pause', () => (this.playing = false));
		on('timeupdate', () => (this.time = audio.currentTime));
		on('durationchange', () => {
			if (Number.isFinite(audio.duration)) this.duration = audio.duration;
		});
		on('waiting', () => (this.buffering = true));
		on('playing', () => (this.buffering = false));
		on('ended', () => {
			if (prefs.autoAdvance) this.next();
		});
		on('error', () => {
			this.buffering = false;
			if (this.track) toast('error', `“${this.track.title}” could not be played.`);
		});
		this.setupMediaSession();
		// A queue restored from the last visit is shown, not played.
		if (queue.current) this.load(queue.current, false);
		return () => (this.audio = null);
	}

	/** Plays track, with list (the screen it was in) as the queue. */
	play(track: Track, list: Track[] = [track]): void {
		const i = list.findIndex((t) => t.id === track.id);
		queue.replace(i >= 0 ? list : [track], Math.max(i, 0));
		this.load(track, true);
	}

	/** Adds a track to the end of the queue, starting it when nothing plays. */
	enqueue(track: Track): void {
		const wasEmpty = queue.current === null;
		queue.add(track);
		if (wasEmpty) this.load(track, true);
		else toast('info', `Added “${track.title}” to the queue.`);
	}

	/** Plays the queue's track at i. */
	jump(i: number): void {
		queue.replace(queue.tracks, i);
		if (queue.current) this.load(queue.current, true);
	}

	toggle(): void {
		if (!this.audio || !this.track) return;
		if (this.audio.paused) void this.audio.play().catch(() => {});
		else this.audio.pause();
	}

	seek(seconds: number): void {
		if (!this.audio || !this.track) return;
		const end = this.duration || this.audio.duration || 0;
		this.audio.currentTime = Math.min(Math.max(seconds, 0), end > 0 ? end - 0.05 : 0);
		this.time = this.audio.currentTime;
	}

	skip(delta: number): void {
		this.seek(this.time + delta);
	}

	next(): void {
		if (queue.advance() && queue.current) this.load(queue.current, true);
		else this.audio?.pause();
	}

	/** Restarts the track when more than 3 s in, else goes to the previous one. */
	previous(): void {
		if (this.time > 3 || !queue.hasPrevious) {
			this.seek(0);
			return;
		}
		queue.back();
		if (queue.current) this.load(queue.current, true);
	}

	setVolume(v: number): void {
		this.volume = Math.min(Math.max(v, 0), 1);
		this.muted = false;
		if (this.audio) {
			this.audio.volume = this.volume;
			this.audio.muted = false;
		}
		localStorage.setItem(volumeKey, String(this.volume));
	}

	toggleMute(): void {
		this.muted = !this.muted;
		if (this.audio) this.audio.muted = this.muted;
	}

	private load(track: Track, autoplay: boolean): void {
		const audio = this.audio;
		if (!audio) return;
		if (this.loadedId !== track.id) {
			this.loadedId = track.id;
			audio.src = `/audio/${encodeURIComponent(track.fileId)}`;
			this.time = 0;
			this.duration = track.durationMs / 1000;
			this.updateMediaSession(track);
		}
		if (autoplay) {
			void audio.play().catch((err: unknown) => {
				if (err instanceof DOMException && err.name === 'NotAllowedError') return;
				if (err instanceof DOMException && err.name === 'AbortError') return;
				toast('error', `“${track.title}” could not be played.`);
			});
		}
	}

	private setupMediaSession(): void {
		if (!('mediaSession' in navigator)) return;
		const ms = navigator.mediaSession;
		const handle = (action: MediaSessionAction, fn: MediaSessionActionHandler) => {
			try {
				ms.setActionHandler(action, fn);
			} catch {
				// Not every browser knows every action.
			}
		};
		handle('play', () => this.toggle());
		handle('pause', () => this.toggle());
		handle('previoustrack', () => this.previous());
		handle('nexttrack', () => this.next());
		handle('seekbackward', (d) => this.skip(-(d.seekOffset ?? 10)));
		handle('seekforward', (d) => this.skip(d.seekOffset ?? 10));
		handle('seekto', (d) => {
			if (d.seekTime !== undefined) this.seek(d.seekTime);
		});
	}

	private updateMediaSession(track: Track): void {
		if (!('mediaSession' in navigator)) return;
		const artwork = track.imageUrl ? [{ src: track.imageUrl, sizes: '512x512', type: 'image/webp' }] : [];
		navigator.mediaSession.metadata = new MediaMetadata({
			title: track.title,
			artist: track.artistDisplayName || track.artistHandle,
			album: track.album?.title ?? '',
			artwork
		});
	}
}

export const player = new Player();

/** m:ss (or h:mm:ss) for a number of seconds. */
export function clock(seconds: number): string {
	if (!Number.isFinite(seconds) || seconds < 0) seconds = 0;
	const s = Math.floor(seconds % 60);
	const m = Math.floor(seconds / 60) % 60;
	const h = Math.floor(seconds / 3600);
	const ss = String(s).padStart(2, '0');
	return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
