// Uploads: the file goes up as plain HTTP (POST /upload, multipart, through XMLHttpRequest
// for byte-level progress), then WatchUpload follows the processing until the track is
// ready, refused or failed. Everything lives here, not in the upload page, so that the
// person can keep browsing: one progress toast per upload says where it stands.
//
// A file the account already uploaded (the same bytes, processing or ready) is answered
// 200 with that upload's ids instead of 202: nothing new is made, nothing is followed,
// and the person is pointed at the track they already have.
//
// A track whose audio was to be copied to the artist's PDS and was not (refused for its
// size, or failed) is ready all the same: a separate notice says so, as a warning.
//
// Leaving plyr (closing the tab, reloading) while a file is still being sent, or while its
// details are being saved, loses it: a beforeunload handler asks first. Processing goes on
// on the server whatever the browser does.
import { Code, ConnectError } from '@connectrpc/connect';
import { UploadPhase, UploadStatus, type WatchUploadResponse } from '$gen/plyr/media/v1/media_pb';
import { catalog, describe, media } from '$lib/api';
import { dismiss, toast, update } from '$lib/state/toasts.svelte';
import { uploadImage } from '$lib/images';

/** What an upload may carry besides its title and file; applied with UpdateTrack once the
 * file is accepted. Empty or missing fields are left alone. */
export interface UploadExtras {
	album?: string;
	tags?: string[];
	/** Featured artists, by handle. */
	features?: string[];
	/** Artwork, sent to POST /images first. */
	artwork?: File | null;
}

export type UploadStage = 'sending' | 'processing';

/** An upload in flight. */
export interface ActiveUpload {
	key: number;
	title: string;
	stage: UploadStage;
	/** 0..1: bytes sent while sending, the server's estimate while processing. */
	progress: number;
	phase: UploadPhase;
	/** Album, tags, features or artwork are still being saved. */
	saving: boolean;
	/** Set once the server accepted the file. */
	trackId: string;
}

/** How an upload ended. */
export type UploadOutcome =
	| { status: 'ready'; trackId: string }
	/** The server refused the body (400, 413, 429, 408…): nothing was kept. */
	| { status: 'refused'; httpStatus: number; message: string }
	/** Processing refused the file (not audio, damaged, too long…) or failed. */
	| { status: 'rejected' | 'failed'; trackId: string; message: string }
	/** The person cancelled while the file was being sent. */
	| { status: 'cancelled' }
	/** The account already uploaded these bytes: trackId is that upload's track. Nothing
	 * new was made (and the form's album, tags and artwork were not applied to it). */
	| { status: 'duplicate'; trackId: string }
	/** The answer never came (connection lost while following processing). */
	| { status: 'unknown'; trackId: string; message: string };

interface Accepted {
	trackId: string;
	uploadId: string;
	/** The same bytes were uploaded before: the ids are that upload's. */
	duplicate: boolean;
}

/** A refusal of POST /upload or POST /images, with the server's words. */
class HttpRefusal extends Error {
	constructor(
		readonly status: number,
		message: string,
		readonly retryAfter = 0
	) {
		super(message);
	}
}

class Cancelled extends Error {}

const phaseWords: Record<UploadPhase, string> = {
	[UploadPhase.UNSPECIFIED]: 'processing',
	[UploadPhase.QUEUED]: 'waiting its turn',
	[UploadPhase.VALIDATING]: 'checking the audio',
	[UploadPhase.STORING]: 'storing',
	[UploadPhase.TRANSCODING]: 'making the MP3',
	[UploadPhase.PDS_UPLOAD]: 'copying it to your PDS',
	[UploadPhase.PUBLISHING]: 'publishing',
	[UploadPhase.DONE]: 'finishing'
};

let nextKey = 1;

class Uploads {
	/** Uploads in flight, oldest first. */
	active = $state<ActiveUpload[]>([]);

	/** Whether leaving plyr now would lose something: a file still being sent, or its
	 * details still being saved. */
	get unsafeToLeave(): boolean {
		return this.active.some((u) => u.stage === 'sending' || u.saving);
	}

	/** Whether a file is still being sent. */
	get sending(): boolean {
		return this.active.some((u) => u.stage === 'sending');
	}

