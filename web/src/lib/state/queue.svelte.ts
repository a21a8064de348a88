// The play queue, kept in this browser (localStorage) for now; Catalog II syncs it across
// devices. The player plays queue.current and asks the queue what comes next.
import { fromJsonString, toJsonString } from '@bufbuild/protobuf';
import { TrackSchema, type Track } from '$gen/plyr/catalog/v1/catalog_pb';

const storageKey = 'plyr-queue';

interface Stored {
	tracks: string[];
	index: number;
}

class Queue {
	tracks = $state<Track[]>([]);
	/** The position of the current track, -1 when nothing is queued. */
	index = $state(-1);

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

	/** Replaces the queue with list, positioned at index. */
	replace(list: Track[], index: number): void {
		this.tracks = [...list];
		this.index = Math.min(Math.max(index, 0), list.length - 1);
		this.save();
	}

	/** Adds a track at the end. */
	add(track: Track): void {
		this.tracks.push(track);
		if (this.index < 0) this.index = 0;
		this.save();
	}

	/** Removes the track at i (not the current one: the player stops that by itself). */
	remove(i: number): void {
		if (i < 0 || i >= this.tracks.length || i === this.index) return;
		this.tracks.splice(i, 1);
		if (i < this.index) this.index--;
		this.save();
	}

	/** Moves the track at from to position to, keeping the current track current. */
	move(from: number, to: number): void {
		if (from === to || from < 0 || to < 0 || from >= this.tracks.length || to >= this.tracks.length) return;
		const current = this.current;
		const [t] = this.tracks.splice(from, 1);
		this.tracks.splice(to, 0, t!);
		this.index = current ? this.tracks.indexOf(current) : -1;
		this.save();
	}

	/** Empties the queue but the current track. */
	clear(): void {
		const current = this.current;
		this.tracks = current ? [current] : [];
		this.index = current ? 0 : -1;
		this.save();
	}

	/** Shuffles the upcoming tracks (Fisher–Yates), into an order other than today's when
	 * there is one. */
	shuffle(): void {
		const head = this.tracks.slice(0, this.index + 1);
		const rest = this.upcoming;
		if (rest.length < 2) return;
		const before = rest.map((t) => t.id).join();
		let shuffled = rest;
		do {
			shuffled = [...rest];
			for (let i = shuffled.length - 1; i > 0; i--) {
				const j = Math.floor(Math.random() * (i + 1));
				[shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
			}
		} while (shuffled.map((t) => t.id).join() === before);
		this.tracks = [...head, ...shuffled];
		this.save();
	}

	/** Moves to the next track; false at the end. */
	advance(): boolean {
		if (!this.hasNext) return false;
		this.index++;
		this.save();
		return true;
	}

	/** Moves to the previous track; false at the start. */
	back(): boolean {
		if (!this.hasPrevious) return false;
		this.index--;
		this.save();
		return true;
	}

	load(): void {
		try {
			const raw = localStorage.getItem(storageKey);
			if (!raw) return;
			const stored = JSON.parse(raw) as Stored;
			this.tracks = stored.tracks.map((t) => fromJsonString(TrackSchema, t, { ignoreUnknownFields: true }));
			this.index = Math.min(stored.index, this.tracks.length - 1);
		} catch {
			localStorage.removeItem(storageKey);
		}
	}

	private save(): void {
		const stored: Stored = { tracks: this.tracks.map((t) => toJsonString(TrackSchema, t)), index: this.index };
		try {
			localStorage.setItem(storageKey, JSON.stringify(stored));
		} catch {
			// A full or disabled storage only costs the queue after a reload.
		}
	}
}

export const queue = new Queue();
