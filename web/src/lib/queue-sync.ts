// Keeps a signed-in account's queue in step with the server, loaded (lazily) once someone
// is signed in; visitors' queues never leave the browser.
//
// - Reads GET /queue (conditional, If-None-Match, once a revision is known) and writes
//   PUT /queue with If-Match, 250 ms after the last local change. A 409 means another tab or
//   device wrote first: its queue (in the answer) wins.
// - Follows QueueService.WatchQueue for changes from anywhere. One tab per browser holds the
//   stream (a Web Lock elects it; browsers give a site only a few connections) and passes
//   what it hears to the others over a BroadcastChannel, where each tab also announces its
//   own writes. The stream reconnects with backoff and its first message catches up.
// - Stale revisions are ignored. A queue from elsewhere never starts playback here: the
//   player only follows it (player.follow), paused.
import { create, fromJson, type JsonValue } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import type { Track } from '$gen/plyr/catalog/v1/catalog_pb';
import { QueueStateSchema, type QueueState } from '$gen/plyr/catalog/v1/listening_pb';
import { catalog, describe, httpError, identity } from '$lib/api';
import { queueService } from '$lib/api';
import { player } from '$lib/state/player.svelte';
import { queue, type Adopted } from '$lib/state/queue.svelte';
import { toast } from '$lib/state/toasts.svelte';

/** A queue at a revision, as GET and PUT /queue and WatchQueue answer it. */
interface Versioned {
	revision: number;
	state: QueueState;
}

const debounceMs = 250;
const maxBackoffMs = 30_000;

class SignedOut extends Error {}
/** A write the server refused as it is (not a conflict): sending it again cannot help. */
class Refused extends Error {}

/** Starts following did's queue; the function returned stops (sign-out, account switch). */
export function startQueueSync(did: string): () => void {
	const sync = new QueueSync(did);
	sync.start();
	return () => sync.stop();
}

class QueueSync {
	private readonly abort = new AbortController();
	private channel: BroadcastChannel | null = null;
	/** True once the first GET settled what the queue is. */
	private ready = false;
	private stopped = false;
	private timer: ReturnType<typeof setTimeout> | undefined;
	private retryTimer: ReturnType<typeof setTimeout> | undefined;
	private writing = false;
	private writeFailures = 0;
	/** The newest queue heard while a local change was pending; settled after the write. */
	private held: Versioned | null = null;
	/** Counts adoptions in progress, so that only the newest one lands. */
	private applying = 0;
	/** Whether the person changed the queue in this page before the first GET answered. */
	private editedEarly = false;

	constructor(private readonly did: string) {}

	start(): void {
		// A change made in this page before the sync started (it is loaded after sign-in is
		// known) is as early as one made before the first answer: it goes up.
		this.editedEarly = queue.unsynced && queue.edits > 0;
		queue.onLocalChange = () => this.localChange();
		if (typeof BroadcastChannel !== 'undefined') {
			this.channel = new BroadcastChannel(`plyr-queue:${this.did}`);
			this.channel.onmessage = (e: MessageEvent<{ revision: number; state: JsonValue }>) => {
				const v = parseVersioned(e.data);
				if (v) this.heard(v);
			};
		}
		addEventListener('pagehide', this.onPageHide);
		document.addEventListener('visibilitychange', this.onVisibility);
		void this.first().then(() => this.watch());
	}

	stop(): void {
		if (this.stopped) return;
		this.stopped = true;
		this.abort.abort();
		clearTimeout(this.timer);
		clearTimeout(this.retryTimer);
		this.channel?.close();
		removeEventListener('pagehide', this.onPageHide);
		document.removeEventListener('visibilitychange', this.onVisibility);
		if (queue.onLocalChange) queue.onLocalChange = null;
	}

