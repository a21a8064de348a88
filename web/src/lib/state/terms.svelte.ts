// The terms of service and the privacy policy in force (LegalService.GetTerms), asked for
// once per page load by whichever screen shows them first.
import type { GetTermsResponse } from '$gen/plyr/legal/v1/legal_pb';
import { describe, legal } from '$lib/api';

class Terms {
	doc = $state<GetTermsResponse | null>(null);
	state = $state<'idle' | 'loading' | 'ready' | 'error'>('idle');
	error = $state('');

	/** Loads the documents unless they are here (force asks again: a new version). */
	async load(force = false): Promise<void> {
		if (this.state === 'loading' || (this.state === 'ready' && !force)) return;
		this.state = 'loading';
		this.error = '';
		try {
			this.doc = await legal.getTerms({});
			this.state = 'ready';
		} catch (err) {
			this.error = describe(err);
			this.state = 'error';
		}
	}
}

export const terms = new Terms();
