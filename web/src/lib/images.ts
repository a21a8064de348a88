// Artwork: POST /images (a multipart form with a file part) answers 201 with the image's id
// and URLs; UpdateTrack (or an album or profile edit) then points at the id. Used by the
// upload form and the portal.
import { httpError } from '$lib/api';

export interface UploadedImage {
	imageId: string;
	url: string;
	thumbUrl: string;
	originalUrl: string;
}

/** What the file picker offers (the server judges the bytes, whatever the type says). */
export const imageAccept = 'image/jpeg,image/png,image/webp,image/gif';

/** Uploads one image as artwork; its errors carry the server's words. */
export async function uploadImage(file: File): Promise<UploadedImage> {
	const form = new FormData();
	form.append('file', file);
	let res: Response;
	try {
		res = await fetch('/images', { method: 'POST', body: form, credentials: 'same-origin' });
	} catch {
		throw new Error(navigator.onLine ? 'plyr could not be reached: the artwork was not sent.' : 'You are offline.');
	}
	if (!res.ok) throw await httpError(res);
	return (await res.json()) as UploadedImage;
}