	/** The first read: the cached copy is current (304), or the server's queue replaces it,
	 * or this browser's queue goes up (changes made offline or before the answer; a
	 * visitor's queue for an account that has none yet). */
	private async first(): Promise<void> {
		const cached = queue.revision;
		let delay = 1000;
		for (;;) {
			try {
				const got = await getQueue(cached > 0 && !queue.unsynced ? cached : 0, this.abort.signal);
				if (got === 'unchanged') {
					queue.revision = cached;
				} else if (queue.migrate) {
					queue.migrate = false;
					if (got.revision === 0) {
						queue.revision = 0;
						queue.unsynced = true;
					} else {
						await this.adoptFirst(got);
					}
				} else if (queue.unsynced && (this.editedEarly || got.revision === cached)) {
					// Changes made here on top of what the server still has (or just now): they go up.
					queue.revision = got.revision;
				} else {
					// Changes kept from an earlier visit that the server has moved past are dropped.
					queue.unsynced = false;
					await this.adoptFirst(got);
				}
				break;
			} catch (err) {
				if (this.stopped) return;
				if (err instanceof SignedOut) return this.signedOut();
				await sleep(delay, this.abort.signal);
				delay = Math.min(delay * 2, maxBackoffMs);
			}
		}
		if (this.stopped) return;
		this.ready = true;
		if (queue.unsynced) void this.write();
		else this.settleHeld();
	}

	/** Adopts the server's queue on the first read. Someone who changes the queue while its
	 * tracks are fetched (pressing Play as the page opens) acted on this page after it asked:
	 * the change goes up on top of the server's queue instead of being replaced by it. */
	private async adoptFirst(got: Versioned): Promise<void> {
		await this.adopt(got);
		if (!queue.unsynced) return;
		queue.revision = Math.max(queue.revision, got.revision);
		if (this.held && this.held.revision <= queue.revision) this.held = null;
	}

	private localChange(): void {
		if (!this.ready) {
			this.editedEarly = true;
			return;
		}
		clearTimeout(this.timer);
		this.timer = setTimeout(() => void this.write(), debounceMs);
	}

	/** Sends the queue as it is now, unless a write is under way (it sends again after). */
	private async write(): Promise<void> {
		clearTimeout(this.timer);
		if (this.writing || this.stopped || !this.ready || !queue.unsynced) return;
		this.writing = true;
		const edits = queue.edits;
		try {
			const res = await putQueue(snapshot(), queue.revision, { signal: this.abort.signal });
			this.writeFailures = 0;
			if (res.conflict) {
				// Another tab or device wrote first: theirs is the queue now.
				queue.unsynced = false;
				await this.adopt(res.queue);
			} else {
				queue.revision = res.queue.revision;
				if (queue.edits === edits) queue.unsynced = false;
				queue.save();
				this.announce(res.queue);
			}
		} catch (err) {
			if (this.stopped) return;
			if (err instanceof SignedOut) return this.signedOut();
			if (err instanceof Refused) {
				// The server's queue stays the queue.
				toast('error', `Your queue could not be saved: ${err.message}`);
				queue.unsynced = false;
				this.writing = false;
				void this.catchUp(true);
				return;
			}
			// Kept as unsynced (here and in the cache): tried again, and on the next load.
			if (this.writeFailures++ === 0) toast('error', `Your queue could not be saved: ${describe(err)}`);
			clearTimeout(this.timer);
			this.timer = setTimeout(() => void this.write(), Math.min(1000 * 2 ** this.writeFailures, maxBackoffMs));
			return;
		} finally {
			this.writing = false;
		}
		if (queue.unsynced) this.localChange();
		else this.settleHeld();
	}

	/** A queue heard from the stream or another tab. */
	private heard(v: Versioned): void {
		if (this.stopped || v.revision <= queue.revision) return;
		if (!this.ready || this.writing || queue.unsynced) {
			// A local change is on its way: a 409 will bring the newest queue if it is not ours.
			if (!this.held || v.revision > this.held.revision) this.held = v;
			return;
		}
		void this.adopt(v);
	}

	private settleHeld(): void {
		const held = this.held;
		this.held = null;
		if (held && held.revision > queue.revision) void this.adopt(held);
	}

