// One Connect transport for the whole client: JSON over fetch to plyr's own origin, with the
// session cookie. Every request and response type comes from src/gen (buf generate).
import { Code, ConnectError, createClient, type Interceptor } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-web';
import { CatalogService } from '$gen/plyr/catalog/v1/catalog_pb';
import {
	CommentService,
	LikeService,
	PlaylistService,
	PlayService,
	QueueService,
	SearchService
} from '$gen/plyr/catalog/v1/listening_pb';
import { IdentityService } from '$gen/plyr/identity/v1/identity_pb';
import { LegalService } from '$gen/plyr/legal/v1/legal_pb';
import { MediaService } from '$gen/plyr/media/v1/media_pb';
import { SharingService } from '$gen/plyr/sharing/v1/sharing_pb';

let lapsed: (() => void) | null = null;

/** Calls fn when a request is refused as unauthenticated (a session that ended or expired
 * while the page was open); GetMe, which asks exactly that, does not count. */
export function onSignInLapsed(fn: () => void): void {
	lapsed = fn;
}

const watchSignIn: Interceptor = (next) => async (req) => {
	try {
		return await next(req);
	} catch (err) {
		if (ConnectError.from(err).code === Code.Unauthenticated && req.method.name !== 'GetMe') lapsed?.();
		throw err;
	}
};

const transport = createConnectTransport({
	baseUrl: typeof location === 'undefined' ? 'http://127.0.0.1:8080' : location.origin,
	useBinaryFormat: false,
	interceptors: [watchSignIn]
});

export const identity = createClient(IdentityService, transport);
export const catalog = createClient(CatalogService, transport);
export const media = createClient(MediaService, transport);
export const likes = createClient(LikeService, transport);
export const comments = createClient(CommentService, transport);
export const playlists = createClient(PlaylistService, transport);
export const plays = createClient(PlayService, transport);
export const searchService = createClient(SearchService, transport);
export const queueService = createClient(QueueService, transport);
export const legal = createClient(LegalService, transport);
export const sharing = createClient(SharingService, transport);

/** The words to show a person for a failed request. */
export function describe(err: unknown): string {
	const e = ConnectError.from(err);
	switch (e.code) {
		case Code.Unavailable:
		case Code.Unknown:
			return navigator.onLine ? `plyr could not be reached: ${e.rawMessage}` : 'You are offline.';
		case Code.ResourceExhausted:
			return 'Too many requests: wait a moment and try again.';
		case Code.Unauthenticated:
			return 'Sign in to do that.';
		default:
			return e.rawMessage || e.message;
	}
}

/** Whether err says that the thing asked for does not exist. */
export function isNotFound(err: unknown): boolean {
	return ConnectError.from(err).code === Code.NotFound;
}

/** Whether err is a refusal because of the state of things (terms that changed, a flag
 * already resolved, a notice no longer in force). */
export function isFailedPrecondition(err: unknown): boolean {
	return ConnectError.from(err).code === Code.FailedPrecondition;
}

/** Whether err is a limit reached (too many reports in an hour, for one). */
export function isResourceExhausted(err: unknown): boolean {
	return ConnectError.from(err).code === Code.ResourceExhausted;
}

/** Whether err says that the caller is not allowed (an administrator's page, for one). */
export function isPermissionDenied(err: unknown): boolean {
	return ConnectError.from(err).code === Code.PermissionDenied;
}

/** The server's own words for err, whatever its code (a limit's "try again in …"). */
export function serverMessage(err: unknown): string {
	const e = ConnectError.from(err);
	return e.rawMessage || describe(err);
}

/** Whether err says that the caller is not signed in (or their sign-in lapsed). */
export function isUnauthenticated(err: unknown): boolean {
	return ConnectError.from(err).code === Code.Unauthenticated;
}

/** The error a plain HTTP endpoint (upload, images) answered, in Connect's JSON shape. */
export async function httpError(res: Response): Promise<Error> {
	try {
		const body = (await res.json()) as { code?: string; message?: string };
		return new Error(body.message || `${res.status} ${res.statusText}`);
	} catch {
		return new Error(`${res.status} ${res.statusText}`);
	}
}
