// The player owns the one <audio> element (rendered once by the layout's PlayerBar, so it
// survives client-side navigation) and plays queue.current. It also reports plays: once per
// track load, when the listener has heard min(30 s, half the track), PlayService.RecordPlay
// (anonymous visitors too), with the share link's ref when the track was opened from one.
//
// A track with a lossless original plays the original where this browser can (else its
// MP3); an original that fails to load before playback begins falls back to the MP3 once,
// at the same position. The current track's waveform (GetTrack's, which lists leave out)
// is fetched once when it starts playing and kept for the seek bars, in a small cache.
//
// A track for its artist's supporters only is not given to the element straight away:
// when it is to play, HEAD /audio/<file> asks first whether this listener may hear it. The
// artist and their supporters may (it then plays, and is not asked about again on this
// page); anyone else gets a notice instead of a failure (sign in, or the artist's support
// link) and the queue moves on to the next track. A track gated after it was queued, whose
// file then fails to load, is explained the same way.
//
// A track a moderation decision took down answers 451 to anyone but its artist (it was
// queued before, or restored from the last visit): the player says "This track is
// unavailable" instead of failing, does not give it to the element again on this page, and
// moves on to the next track.
import type { Track } from '$gen/plyr/catalog/v1/catalog_pb';
import { catalog, plays } from '$lib/api';
import { audioSource, audioUrl } from '$lib/audio';
import { supportLink } from '$lib/pds';
import { prefs } from './prefs.svelte';
import { maxQueue, queue } from './queue.svelte';
import { dismiss, toast } from './toasts.svelte';

const volumeKey = 'plyr-volume';
/** A play counts after this much listening, or half the track when it is shorter than twice that. */
const countAfterMs = 30_000;
/** How many tracks' waveforms are kept. */
const waveformsKept = 50;
const noPeaks = new Uint8Array(0);

/** What HEAD /audio/<file> says of a gated file: this listener may hear it, must sign in,
 * or is not one of the artist's supporters; 'unavailable' when the track was taken down
 * (451); 'unknown' when it could not be asked (the element then tries, and says so if it
 * fails). */
type Gate = 'open' | 'sign-in' | 'supporters' | 'unavailable' | 'unknown';