	/** Sends file as a new track titled title, then follows it to its end; extras are
	 * applied once the file is accepted. The promise never rejects: every ending is an
	 * outcome, and has been shown to the person in a toast. */
	async upload(file: File, title: string, extras: UploadExtras = {}): Promise<UploadOutcome> {
		const item: ActiveUpload = {
			key: nextKey++,
			title,
			stage: 'sending',
			progress: 0,
			phase: UploadPhase.UNSPECIFIED,
			saving: false,
			trackId: ''
		};
		this.active.push(item);
		// Reactive from here on: changes through u reach the page.
		const u = this.active[this.active.length - 1]!;
		this.guardUnload();

		const xhr = new XMLHttpRequest();
		const toastId = toast('progress', `Uploading “${title}” — 0%`, {
			label: 'Cancel',
			run: () => xhr.abort()
		});
		update(toastId, { progress: 0 });

		try {
			let accepted: Accepted;
			try {
				accepted = await this.send(xhr, file, title, (fraction) => {
					const before = Math.floor(u.progress * 100);
					u.progress = fraction;
					const pct = Math.floor(fraction * 100);
					if (pct !== before) {
						update(toastId, {
							progress: fraction,
							text: pct >= 100 ? `Uploading “${title}” — finishing…` : `Uploading “${title}” — ${pct}%`
						});
					}
				});
			} catch (err) {
				return this.refused(toastId, title, err);
			}
			if (accepted.duplicate) return this.duplicate(toastId, title, accepted.trackId);

			u.trackId = accepted.trackId;
			u.stage = 'processing';
			u.progress = 0;
			update(toastId, { action: undefined, progress: 0, text: `Processing “${title}”: waiting its turn` });

			const wanted = hasExtras(extras);
			u.saving = wanted;
			this.guardUnload();
			const saved = wanted
				? this.applyExtras(accepted.trackId, title, extras).finally(() => {
						u.saving = false;
						this.guardUnload();
					})
				: Promise.resolve();
			const outcome = await this.follow(accepted, title, toastId, u);
			await saved;
			return outcome;
		} finally {
			const i = this.active.findIndex((x) => x.key === item.key);
			if (i >= 0) this.active.splice(i, 1);
			this.guardUnload();
		}
	}

	/** POST /upload: title, then the file, as multipart; resolves with the 202's body (a
	 * new upload) or the 200's (the same bytes as an earlier one). */
	private send(xhr: XMLHttpRequest, file: File, title: string, onProgress: (fraction: number) => void): Promise<Accepted> {
		return new Promise((resolve, reject) => {
			const form = new FormData();
			form.append('title', title);
			form.append('file', file, safeFileName(file.name));
			xhr.open('POST', '/upload');
			xhr.setRequestHeader('Accept', 'application/json');
			xhr.upload.onprogress = (e) => {
				if (e.lengthComputable && e.total > 0) onProgress(Math.min(e.loaded / e.total, 1));
			};
			xhr.onload = () => {
				if (xhr.status === 202 || xhr.status === 200) {
					try {
						const body = JSON.parse(xhr.responseText) as Partial<Accepted>;
						if (body.trackId && body.uploadId) {
							resolve({ trackId: body.trackId, uploadId: body.uploadId, duplicate: xhr.status === 200 && body.duplicate === true });
							return;
						}
					} catch {
						// fall through
					}
					reject(new HttpRefusal(xhr.status, 'plyr answered in a way this page does not understand.'));
					return;
				}
				reject(
					new HttpRefusal(
						xhr.status,
						errorMessage(xhr.responseText) || `${xhr.status} ${xhr.statusText}`.trim(),
						Number(xhr.getResponseHeader('Retry-After')) || 0
					)
				);
			};
			xhr.onerror = () =>
				reject(new HttpRefusal(0, navigator.onLine ? 'the connection to plyr was lost.' : 'you are offline.'));
			xhr.ontimeout = () => reject(new HttpRefusal(0, 'plyr took too long to answer.'));
			xhr.onabort = () => reject(new Cancelled());
			xhr.send(form);
		});
	}

	/** Shows why POST /upload did not take the file. */
	private refused(toastId: number, title: string, err: unknown): UploadOutcome {
		if (err instanceof Cancelled) {
			dismiss(toastId);
			toast('info', `Upload of “${title}” cancelled.`);
			return { status: 'cancelled' };
		}
		const status = err instanceof HttpRefusal ? err.status : 0;
		const said = err instanceof Error ? err.message : String(err);
		const message = refusalText(title, status, said, err instanceof HttpRefusal ? err.retryAfter : 0);
		update(toastId, { kind: 'error', text: message, progress: undefined, action: undefined });
		return { status: 'refused', httpStatus: status, message };
	}

	/** Says that the file was uploaded before, pointing at that track. */
	private duplicate(toastId: number, title: string, trackId: string): UploadOutcome {
		dismiss(toastId);
		toast('info', `You already uploaded this file: “${title}” is the same audio as one of your tracks, so nothing new was uploaded.`, {
			label: 'View track',
			href: `/track/${trackId}`,
			run: () => {}
		});
		return { status: 'duplicate', trackId };
	}

