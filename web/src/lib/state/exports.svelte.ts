// The artist's download of all their tracks: StartExport, then WatchExport followed to its
// end in one progress toast ("Preparing your download 4/12…"), here rather than in a screen
// so that they can keep browsing. A ready export's toast stays, with the download link,
// until dismissed; a failed one says why. An export still being built from an earlier
// visit is picked up by resume (the portal calls it).
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { ExportStatus, type Export } from '$gen/plyr/media/v1/media_pb';
import { describe, media } from '$lib/api';
import { megabytes } from '$lib/pds';
import { followStream } from './streams';
import { toast, update } from './toasts.svelte';

class Exports {
	/** From Start until the export is ready, failed or lost. */
	busy = $state(false);
	private resumed = false;

	/** Follows the artist's export when one is still being built (after a reload); asked
	 * once per page load. */
	async resume(): Promise<void> {
		if (this.busy || this.resumed) return;
		this.resumed = true;
		let running: Export | undefined;
		try {
			running = (await media.listExports({})).exports.find((e) => e.status === ExportStatus.RUNNING);
		} catch {
			return; // the button still starts (or finds) it
		}
		if (!running || this.busy) return;
		this.busy = true;
		const of = running.total > 0 ? ` ${running.processed}/${running.total}` : '';
		const toastId = toast('progress', `Preparing your download${of}…`);
		update(toastId, { progress: running.total > 0 ? Math.min(running.processed / running.total, 1) : 0 });
		try {
			await this.follow(running.exportId, toastId);
		} finally {
			this.busy = false;
		}
	}

	async start(): Promise<void> {
		if (this.busy) {
			toast('info', 'Your download is already being prepared.');
			return;
		}
		this.busy = true;
		const toastId = toast('progress', 'Preparing your download…');
		update(toastId, { progress: 0 });
		try {
			let exportId: string;
			try {
				exportId = (await media.startExport({})).exportId;
			} catch (err) {
				update(toastId, { kind: 'error', progress: undefined, text: `Your download could not be prepared: ${describe(err)}` });
				return;
			}
			await this.follow(exportId, toastId);
		} finally {
			this.busy = false;
		}
	}

	private async follow(exportId: string, toastId: number): Promise<void> {
		const seen: { last: Export | null } = { last: null };
		const lost = await followStream(
			() => media.watchExport({ exportId }),
			(e) => {
				seen.last = e;
				if (e.status === ExportStatus.READY || e.status === ExportStatus.FAILED) return true;
				const of = e.total > 0 ? ` ${e.processed}/${e.total}` : '';
				update(toastId, { text: `Preparing your download${of}…`, progress: e.total > 0 ? Math.min(e.processed / e.total, 1) : 0 });
				return false;
			}
		);
		const e = seen.last;
		if (lost || !e) {
			update(toastId, {
				kind: 'error',
				progress: undefined,
				text: `Lost sight of your download while it was being prepared (${(lost || 'no answer').replace(/\.$/, '')}). Try again in a moment.`
			});
			return;
		}
		if (e.status === ExportStatus.FAILED || !e.downloadUrl) {
			const why = (e.error || 'plyr gave no download link').replace(/\.$/, '');
			update(toastId, { kind: 'error', progress: undefined, text: `Your download could not be prepared: ${why}.` });
			return;
		}
		const size = e.sizeBytes > 0n ? ` (${megabytes(e.sizeBytes)})` : '';
		const until = e.expiresAt
			? ` The link works until ${timestampDate(e.expiresAt).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })}.`
			: '';
		update(toastId, {
			kind: 'success',
			sticky: true,
			progress: undefined,
			text: `Your download is ready: ${e.total} ${e.total === 1 ? 'track' : 'tracks'}${size}.${until}`,
			action: { label: 'Download', href: e.downloadUrl, download: true, run: () => {} }
		});
	}
}

export const exporter = new Exports();
