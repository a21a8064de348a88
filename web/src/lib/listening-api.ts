// Clients of the listening services that api.ts does not hold: SearchService (the search
// dialog and page) and QueueService (the queue's stream, what is playing). Same settings as
// api.ts's one transport (JSON to plyr's own origin, the session cookie); it is separate
// only because api.ts does not export its transport (merge the two when it does). Imported
// on demand: nothing on the first screen needs them.
import { Code, ConnectError, createClient, type Interceptor } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-web';
import { QueueService, SearchService } from '$gen/plyr/catalog/v1/listening_pb';
import { identity } from '$lib/api';

// A signed-in call refused as unauthenticated means the sign-in lapsed while the page was
// open. api.ts's interceptor says so (once, with the way back) for its own clients: ask it
// with one cheap signed-in read, which goes through that interceptor.
let rechecking = false;
const watchSignIn: Interceptor = (next) => async (req) => {
	try {
		return await next(req);
	} catch (err) {
		if (ConnectError.from(err).code === Code.Unauthenticated && !rechecking) {
			rechecking = true;
			void identity
				.getPreferences({})
				.catch(() => {})
				.finally(() => (rechecking = false));
		}
		throw err;
	}
};

const transport = createConnectTransport({
	baseUrl: typeof location === 'undefined' ? 'http://127.0.0.1:8080' : location.origin,
	useBinaryFormat: false,
	interceptors: [watchSignIn]
});

export const searchService = createClient(SearchService, transport);
export const queueService = createClient(QueueService, transport);