async function askGate(fileId: string): Promise<Gate> {
	try {
		const res = await fetch(audioUrl(fileId), { method: 'HEAD', credentials: 'include', cache: 'no-store', redirect: 'manual' });
		if (res.status === 401) return 'sign-in';
		if (res.status === 402) return 'supporters';
		if (res.status === 451) return 'unavailable';
		return res.ok || res.type === 'opaqueredirect' ? 'open' : 'unknown';
	} catch {
		return 'unknown';
	}
}

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
	/** True when the current track played to its end and nothing followed. */
	ended = $state(false);
	/** True while this page is the one playing for the listener: from its first play until
	 * another tab or device moves the account's queue to another track. Only then does it
	 * report what plays and where a track was paused. */
	started = $state(false);
	/** Counts seeks (what is playing reports them). */
	seeks = $state(0);
	/** The current track's waveform (peaks 0–255 over the track); empty while unknown. */
	waveform = $state.raw<Uint8Array>(noPeaks);
	/** The id of the last track found taken down (its audio answered 451). */
	private unavailableId = $state('');

	private audio: HTMLAudioElement | null = null;
	private loadedId = '';
	/** Where to go once the loaded file's length is known (a restored position), in s. */
	private resumeAt = 0;
	/** The element holds the loaded track's lossless original (not yet fallen back). */
	private onOriginal = false;
	/** The loaded file got as far as playing. */
	private begun = false;
	/** The listener asked the loaded track to play (and has not paused it since). */
	private wantsPlay = false;
	/** Counts the files given to the element: a play() answered after the next is stale. */
	private srcSeq = 0;
	/** Waveforms by track id, the most recently used last; empty for tracks without one. */
	private waveforms = new Map<string, Uint8Array>();
	/** The track whose waveform was asked for during the current load. */
	private waveformAsked = '';
	/** A gated track shown as the current one while its file is withheld (not asked about
	 * yet, or refused). */
	private heldId = '';
	/** The srcSeq of the held track HEAD /audio is being asked about (-1: none). */
	private askingSeq = -1;
	/** Gated files this page was let play. */
	private cleared = new Set<string>();
	/** Tracks found taken down on this page: never given to the element again. */
	private takenDown = new Set<string>();
	/** Artists' support URLs, by DID, for the supporters-only notice. */
	private supportUrls = new Map<string, string>();
	/** The notice saying why a gated track did not play (one at a time). */
	private gateToast = 0;

	// The play report of the current load: how long it was heard, and whether it was sent
	// (set before the request: one report per load, however the events fall).
	private heardMs = 0;
	private lastTime = 0;
	private reported = false;
	/** The share link a track page was opened with: ?ref= of /track/<id>. */
	private ref: { trackId: string; code: string } | null = null;

	get track(): Track | null {
		return queue.current;
	}

	/** The current track cannot be played: it was taken down (its audio answered 451). */
	get unavailable(): boolean {
		return this.track !== null && this.unavailableId === this.track.id;
	}

	/** Binds the player to its element; called once by PlayerBar. */
	attach(audio: HTMLAudioElement): () => void {
		this.audio = audio;
		const saved = Number(localStorage.getItem(volumeKey));
		if (saved >= 0 && saved <= 1 && localStorage.getItem(volumeKey) !== null) this.volume = saved;
		audio.volume = this.volume;
		const on = (type: string, fn: () => void) => audio.addEventListener(type, fn);
		on('play', () => {
			this.playing = true;
			this.started = true;
			this.ended = false;
			this.fetchWaveform();
		});
		on('pause', () => {
			this.playing = false;
			// A pause the listener made (not a new file replacing the old): others resume from here.
			if (this.started && audio.readyState > 0 && !audio.ended) queue.notePosition(audio.currentTime * 1000);
		});
		on('timeupdate', () => {
			this.time = audio.currentTime;
			this.listen(audio);
		});
		on('seeked', () => (this.lastTime = audio.currentTime));
		on('loadedmetadata', () => {
			if (this.resumeAt > 0 && this.resumeAt < audio.duration - 1) audio.currentTime = this.resumeAt;
			this.resumeAt = 0;
		});
		on('durationchange', () => {
			if (Number.isFinite(audio.duration)) this.duration = audio.duration;
		});
		on('waiting', () => (this.buffering = true));
		on('playing', () => {
			this.buffering = false;
			this.begun = true;
		});
		on('ended', () => {
			if (prefs.autoAdvance && queue.hasNext) {
				this.next();
				return;
			}
			this.ended = true;
			if (this.started) queue.notePosition(0);
		});
		on('error', () => {
			this.buffering = false;
			if (this.fallBack(audio)) return;
			const track = this.track;
			if (!track || !audio.getAttribute('src')) return;
			if (!this.begun && track.id === this.loadedId) void this.explainFailure(track);
			else toast('error', `“${track.title}” could not be played.`);
		});
		this.setupMediaSession();
		// A queue restored from the last visit is shown, not played.
		if (queue.current) this.load(queue.current, false, queue.positionMs);
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
		if (!queue.add(track)) {
			toast('error', `The queue is full (${maxQueue} tracks): remove some to add “${track.title}”.`);
			return;
		}
		if (wasEmpty) this.load(track, true);
		else toast('info', `Added “${track.title}” to the queue.`);
	}

	/** Plays the queue's track at i. */
	jump(i: number): void {
		if (queue.select(i) && queue.current) this.load(queue.current, true);
	}

	toggle(): void {
		if (!this.audio || !this.track) return;
		if (this.audio.paused) {
			// The element may hold another file (none yet, or one that failed): load the current one.
			if (this.loadedId !== this.track.id) this.load(this.track, true, queue.positionMs);
			else {
				this.wantsPlay = true;
				void this.audio.play().catch(() => {});
			}
		} else {
			this.wantsPlay = false;
			this.audio.pause();
		}
	}

	seek(seconds: number): void {
		if (!this.audio || !this.track) return;
		const end = this.duration || this.audio.duration || 0;
		this.audio.currentTime = Math.min(Math.max(seconds, 0), end > 0 ? end - 0.05 : 0);
		this.time = this.audio.currentTime;
		this.resumeAt = 0; // a seek wins over a restored position still waiting for the file
		this.seeks++;
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

	/** Catches up with a queue that changed elsewhere (another tab or device, or whose queue
	 * this is), never starting playback: a new current track is loaded paused, at the
	 * position it was left at (which stops this page's playback: one place plays at a
	 * time); with nothing queued the player empties. A paused page also takes the position
	 * another one paused the same track at. */
	follow(): void {
		const t = queue.current;
		const audio = this.audio;
		if (!audio) return;
		if (!t) {
			audio.pause();
			audio.removeAttribute('src');
			audio.load();
			this.srcSeq++;
			this.onOriginal = false;
			this.wantsPlay = false;
			this.waveform = noPeaks;
			this.loadedId = '';
			this.heldId = '';
			this.time = 0;
			this.duration = 0;
			this.started = false;
			return;
		}
		if (t.id !== this.loadedId) {
			// Playing moved elsewhere: this page stops speaking for the listener.
			this.started = false;
			this.load(t, false, queue.positionMs);
			return;
		}
		if (!this.playing && Math.abs(this.time * 1000 - queue.positionMs) > 2000) {
			this.resumeAt = 0;
			audio.currentTime = queue.positionMs / 1000;
			this.time = audio.currentTime;
		}
	}

	/** Notes the share link a page was opened with (/track/<id>?ref=<code>): the play of that
	 * track reports it. */
	noteRef(url: URL): void {
		const m = /^\/track\/([^/]+)\/?$/.exec(url.pathname);
		const code = url.searchParams.get('ref');
		if (m && code) this.ref = { trackId: decodeURIComponent(m[1]!), code };
	}

	/** Gives the element track's file (playing it when autoplay), from atMs; a gated track
	 * not yet cleared is held and asked about first, unless asked is set (it was). */
	private load(track: Track, autoplay: boolean, atMs = 0, asked = false): void {
		const audio = this.audio;
		if (!audio) return;
		if (this.loadedId !== track.id) {
			if (this.takenDown.has(track.id)) {
				this.hold(audio, track, atMs, false);
				this.unavailableId = track.id;
				if (autoplay) this.sayUnavailable(track);
				return;
			}
			if (track.supportersOnly && !asked && !this.cleared.has(track.fileId)) {
				this.hold(audio, track, atMs, autoplay);
				return;
			}
			this.loadedId = track.id;
			this.heldId = '';
			const src = audioSource(track, (type) => audio.canPlayType(type));
			this.onOriginal = src !== audioUrl(track.fileId);
			this.begun = false;
			this.wantsPlay = false; // until start() below, when it is to play
			this.srcSeq++;
			audio.src = src;
			this.showWaveform(track);
			this.time = atMs / 1000;
			this.duration = track.durationMs / 1000;
			this.resumeAt = atMs / 1000;
			this.heardMs = 0;
			this.lastTime = this.resumeAt;
			this.reported = false;
			this.ended = false;
			this.updateMediaSession(track);
		}
		if (autoplay) this.start(audio, track);
	}

	/** Plays the element's file, saying so when it cannot be played. */
	private start(audio: HTMLAudioElement, track: Track): void {
		this.wantsPlay = true;
		const seq = this.srcSeq;
		const original = this.onOriginal;
		void audio.play().catch((err: unknown) => {
			if (err instanceof DOMException && err.name === 'NotAllowedError') return;
			if (err instanceof DOMException && err.name === 'AbortError') return;
			// Another file replaced this one meanwhile, or an original that cannot be read
			// falls back to the MP3 (the error event): neither is worth a word. A file that
			// cannot be loaded at all is explained by the error event too (it may be gated).
			if (seq !== this.srcSeq) return;
			if (err instanceof DOMException && err.name === 'NotSupportedError') {
				if (original || audio.error) return;
			}
			toast('error', `“${track.title}” could not be played.`);
		});
	}

	/** Shows a gated track as the current one with the element emptied; when it is to
	 * play, asks whether this listener may hear it, then plays it or says why not. */
	private hold(audio: HTMLAudioElement, track: Track, atMs: number, autoplay: boolean): void {
		if (this.heldId !== track.id) {
			this.heldId = track.id;
			audio.pause();
			audio.removeAttribute('src');
			audio.load();
			this.srcSeq++;
			this.loadedId = '';
			this.onOriginal = false;
			this.begun = false;
			this.wantsPlay = false;
			this.playing = false;
			this.showWaveform(track);
			this.time = atMs / 1000;
			this.duration = track.durationMs / 1000;
			this.resumeAt = 0;
			this.ended = false;
			this.updateMediaSession(track);
		}
		const seq = this.srcSeq;
		if (!autoplay || this.askingSeq === seq) return;
		this.askingSeq = seq;
		this.buffering = true;
		void askGate(track.fileId).then((gate) => {
			if (this.askingSeq === seq) {
				this.askingSeq = -1;
				this.buffering = false;
			}
			// Something else was loaded meanwhile.
			if (seq !== this.srcSeq || this.track?.id !== track.id) return;
			if (gate === 'open') this.cleared.add(track.fileId);
			if (gate === 'open' || gate === 'unknown') this.load(track, true, atMs, true);
			else if (gate === 'unavailable') this.markUnavailable(track, true);
			else void this.refuse(track, gate);
		});
	}

	/** After the loaded file failed before playing: a track gated since it was listed says
	 * so (and is held); any other failure is said as one. */
	private async explainFailure(track: Track): Promise<void> {
		const gate = await askGate(track.fileId);
		if (this.track?.id !== track.id || this.loadedId !== track.id) return;
		if (gate === 'unavailable') {
			this.markUnavailable(track, this.wantsPlay);
			return;
		}
		if (gate !== 'sign-in' && gate !== 'supporters') {
			toast('error', `“${track.title}” could not be played.`);
			return;
		}
		this.cleared.delete(track.fileId);
		const audio = this.audio;
		if (audio) this.hold(audio, track, this.time * 1000, false);
		void this.refuse(track, gate);
	}

	/** Says why a gated track does not play for this listener (sign in, or support the
	 * artist, with their link) and moves on to the next queued track. */
	private async refuse(track: Track, gate: 'sign-in' | 'supporters'): Promise<void> {
		const artist = track.artistDisplayName || track.artistHandle;
		const moveOn = queue.hasNext;
		const then = moveOn ? ' Playing the next track.' : '';
		if (moveOn) this.next();
		dismiss(this.gateToast);
		if (gate === 'sign-in') {
			const back = `/login?return_to=${encodeURIComponent(location.pathname)}`;
			this.gateToast = toast(
				'info',
				`Sign in to hear this track: “${track.title}” is for ${artist}’s supporters.${then}`,
				{ label: 'Sign in', href: back, run: () => {} },
				true
			);
			return;
		}
		let link = '';
		try {
			let url = this.supportUrls.get(track.artistDid);
			if (url === undefined) {
				url = (await catalog.getArtist({ artist: { case: 'did', value: track.artistDid } })).artist?.supportUrl ?? '';
				this.supportUrls.set(track.artistDid, url);
			}
			link = supportLink(track.artistDid, url);
		} catch {
			// The notice goes without the link.
		}
		dismiss(this.gateToast);
		this.gateToast = toast(
			'info',
			`For ${artist}’s supporters only: “${track.title}” plays once you support them.${then}`,
			link ? { label: `Support ${artist}`, href: link, external: true, run: () => {} } : undefined,
			true
		);
	}

	/** Notes that track was taken down (its audio answered 451): the element lets go of it
	 * and the player bar says so; when the listener wanted it to play, a notice says so too
	 * and the queue moves on. */
	private markUnavailable(track: Track, wanted: boolean): void {
		this.takenDown.add(track.id);
		const audio = this.audio;
		if (audio && this.track?.id === track.id) this.hold(audio, track, this.time * 1000, false);
		this.unavailableId = track.id;
		this.buffering = false;
		if (wanted) this.sayUnavailable(track);
	}

	/** Says that track is unavailable, and plays the next queued one. */
	private sayUnavailable(track: Track): void {
		this.unavailableId = track.id;
		this.buffering = false;
		const moveOn = queue.hasNext;
		dismiss(this.gateToast);
		this.gateToast = toast('info', `This track is unavailable: “${track.title}” can no longer be played.${moveOn ? ' Playing the next track.' : ''}`);
		if (moveOn) this.next();
	}

	/** After the element's error: when it held the loaded track's lossless original that
	 * never began playing, gives it the MP3 instead (once), at the same position, playing
	 * if it was asked to. Returns whether it did. */
	private fallBack(audio: HTMLAudioElement): boolean {
		const track = this.track;
		if (!this.onOriginal || this.begun || !track || track.id !== this.loadedId) return false;
		this.onOriginal = false;
		this.srcSeq++;
		this.resumeAt = this.time;
		this.lastTime = this.time;
		audio.src = audioUrl(track.fileId);
		if (this.wantsPlay) this.start(audio, track);
		return true;
	}

	/** Shows the track's waveform when it is known (kept, or carried by the track: GetTrack's
	 * tracks have theirs); otherwise the plain bar until it is fetched. */
	private showWaveform(track: Track): void {
		this.waveformAsked = '';
		if (track.waveform.length && !this.waveforms.has(track.id)) this.keepWaveform(track.id, track.waveform);
		const kept = this.waveforms.get(track.id);
		if (kept) this.keepWaveform(track.id, kept); // most recently used
		this.waveform = kept ?? noPeaks;
	}

	/** Fetches the loaded track's waveform, once per load, unless it is known. */
	private fetchWaveform(): void {
		const id = this.loadedId;
		if (!id || this.waveforms.has(id) || this.waveformAsked === id) return;
		this.waveformAsked = id;
		catalog
			.getTrack({ id })
			.then((res) => {
				const peaks = res.track?.waveform ?? noPeaks;
				this.keepWaveform(id, peaks);
				if (this.loadedId === id) this.waveform = peaks;
			})
			.catch(() => {
				// The plain seek bar does; the next load asks again.
			});
	}

	private keepWaveform(id: string, peaks: Uint8Array): void {
		this.waveforms.delete(id);
		this.waveforms.set(id, peaks);
		while (this.waveforms.size > waveformsKept) {
			const oldest = this.waveforms.keys().next().value;
			if (oldest === undefined) break;
			this.waveforms.delete(oldest);
		}
	}

	/** Adds what was heard since the last timeupdate (not a seek's jump) and reports the play
	 * once enough was. */
	private listen(audio: HTMLAudioElement): void {
		const t = audio.currentTime;
		const step = t - this.lastTime;
		this.lastTime = t;
		if (audio.paused || audio.seeking || step <= 0 || step > 2) return;
		this.heardMs += step * 1000;
		const track = this.track;
		if (this.reported || !track || track.id !== this.loadedId) return;
		// The longer of the file's and the catalog's length, and a little more: the server
		// judges by the catalog's, and a report that falls short cannot be sent again.
		const lengthMs = Math.max(Number.isFinite(audio.duration) ? audio.duration * 1000 : 0, track.durationMs);
		const need = lengthMs > 0 ? Math.min(countAfterMs, lengthMs / 2) : countAfterMs;
		const enough = Math.min(need + 250, Math.max(need, lengthMs - 500));
		if (this.heardMs < enough) return;
		this.reported = true;
		void this.recordPlay(track, this.heardMs);
	}

	private async recordPlay(track: Track, heardMs: number): Promise<void> {
		const ref = this.ref?.trackId === track.id ? this.ref.code : '';
		if (ref) this.ref = null;
		try {
			const res = await plays.recordPlay({ trackId: track.id, listenedMs: BigInt(Math.round(heardMs)), ref });
			if (res.counted) track.playCount = res.playCount;
		} catch {
			// A play that could not be reported is not worth interrupting the listener for.
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