	/** Follows WatchUpload until the upload ends, reconnecting when the stream breaks. */
	private async follow(accepted: Accepted, title: string, toastId: number, u: ActiveUpload): Promise<UploadOutcome> {
		const { trackId, uploadId } = accepted;
		let failures = 0;
		for (;;) {
			try {
				for await (const msg of media.watchUpload({ uploadId })) {
					failures = 0;
					const end = this.show(msg, title, toastId, u);
					if (end) return end;
				}
				// The stream ended without an ending: ask again.
				failures++;
			} catch (err) {
				const code = ConnectError.from(err).code;
				const transient = [Code.Unavailable, Code.Unknown, Code.DeadlineExceeded, Code.Internal, Code.Aborted, Code.ResourceExhausted];
				if (!transient.includes(code)) return this.lost(trackId, title, toastId, describe(err));
				failures++;
			}
			if (failures > 6) return this.lost(trackId, title, toastId, 'the connection to plyr keeps breaking.');
			await sleep(Math.min(1000 * 2 ** (failures - 1), 15000));
		}
	}

	/** Shows one WatchUpload message; returns the outcome when it is the last. */
	private show(msg: WatchUploadResponse, title: string, toastId: number, u: ActiveUpload): UploadOutcome | null {
		const trackId = msg.trackId || u.trackId;
		switch (msg.status) {
			case UploadStatus.READY:
				dismiss(toastId);
				toast('success', `“${title}” is ready.`, { label: 'View track', href: `/track/${trackId}`, run: () => {} });
				this.warnPds(title, msg);
				return { status: 'ready', trackId };
			case UploadStatus.REJECTED: {
				const message = `“${title}” was not accepted: ${sentence(msg.error || 'the file could not be used')} Nothing of it was kept.`;
				update(toastId, { kind: 'error', text: message, progress: undefined, action: undefined });
				return { status: 'rejected', trackId, message };
			}
			case UploadStatus.FAILED: {
				const message = `“${title}” could not be processed${msg.error ? `: ${sentence(msg.error)}` : '.'} Nothing of it was kept; try uploading it again.`;
				update(toastId, { kind: 'error', text: message, progress: undefined, action: undefined });
				return { status: 'failed', trackId, message };
			}
			default: {
				u.phase = msg.phase;
				u.progress = Math.min(Math.max(msg.progressPercent, 0), 100) / 100;
				update(toastId, {
					progress: u.progress,
					text: `Processing “${title}”: ${phaseWords[msg.phase] ?? 'processing'} — ${Math.round(u.progress * 100)}%`
				});
				return null;
			}
		}
	}

	/** A ready track whose audio was to be copied to the PDS and was not: a warning (it
	 * plays from plyr all the same), not a failure. */
	private warnPds(title: string, msg: WatchUploadResponse): void {
		const portal = { label: 'Open portal', href: '/portal', run: () => {} };
		if (msg.pdsBlob === 'too_large') {
			toast('info', `Your PDS refused the audio of “${title}” for its size: it plays from plyr storage only.`, undefined, true);
		} else if (msg.pdsBlob === 'failed' || (msg.error && msg.pdsBlob !== 'on_pds' && msg.pdsBlob !== 'uploaded')) {
			const why = msg.error ? ` (${msg.error.replace(/\.$/, '')})` : '';
			toast('info', `The audio of “${title}” could not be copied to your PDS${why}. It plays from plyr all the same; you can move it from your portal later.`, portal, true);
		}
	}

	private lost(trackId: string, title: string, toastId: number, why: string): UploadOutcome {
		const message = `Lost sight of “${title}” while it was being processed (${why.replace(/\.$/, '')}). It may still finish: your portal will show it.`;
		update(toastId, {
			kind: 'error',
			text: message,
			progress: undefined,
			action: { label: 'Open portal', href: '/portal', run: () => {} }
		});
		return { status: 'unknown', trackId, message };
	}

