// The signed-in person's preferences that change how the client behaves (auto-advance,
// sensitive artwork, scrobbling to teal.fm), loaded once after sign-in; defaults for
// visitors. The settings screen saves through UpdatePreferences (update here, or its own
// form handing the answer to prefs.set).
//
// Scrobbling that lacks teal.fm's permission says so once per page load, with "Grant
// permission" (as the settings' "Scrobble to teal.fm" section does, which the toast leaves
// to say it on the settings page).
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { Preferences, UpdatePreferencesRequestSchema } from '$gen/plyr/identity/v1/identity_pb';
import { describe, identity } from '$lib/api';
import { renewPermissions } from './permissions';
import { toast } from './toasts.svelte';

class Prefs {
	current = $state<Preferences | null>(null);
	/** Where loading them stands; error says why they could not be. */
	state = $state<'idle' | 'loading' | 'ready' | 'error'>('idle');
	error = $state('');

	/** Play the next queued track when one ends (on unless turned off). */
	get autoAdvance(): boolean {
		return this.current?.autoAdvance ?? true;
	}

	async load(): Promise<void> {
		this.state = 'loading';
		this.error = '';
		try {
			this.current = (await identity.getPreferences({})).preferences ?? null;
			this.state = this.current ? 'ready' : 'error';
			if (!this.current) this.error = 'plyr answered without your preferences.';
		} catch (err) {
			// Defaults serve until the next page load.
			this.state = 'error';
			this.error = describe(err);
			return;
		}
		if (this.current?.tealNeedsReauth && !location.pathname.startsWith('/settings')) {
			toast('error', 'Scrobbling to teal.fm needs your permission: nothing is scrobbled until you grant it.', {
				label: 'Grant permission',
				run: () => void renewPermissions({ teal: true })
			});
		}
	}

	/** Saves changes (UpdatePreferences) and keeps the preferences as stored; throws on failure. */
	async update(changes: MessageInitShape<typeof UpdatePreferencesRequestSchema>): Promise<Preferences> {
		const res = await identity.updatePreferences(changes);
		if (!res.preferences) throw new Error('plyr answered without your preferences.');
		this.set(res.preferences);
		return res.preferences;
	}

	set(p: Preferences | undefined): void {
		if (!p) return;
		this.current = p;
		this.state = 'ready';
		this.error = '';
	}
}

export const prefs = new Prefs();
