// Moving an artist's audio to their PDS: StartPdsMigration, then WatchPdsMigration followed
// to its end in one progress toast ("Migrating 3/7…", then "5 migrated, 1 skipped, 1
// failed"), here rather than in the portal so that the artist can keep browsing. A toast
// that reports a failure stays until dismissed. Screens that show the tracks reload them
// when `ended` changes. A migration still running from an earlier visit is picked up by
// resume (the portal calls it).
import { MigrationItemStatus, MigrationStatus, type PdsMigration } from '$gen/plyr/media/v1/media_pb';
import { describe, media } from '$lib/api';
import { followStream } from './streams';
import { toast, update } from './toasts.svelte';

class Migrations {
	/** The migration being followed, as last heard of; null before its first message and
	 * when none is. */
	current = $state.raw<PdsMigration | null>(null);
	/** Counts the migrations that ended while this page was open. */
	ended = $state(0);
	/** From Start until the migration's end (or its refusal). */
	private starting = $state(false);
	private following = $state(false);
	private resumed = false;

	/** Whether a migration is being started or followed. */
	get busy(): boolean {
		return this.starting || this.following;
	}

	/** Moves the named tracks' audio to the PDS (every eligible track when none are named)
	 * and follows the move; every ending is said in its toast. */
	async start(trackIds: string[]): Promise<void> {
		if (this.busy) {
			toast('info', 'Your audio is already being moved to your PDS.');
			return;
		}
		this.starting = true;
		const toastId = toast('progress', 'Migrating audio to your PDS…');
		update(toastId, { progress: 0 });
		let migrationId: string;
		try {
			migrationId = (await media.startPdsMigration({ trackIds })).migrationId;
		} catch (err) {
			update(toastId, { kind: 'error', progress: undefined, text: `Your audio was not moved to your PDS: ${describe(err)}` });
			this.starting = false;
			return;
		}
		this.following = true;
		this.starting = false;
		await this.follow(migrationId, toastId);
	}

	/** Follows the artist's last migration when it is still running (after a reload); asked
	 * once per page load. */
	async resume(): Promise<void> {
		if (this.busy || this.resumed) return;
		this.resumed = true;
		let running: PdsMigration | undefined;
		try {
			running = (await media.listPdsMigrations({ pageSize: 1 })).migrations[0];
		} catch {
			return; // nothing to pick up that the portal's badges do not show anyway
		}
		if (!running || running.status !== MigrationStatus.RUNNING || this.busy) return;
		this.following = true;
		this.current = running;
		const toastId = toast('progress', progressText(running));
		update(toastId, { progress: fraction(running) });
		await this.follow(running.migrationId, toastId);
	}

	private async follow(migrationId: string, toastId: number): Promise<void> {
		const seen: { last: PdsMigration | null } = { last: null };
		const lost = await followStream(
			() => media.watchPdsMigration({ migrationId }),
			(m) => {
				seen.last = m;
				this.current = m;
				if (m.status === MigrationStatus.DONE || m.status === MigrationStatus.FAILED) return true;
				update(toastId, { text: progressText(m), progress: fraction(m) });
				return false;
			}
		);
		this.current = null;
		this.following = false;
		this.ended++;
		const m = seen.last;
		if (lost || !m) {
			update(toastId, {
				kind: 'error',
				progress: undefined,
				text: `Lost sight of the move to your PDS (${(lost || 'no answer').replace(/\.$/, '')}). It may still finish: your portal shows where each track stands.`,
				action: { label: 'Open portal', href: '/portal', run: () => {} }
			});
			return;
		}
		const why = failureReason(m);
		if (m.status === MigrationStatus.FAILED) {
			update(toastId, {
				kind: 'error',
				progress: undefined,
				text: `Moving audio to your PDS stopped: ${summary(m)}.${why ? ` ${why}` : ''}`
			});
		} else if (m.failed > 0) {
			update(toastId, { kind: 'error', progress: undefined, text: `Audio moved to your PDS: ${summary(m)}.${why ? ` ${why}` : ''}` });
		} else {
			update(toastId, { kind: 'success', progress: undefined, text: `Audio moved to your PDS: ${summary(m)}.` });
		}
	}
}

function progressText(m: PdsMigration): string {
	return `Migrating ${m.processed}/${m.total}…`;
}

function fraction(m: PdsMigration): number {
	return m.total > 0 ? Math.min(m.processed / m.total, 1) : 0;
}

function summary(m: PdsMigration): string {
	return `${m.migrated} migrated, ${m.skipped} skipped, ${m.failed} failed`;
}

/** Why a track failed, from the items (or the last one processed). */
function failureReason(m: PdsMigration): string {
	const item = m.items.find((i) => i.status === MigrationItemStatus.FAILED && i.reason);
	const reason = item?.reason || (m.lastStatus === MigrationItemStatus.FAILED ? m.lastReason : '');
	return reason ? `Why: ${reason.replace(/\.$/, '')}.` : '';
}

export const migrations = new Migrations();