	/** Saves album, tags, features and artwork on the accepted track. A refused feature
	 * handle would refuse the whole edit, so then the rest is saved without features. */
	private async applyExtras(trackId: string, title: string, extras: UploadExtras): Promise<void> {
		const problems: string[] = [];
		let imageId: string | undefined;
		if (extras.artwork) {
			try {
				imageId = (await uploadImage(extras.artwork)).imageId;
			} catch (err) {
				problems.push(`the artwork was not saved (${err instanceof Error ? err.message.replace(/\.$/, '') : String(err)})`);
			}
		}
		const album = extras.album?.trim() ?? '';
		const tags = extras.tags ?? [];
		const features = extras.features ?? [];
		const request = {
			id: trackId,
			...(album ? { album } : {}),
			...(tags.length ? { setTags: true, tags } : {}),
			...(imageId ? { imageId } : {})
		};
		const withFeatures = features.length ? { ...request, setFeatures: true, features } : request;
		const hasOther = album !== '' || tags.length > 0 || imageId !== undefined;
		if (hasOther || features.length) {
			try {
				await updateOnceDrafted(withFeatures);
			} catch (err) {
				const invalid = ConnectError.from(err).code === Code.InvalidArgument;
				if (features.length && invalid && hasOther) {
					problems.push(`the featured artists were not saved (${describe(err).replace(/\.$/, '')})`);
					try {
						await updateOnceDrafted(request);
					} catch (err2) {
						problems.push(`its details were not saved (${describe(err2).replace(/\.$/, '')})`);
					}
				} else {
					problems.push(`its details were not saved (${describe(err).replace(/\.$/, '')})`);
				}
			}
		}
		if (problems.length) {
			toast('error', `“${title}” was uploaded, but ${problems.join('; ')}. You can edit it in your portal.`, {
				label: 'Open portal',
				href: '/portal',
				run: () => {}
			});
		}
	}

	private unloadOn = false;

	/** Keeps the beforeunload prompt registered exactly while leaving would lose something. */
	private guardUnload(): void {
		if (typeof window === 'undefined') return;
		const want = this.unsafeToLeave;
		if (want === this.unloadOn) return;
		this.unloadOn = want;
		if (want) window.addEventListener('beforeunload', onBeforeUnload);
		else window.removeEventListener('beforeunload', onBeforeUnload);
	}
}

function onBeforeUnload(e: BeforeUnloadEvent): void {
	e.preventDefault();
	// Older browsers need returnValue set to show the prompt.
	e.returnValue = '';
}

/** UpdateTrack, retried while the track is not there yet: the upload's workflow creates
 * the track moments after POST /upload answers with its id. */
async function updateOnceDrafted(request: Parameters<typeof catalog.updateTrack>[0]): Promise<void> {
	for (let wait = 200; ; wait *= 2) {
		try {
			await catalog.updateTrack(request);
			return;
		} catch (err) {
			if (ConnectError.from(err).code !== Code.NotFound || wait > 6400) throw err;
			await new Promise((resolve) => setTimeout(resolve, wait));
		}
	}
}

/** The message of an error body in Connect's shape ({"code", "message"}), or ''. */
function errorMessage(text: string): string {
	try {
		const body = JSON.parse(text) as { message?: unknown };
		return typeof body.message === 'string' ? body.message : '';
	} catch {
		return '';
	}
}

/** The words for a refused POST /upload: what happened, then the server's own. */
function refusalText(title: string, status: number, said: string, retryAfter: number): string {
	const reason = said.replace(/\.$/, '');
	switch (status) {
		case 0:
			return `“${title}” could not be sent: ${reason}. Nothing was uploaded.`;
		case 413:
			return `“${title}” is too large to upload (${reason}).`;
		case 429:
			return `Too many uploads at once: “${title}” was not sent (${reason}). Wait ${retryAfter ? `${retryAfter} seconds or ` : ''}until another upload finishes, then try again.`;
		case 408:
			return `“${title}” was sent too slowly and was cut off (${reason}). Try again on a steadier connection.`;
		case 401:
			return `Sign in again to upload: “${title}” was not sent (${reason}).`;
		default:
			return `“${title}” was refused: ${reason}.`;
	}
}

/** s ending with a full stop, unless it ends with other punctuation. */
function sentence(s: string): string {
	const t = s.trim();
	return /[.!?…]$/.test(t) ? t : `${t}.`;
}

function hasExtras(e: UploadExtras): boolean {
	return Boolean(e.album?.trim() || e.tags?.length || e.features?.length || e.artwork);
}

/** A file name the server takes: one line of at most 255 characters, keeping the
 * extension. */
function safeFileName(name: string): string {
	// eslint-disable-next-line no-control-regex
	let clean = name.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').trim() || 'upload';
	const chars = Array.from(clean);
	if (chars.length > 255) {
		const dot = clean.lastIndexOf('.');
		const ext = dot > 0 && clean.length - dot <= 10 ? clean.slice(dot) : '';
		clean = chars.slice(0, 255 - Array.from(ext).length).join('') + ext;
	}
	return clean;
}

function sleep(ms: number): Promise<void> {
	return new Promise((r) => setTimeout(r, ms));
}

export const uploads = new Uploads();
