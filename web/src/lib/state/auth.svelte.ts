// Who is signed in on this browser: asked once per page load (GetMe), and again after a
// switch or a logout. Everything else reads auth.me.
import type { GetMeResponse } from '$gen/plyr/identity/v1/identity_pb';
import { identity, isUnauthenticated, onSignInLapsed } from '$lib/api';
import { prefs } from './prefs.svelte';
import { toast } from './toasts.svelte';

class Auth {
	/** The caller, or null when nobody is signed in. */
	me = $state<GetMeResponse | null>(null);
	/** False until the first GetMe answered. */
	ready = $state(false);
	/** Set when GetMe failed for another reason than "not signed in". */
	error = $state<unknown>(null);

	get signedIn(): boolean {
		return this.me !== null;
	}

	get did(): string {
		return this.me?.account?.did ?? '';
	}

	get handle(): string {
		return this.me?.account?.handle ?? '';
	}

	async load(): Promise<void> {
		try {
			this.me = await identity.getMe({});
			this.error = null;
			void prefs.load();
		} catch (err) {
			this.me = null;
			this.error = isUnauthenticated(err) ? null : err;
		} finally {
			this.ready = true;
		}
	}

	/** Acts as another linked account from now on. The page reloads: every screen's data
	 * belongs to the account it was loaded for. */
	async switchTo(did: string): Promise<void> {
		await identity.switchAccount({ did });
		location.reload();
	}

	/** Logs the current account out; the browser goes on as switchTo when given. */
	async logout(switchTo = ''): Promise<void> {
		await identity.logout({ switchTo });
		location.assign(switchTo ? location.pathname : '/');
	}

	async logoutAll(): Promise<void> {
		await identity.logoutAll({});
		location.assign('/');
	}

	/** Accepts the terms of version (the one shown: GetMe's terms_version). When they
	 * changed meanwhile the server refuses (failed_precondition): the caller reloads me and
	 * shows the new version. */
	async acceptTerms(version: string): Promise<void> {
		await identity.acceptTerms({ version });
		if (this.me) this.me.termsPending = false;
	}

	/** Whether an administrator is signed in. */
	get admin(): boolean {
		return this.me?.admin ?? false;
	}
}

export const auth = new Auth();

// A session that ends while the page is open (expired, revoked, logged out in another tab):
// say so once, with the way back.
onSignInLapsed(() => {
	if (!auth.me) return;
	auth.me = null;
	const back = `/login?return_to=${encodeURIComponent(location.pathname)}`;
	toast('error', 'Your sign-in has expired. Sign in again to go on.', { label: 'Sign in', href: back, run: () => {} });
});
