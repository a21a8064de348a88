// The play queue. A visitor's lives in this browser (localStorage); a signed-in account's
// lives on the server and follows it across tabs and devices (lib/queue-sync.ts, loaded
// once someone is signed in), with this browser's copy as a cache that shows at once on the
// next load. The player plays queue.current and asks the queue what comes next.
//
// Every change made here (add, move, shuffle, …) is a local change: it is saved, and the sync
// hears of it through onLocalChange. A queue that comes from elsewhere (the server, another
// tab) arrives through adopt, which the sync calls, and is not sent back.
import { fromJsonString, toJsonString } from '@bufbuild/protobuf';
import { TrackSchema, type Track } from '$gen/plyr/catalog/v1/catalog_pb';

const storageKey = 'plyr-queue';
/** The most tracks a queue holds (the server's bound). */
export const maxQueue = 1000;

interface Stored {
	/** The account whose queue this is ('' for a visitor's); absent in the first format. */
	owner?: string;
	/** The server revision the copy is based on, and whether it holds changes not sent yet. */
	revision?: number;
	unsynced?: boolean;
	tracks: string[];
	index: number;
	shuffle?: boolean;
	original?: string[];
	positionMs?: number;
}

/** A queue as the server (or another tab) has it, tracks already fetched. */
export interface Adopted {
	revision: number;
	tracks: Track[];
	index: number;
	shuffle: boolean;
	original: string[];
	positionMs: number;
}

class Queue {
	tracks = $state<Track[]>([]);
	/** The position of the current track, -1 when nothing is queued. */
	index = $state(-1);
	/** Whether the queue is shuffled; original then holds the order to go back to. */
	shuffled = $state(false);
	/** The track ids in their order before shuffling (while shuffled). */
	original: string[] = [];
	/** Where the current track was last paused, in ms (restored on the next load). */
	positionMs = 0;

	/** The account whose queue this is, '' for a visitor's. */
	owner = '';
	/** The server revision this queue is based on (0: none yet). */
	revision = 0;
	/** Whether it holds local changes the server has not acknowledged yet. */
	unsynced = false;
	/** A visitor's queue kept at sign-in, to become the account's if it has none yet. */
	migrate = false;
	/** Counts local changes, so the sync knows whether one happened while it wrote. */
	edits = 0;
	/** Called after each local change (set by the sync while someone is signed in). */
	onLocalChange: (() => void) | null = null;

	private known = new Map<string, Track>();
	private owned = false;

	get current(): Track | null {
		return this.tracks[this.index] ?? null;
	}

	get upcoming(): Track[] {
		return this.tracks.slice(this.index + 1);
	}

	get hasNext(): boolean {
		return this.index + 1 < this.tracks.length;
	}

	get hasPrevious(): boolean {
		return this.index > 0;
	}

	/** A track this page has seen in the queue, by id (the sync fetches the others). */
	knownTrack(id: string): Track | undefined {
		return this.known.get(id);
	}

	/** Replaces the queue with list, positioned at index. When shuffled, the tracks after
	 * index are shuffled and list is the order to go back to. */
	replace(list: Track[], index: number): void {
		// A list longer than a queue holds is queued from index on.
		const start = Math.max(0, Math.min(index, list.length - maxQueue));
		list = list.slice(start, start + maxQueue);
		this.remember(list);
		const i = Math.min(Math.max(index - start, 0), list.length - 1);
		if (this.shuffled) {
			this.original = list.map((t) => t.id);
			this.tracks = [...list.slice(0, i + 1), ...shuffled(list.slice(i + 1))];
		} else {
			this.tracks = [...list];
		}
		this.index = i;
		this.positionMs = 0;
		this.changed();
	}

	/** Adds a track at the end; false when the queue is full. */
	add(track: Track): boolean {
		if (this.tracks.length >= maxQueue) return false;
		this.remember([track]);
		this.tracks.push(track);
		if (this.shuffled) this.original.push(track.id);
		if (this.index < 0) this.index = 0;
		this.changed();
		return true;
	}

	/** Removes the track at i (not the current one: the player stops that by itself). */
	remove(i: number): void {
		if (i < 0 || i >= this.tracks.length || i === this.index) return;
		const [t] = this.tracks.splice(i, 1);
		if (i < this.index) this.index--;
		if (this.shuffled && t) {
			const j = this.original.indexOf(t.id);
			if (j >= 0) this.original.splice(j, 1);
		}
		this.changed();
	}

	/** Moves the track at from to position to, keeping the current track current. */
	move(from: number, to: number): void {
		if (from === to || from < 0 || to < 0 || from >= this.tracks.length || to >= this.tracks.length) return;
		const current = this.current;
		const [t] = this.tracks.splice(from, 1);
		this.tracks.splice(to, 0, t!);
		this.index = current ? this.tracks.indexOf(current) : -1;
		this.changed();
	}

	/** Empties the queue but the current track. */
	clear(): void {
		const current = this.current;
		this.tracks = current ? [current] : [];
		this.index = current ? 0 : -1;
		this.original = current ? [current.id] : [];
		this.changed();
	}

