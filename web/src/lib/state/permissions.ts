// Renewing what plyr may do on the person's PDS: a scope upgrade through the PDS, coming
// back to the page it started from (the layout then says "Permissions renewed").
import { describe, identity } from '$lib/api';
import { toast } from './toasts.svelte';

/** Sends the browser to the PDS to grant plyr the permissions it lacks; teal adds
 * teal.fm's scrobbling scopes. */
export async function renewPermissions({ teal = false } = {}): Promise<void> {
	try {
		const res = await identity.startScopeUpgrade({ includeTeal: teal, returnTo: location.pathname });
		location.assign(res.authUrl);
	} catch (err) {
		toast('error', `Permissions could not be renewed: ${describe(err)}`);
	}
}
