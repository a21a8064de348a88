// Helpers of the portal's forms.
import { ConnectError } from '@connectrpc/connect';
import { describe } from '$lib/api';

export { imageAccept, uploadImage, type UploadedImage } from '$lib/images';

/** The words for a failure of either an RPC (Connect) or a plain HTTP call (images). */
export function explain(err: unknown): string {
	if (err instanceof ConnectError) return describe(err);
	if (err instanceof Error && err.message) return err.message;
	return describe(err);
}

/** Characters as a person counts them (code points, not UTF-16 units). */
export function length(s: string): number {
	return [...s].length;
}
