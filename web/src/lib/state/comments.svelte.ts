// A track's timed comments, as its page shows them: the list under the track and the
// markers on its seek bar read the same thread. The track page makes one per track.
import { Code, ConnectError } from '@connectrpc/connect';
import type { Comment } from '$gen/plyr/catalog/v1/listening_pb';
import { comments as commentService, describe } from '$lib/api';

/** AddComment's limits on a comment's text. */
export const maxCommentLength = 300;

/** Characters as a person counts them (code points, not UTF-16 units). */
export function textLength(s: string): number {
	return [...s].length;
}

export class CommentThread {
	readonly trackId: string;
	comments = $state<Comment[]>([]);
	enabled = $state(true);
	/** How many comments the track may have; 0 while unknown. */
	max = $state(0);
	state = $state<'loading' | 'ready' | 'error'>('loading');
	error = $state('');

	constructor(trackId: string) {
		this.trackId = trackId;
	}

	get full(): boolean {
		return this.max > 0 && this.comments.length >= this.max;
	}

	async load(): Promise<void> {
		if (this.state !== 'ready') this.state = 'loading';
		this.error = '';
		try {
			const res = await commentService.listComments({ trackId: this.trackId });
			this.comments = sorted(res.comments);
			this.enabled = res.commentsEnabled;
			this.max = res.maxComments;
			this.state = 'ready';
		} catch (err) {
			this.error = describe(err);
			this.state = 'error';
		}
	}

	/** Adds a comment at ms; resolves with the words of a refusal, or '' when added. */
	async add(text: string, ms: number): Promise<string> {
		try {
			const res = await commentService.addComment({ trackId: this.trackId, text, timestampMs: Math.max(0, Math.round(ms)) });
			if (res.comment) this.comments = sorted([...this.comments, res.comment]);
			return '';
		} catch (err) {
			const code = ConnectError.from(err).code;
			if (code === Code.PermissionDenied) {
				// The artist turned comments off since the page loaded.
				this.enabled = false;
				return 'The artist turned comments off for this track.';
			}
			if (code === Code.ResourceExhausted) {
				// Both a full track and too many comments too fast are RESOURCE_EXHAUSTED: the
				// count tells them apart once the list is fresh.
				await this.load();
				return this.full
					? `This track has all the comments it can take (${this.max}).`
					: 'You are commenting too often: wait a moment and try again.';
			}
			if (code === Code.FailedPrecondition) return 'This track is still being published: try again in a moment.';
			return describe(err);
		}
	}

	/** Changes the text of a comment of the caller's; resolves with a refusal's words or ''. */
	async edit(id: string, text: string): Promise<string> {
		try {
			const res = await commentService.editComment({ id, text });
			if (res.comment) this.comments = sorted(this.comments.map((c) => (c.id === id ? res.comment! : c)));
			return '';
		} catch (err) {
			return describe(err);
		}
	}

	/** Deletes a comment of the caller's; resolves with a refusal's words or ''. */
	async remove(id: string): Promise<string> {
		try {
			await commentService.deleteComment({ id });
			this.comments = this.comments.filter((c) => c.id !== id);
			return '';
		} catch (err) {
			return describe(err);
		}
	}
}

/** By timestamp, then oldest first (the server's order, kept after local changes). */
function sorted(list: Comment[]): Comment[] {
	return [...list].sort(
		(a, b) => a.timestampMs - b.timestampMs || Number(a.createdAt?.seconds ?? 0n) - Number(b.createdAt?.seconds ?? 0n)
	);
}