	/** Makes v the queue (fetching the tracks this page has not seen), unless something newer
	 * or a local change came first meanwhile; the player follows, paused. */
	private async adopt(v: Versioned): Promise<void> {
		const mine = ++this.applying;
		let tracks: Map<string, Track>;
		try {
			tracks = await fetchTracks(v.state.trackIds);
		} catch {
			if (this.stopped) return;
			// The catalog could not be reached: try this queue again in a while.
			clearTimeout(this.retryTimer);
			this.retryTimer = setTimeout(() => this.heard(v), 3000);
			return;
		}
		if (this.stopped || mine !== this.applying || v.revision < queue.revision) return;
		if (queue.unsynced && v.revision > queue.revision) {
			this.held = v;
			return;
		}
		queue.adopt(adopted(v, tracks));
		player.follow();
	}

	private announce(v: Versioned): void {
		try {
			this.channel?.postMessage({ revision: v.revision, state: stateJson(v.state) });
		} catch {
			// A closed channel: the stream tells the other tabs too.
		}
	}

	/** Follows WatchQueue, in the one tab that holds the lock (every tab without Web Locks). */
	private async watch(): Promise<void> {
		if (this.stopped) return;
		if (!('locks' in navigator)) return this.stream();
		try {
			await navigator.locks.request(`plyr-queue-watch:${this.did}`, { signal: this.abort.signal }, () => this.stream());
		} catch {
			// Stopped while waiting for the lock.
		}
	}

	private async stream(): Promise<void> {
		let delay = 1000;
		while (!this.stopped) {
			try {
				for await (const msg of queueService.watchQueue({}, { signal: this.abort.signal })) {
					delay = 1000;
					const v: Versioned = { revision: Number(msg.revision), state: msg.state ?? create(QueueStateSchema) };
					this.heard(v);
					this.announce(v);
				}
			} catch (err) {
				if (this.stopped) return;
				if (ConnectError.from(err).code === Code.Unauthenticated) return this.signedOut();
			}
			// Dropped (a restart, the network): again after a while, a little later each time.
			await sleep(delay * (0.75 + Math.random() / 2), this.abort.signal);
			delay = Math.min(delay * 2, maxBackoffMs);
		}
	}

	/** Reads the queue again (conditionally, unless whole) and takes it if it is newer, or
	 * whole, what the server has. */
	private async catchUp(whole = false): Promise<void> {
		try {
			const got = await getQueue(whole ? 0 : queue.revision, this.abort.signal);
			if (got === 'unchanged') return;
			if (whole) {
				if (!queue.unsynced) await this.adopt(got);
			} else this.heard(got);
		} catch (err) {
			if (err instanceof SignedOut) this.signedOut();
		}
	}

	/** Hidden: a pending change goes now. Back in the tab: a cheap conditional read catches
	 * up with what a sleeping stream (a phone in the background) may have missed. */
	private readonly onVisibility = () => {
		if (document.visibilityState === 'hidden') {
			if (queue.unsynced) void this.write();
			return;
		}
		if (this.ready && !this.writing && !queue.unsynced) void this.catchUp();
	};

	/** Leaving the page: a change not sent yet goes up now; where the track was stays in the
	 * cache, and goes up on the next load (a write racing that load's would lose to it). */
	private readonly onPageHide = () => {
		const pending = this.ready && queue.unsynced && !this.writing;
		clearTimeout(this.timer);
		if (player.started) queue.notePosition(player.time * 1000);
		clearTimeout(this.timer);
		if (pending) void putQueue(snapshot(), queue.revision, { keepalive: true }).catch(() => {});
	};

	private signedOut(): void {
		this.stop();
		// The sign-in lapsed: api.ts's check says so, with the way back.
		void identity.getPreferences({}).catch(() => {});
	}
}

/** The queue as the server stores it. */
function snapshot(): QueueState {
	return create(QueueStateSchema, {
		trackIds: queue.tracks.map((t) => t.id),
		currentIndex: Math.max(queue.index, 0),
		shuffle: queue.shuffled,
		originalOrderIds: queue.shuffled ? queue.original : [],
		positionMs: BigInt(Math.max(0, Math.round(queue.positionMs)))
	});
}

/** v with its tracks: those that no longer exist are left out, the current one (or the
 * next one kept, if it is gone) stays current. */
