// The signed-in person's preferences that change how the client behaves (auto-advance,
// sensitive artwork), loaded once after sign-in; defaults for visitors. The settings
// screen saves through UpdatePreferences and hands the answer to prefs.set.
import type { Preferences } from '$gen/plyr/identity/v1/identity_pb';
import { identity } from '$lib/api';
import { renewPermissions } from './permissions';
import { toast } from './toasts.svelte';

class Prefs {
	current = $state<Preferences | null>(null);

	/** Play the next queued track when one ends (on unless turned off). */
	get autoAdvance(): boolean {
		return this.current?.autoAdvance ?? true;
	}

	async load(): Promise<void> {
		try {
			this.current = (await identity.getPreferences({})).preferences ?? null;
		} catch {
			// Defaults serve until the next page load.
			return;
		}
		if (this.current?.tealNeedsReauth) {
			toast('error', 'Scrobbling to teal.fm needs your permission again.', { label: 'Renew permissions', run: () => void renewPermissions({ teal: true }) });
		}
	}

	set(p: Preferences | undefined): void {
		if (p) this.current = p;
	}
}

export const prefs = new Prefs();