	/** Turns shuffle on (the upcoming tracks in a new order, never today's when there is
	 * another) or off (back to the order they were in, the current track still current). */
	toggleShuffle(): void {
		if (!this.shuffled) {
			const rest = this.upcoming;
			this.original = this.tracks.map((t) => t.id);
			this.tracks = [...this.tracks.slice(0, this.index + 1), ...shuffled(rest)];
			this.shuffled = true;
		} else {
			const current = this.current;
			// Each track of the shuffled list takes its place in the original order once.
			const pool = new Map<string, Track[]>();
			for (const t of this.tracks) pool.set(t.id, [...(pool.get(t.id) ?? []), t]);
			const restored: Track[] = [];
			for (const id of this.original) {
				const t = pool.get(id)?.shift();
				if (t) restored.push(t);
			}
			for (const rest of pool.values()) restored.push(...rest);
			this.tracks = restored;
			this.index = current ? this.tracks.indexOf(current) : -1;
			this.shuffled = false;
			this.original = [];
		}
		this.changed();
	}

	/** Makes the track at i current. */
	select(i: number): boolean {
		if (i < 0 || i >= this.tracks.length) return false;
		this.index = i;
		this.positionMs = 0;
		this.changed();
		return true;
	}

	/** Moves to the next track; false at the end. */
	advance(): boolean {
		return this.hasNext && this.select(this.index + 1);
	}

	/** Moves to the previous track; false at the start. */
	back(): boolean {
		return this.hasPrevious && this.select(this.index - 1);
	}

	/** Remembers where the current track was (a pause, leaving the page): the account's other
	 * tabs and devices, and the next load, start from there. */
	notePosition(ms: number): void {
		const rounded = Math.max(0, Math.round(ms));
		if (!this.current || Math.abs(rounded - this.positionMs) < 1000) return;
		this.positionMs = rounded;
		this.changed();
	}

	/** Takes a queue from the server or another tab (not a local change: not sent back). */
	adopt(q: Adopted): void {
		this.remember(q.tracks);
		this.tracks = q.tracks;
		this.index = q.tracks.length ? Math.min(Math.max(q.index, 0), q.tracks.length - 1) : -1;
		this.shuffled = q.shuffle;
		this.original = q.shuffle ? [...q.original] : [];
		this.positionMs = q.positionMs;
		this.revision = q.revision;
		this.unsynced = false;
		this.save();
	}

	/** Says whose queue this is once the page knows who is signed in (did, or '' for a
	 * visitor). On the page's first answer a copy that belongs to someone else is dropped; a
	 * visitor's copy is kept for an account that has no queue yet. When a sign-in lapses
	 * later, what plays goes on as the visitor's queue. */
	own(did: string): void {
		const first = !this.owned;
		this.owned = true;
		if (did === this.owner) return;
		if (first && this.owner !== '') {
			this.tracks = [];
			this.index = -1;
			this.shuffled = false;
			this.original = [];
			this.positionMs = 0;
		}
		this.migrate = first && did !== '' && this.owner === '' && this.tracks.length > 0;
		this.owner = did;
		this.revision = 0;
		this.unsynced = false;
		this.save();
	}

	/** Restores the copy this browser kept (called once, before anyone is known). */
	load(): void {
		try {
			const raw = localStorage.getItem(storageKey);
			if (!raw) return;
			const stored = JSON.parse(raw) as Stored;
			this.tracks = stored.tracks.map((t) => fromJsonString(TrackSchema, t, { ignoreUnknownFields: true }));
			this.index = Math.min(stored.index, this.tracks.length - 1);
			this.shuffled = stored.shuffle ?? false;
			this.original = this.shuffled ? (stored.original ?? []) : [];
			this.positionMs = stored.positionMs ?? 0;
			this.owner = stored.owner ?? '';
			this.revision = stored.revision ?? 0;
			this.unsynced = stored.unsynced ?? false;
			this.remember(this.tracks);
		} catch {
			localStorage.removeItem(storageKey);
		}
	}

	/** Writes this browser's copy. */
	save(): void {
		const stored: Stored = {
			owner: this.owner,
			revision: this.revision,
			unsynced: this.unsynced,
			tracks: this.tracks.map((t) => toJsonString(TrackSchema, t)),
			index: this.index,
			shuffle: this.shuffled,
			original: this.original,
			positionMs: this.positionMs
		};
		try {
			localStorage.setItem(storageKey, JSON.stringify(stored));
		} catch {
			// A full or disabled storage only costs the queue after a reload.
		}
	}

	private changed(): void {
		this.edits++;
		if (this.owner) this.unsynced = true;
		this.save();
		this.onLocalChange?.();
	}

	private remember(list: Track[]): void {
		for (const t of list) this.known.set(t.id, t);
	}
}

/** list in a random order (Fisher–Yates), other than its own when there is another. */
function shuffled(list: Track[]): Track[] {
	if (list.length < 2) return [...list];
	const before = list.map((t) => t.id).join();
	let out = list;
	do {
		out = [...list];
		for (let i = out.length - 1; i > 0; i--) {
			const j = Math.floor(Math.random() * (i + 1));
			[out[i], out[j]] = [out[j]!, out[i]!];
		}
	} while (out.map((t) => t.id).join() === before && new Set(list.map((t) => t.id)).size > 1);
	return out;
}

export const queue = new Queue();