function adopted(v: Versioned, found: Map<string, Track>): Adopted {
	const s = v.state;
	const tracks: Track[] = [];
	let index = -1;
	s.trackIds.forEach((id, i) => {
		if (i === s.currentIndex) index = tracks.length;
		const t = found.get(id);
		if (t) tracks.push(t);
	});
	if (index < 0 || index >= tracks.length) index = tracks.length - 1;
	return {
		revision: v.revision,
		tracks,
		index,
		shuffle: s.shuffle,
		original: s.originalOrderIds.filter((id) => found.has(id)),
		positionMs: Number(s.positionMs)
	};
}

/** The tracks of ids, from what this page has seen or from the catalog (GetTracks, a
 * hundred at a time); tracks that no longer exist are left out. */
async function fetchTracks(ids: string[]): Promise<Map<string, Track>> {
	const found = new Map<string, Track>();
	const missing: string[] = [];
	for (const id of new Set(ids)) {
		const t = queue.knownTrack(id);
		if (t) found.set(id, t);
		else missing.push(id);
	}
	for (let i = 0; i < missing.length; i += 100) {
		const { tracks } = await catalog.getTracks({ ids: missing.slice(i, i + 100) });
		for (const t of tracks) found.set(t.id, t);
	}
	return found;
}

/** state as GET and PUT /queue carry it: protobuf JSON's names, but positionMs a number
 * (protobuf JSON writes 64-bit integers as strings; the endpoint reads them with Go's
 * encoding/json, which takes numbers only; fromJson reads either). */
function stateJson(state: QueueState): JsonValue {
	return {
		trackIds: state.trackIds,
		currentIndex: state.currentIndex,
		shuffle: state.shuffle,
		originalOrderIds: state.originalOrderIds,
		positionMs: Number(state.positionMs)
	};
}

function parseVersioned(body: unknown): Versioned | null {
	if (!body || typeof body !== 'object') return null;
	const b = body as { revision?: unknown; state?: JsonValue };
	const revision = Number(b.revision ?? 0);
	if (!Number.isFinite(revision)) return null;
	try {
		return { revision, state: fromJson(QueueStateSchema, b.state ?? {}, { ignoreUnknownFields: true }) };
	} catch {
		return null;
	}
}

async function getQueue(known: number, signal: AbortSignal): Promise<Versioned | 'unchanged'> {
	const headers: Record<string, string> = { Accept: 'application/json' };
	if (known > 0) headers['If-None-Match'] = `"${known}"`;
	const res = await fetch('/queue', { headers, cache: 'no-store', credentials: 'same-origin', signal });
	if (res.status === 304) return 'unchanged';
	if (res.status === 401) throw new SignedOut();
	if (!res.ok) throw await httpError(res);
	const v = parseVersioned(await res.json());
	if (!v) throw new Error('plyr answered an unreadable queue');
	return v;
}

async function putQueue(
	state: QueueState,
	base: number,
	opts: { signal?: AbortSignal; keepalive?: boolean }
): Promise<{ conflict: boolean; queue: Versioned }> {
	const res = await fetch('/queue', {
		method: 'PUT',
		headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'If-Match': `"${base}"` },
		body: JSON.stringify({ state: stateJson(state) }),
		credentials: 'same-origin',
		...opts
	});
	if (res.status === 401) throw new SignedOut();
	if (res.status === 429) throw new ConnectError('too many changes', Code.ResourceExhausted);
	if (res.status >= 400 && res.status < 500 && res.status !== 409 && res.status !== 429) throw new Refused((await httpError(res)).message);
	if (res.status !== 200 && res.status !== 409) throw await httpError(res);
	const v = parseVersioned(await res.json());
	if (!v) throw new Error('plyr answered an unreadable queue');
	return { conflict: res.status === 409, queue: v };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
	return new Promise((resolve) => {
		if (signal.aborted) return resolve();
		const t = setTimeout(done, ms);
		function done() {
			clearTimeout(t);
			signal.removeEventListener('abort', done);
			resolve();
		}
		signal.addEventListener('abort', done);
	});
}
