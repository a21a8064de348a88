// The admin review's header: whether copyright scans and DMs run, the flag threshold and
// how much waits (GetModerationStatus). Loaded when an administrator opens the review, and
// again after each decision so that the counts follow.
import type { GetModerationStatusResponse } from '$gen/plyr/legal/v1/legal_pb';
import { describe, legal } from '$lib/api';

class Moderation {
	status = $state<GetModerationStatusResponse | null>(null);
	loading = $state(false);
	error = $state('');
	private seq = 0;

	async load(): Promise<void> {
		const mine = ++this.seq;
		this.loading = true;
		this.error = '';
		try {
			const status = await legal.getModerationStatus({});
			if (mine === this.seq) this.status = status;
		} catch (err) {
			if (mine === this.seq) this.error = describe(err);
		} finally {
			if (mine === this.seq) this.loading = false;
		}
	}

	/** Asks again in the background (after a decision); a failure keeps the last counts. */
	refresh(): void {
		if (this.status) void this.load();
	}
}

export const moderation = new Moderation();
