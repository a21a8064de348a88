// What a sign-in, add-account or permission flow says when it sends the browser back to
// plyr (modules/identity's callback puts it in the query).

export interface Landing {
	kind: 'success' | 'error' | 'info';
	text: string;
	/** The query keys to drop once said. */
	keys: string[];
}

const errors: Record<string, string> = {
	not_found: 'No account has that handle. Check the spelling and try again.',
	unavailable: 'The account’s server could not be reached. Try again in a moment.',
	permission_denied: 'Sign-in was refused.',
	access_denied: 'Sign-in was cancelled.',
	wrong_account: 'You signed in as another account than the one asked for.',
	resource_exhausted: 'Too many sign-in attempts: wait a moment and try again.',
	invalid_argument: 'That sign-in could not be started.',
	failed_precondition: 'That sign-in could not be completed.'
};

export function landingMessage(q: URLSearchParams): Landing | null {
	const code = q.get('auth_error');
	if (code) {
		const detail = q.get('auth_error_description') ?? '';
		const text = errors[code] ?? 'Sign-in did not complete.';
		return { kind: 'error', text: detail && code !== 'access_denied' ? `${text} (${detail})` : text, keys: ['auth_error', 'auth_error_description'] };
	}
	if (q.has('account_added')) return { kind: 'success', text: 'Account added: you are now using it.', keys: ['account_added'] };
	if (q.has('scope_upgraded')) return { kind: 'success', text: 'Permissions renewed.', keys: ['scope_upgraded'] };
	if (q.has('signed_up')) return { kind: 'success', text: 'Your account is ready: welcome to plyr.', keys: ['signed_up'] };
	if (q.has('signed_in')) return { kind: 'success', text: 'Signed in.', keys: ['signed_in'] };
	return null;
}
