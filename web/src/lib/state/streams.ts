// Following a server stream (a migration's or an export's progress) to its end, opening it
// again when the connection breaks, as the upload's WatchUpload is followed.
import { Code, ConnectError } from '@connectrpc/connect';
import { describe } from '$lib/api';

const transient = [Code.Unavailable, Code.Unknown, Code.DeadlineExceeded, Code.Internal, Code.Aborted, Code.ResourceExhausted];

/** Reads the stream open() gives until onMessage says a message was the last; a stream
 * that breaks or ends early is opened again (at most 6 times in a row, waiting longer each
 * time). Resolves with '' once the end was seen, else with why it was lost. */
export async function followStream<T>(open: () => AsyncIterable<T>, onMessage: (msg: T) => boolean): Promise<string> {
	let failures = 0;
	for (;;) {
		try {
			for await (const msg of open()) {
				failures = 0;
				if (onMessage(msg)) return '';
			}
			failures++;
		} catch (err) {
			if (!transient.includes(ConnectError.from(err).code)) return describe(err);
			failures++;
		}
		if (failures > 6) return 'the connection to plyr keeps breaking.';
		await new Promise((r) => setTimeout(r, Math.min(1000 * 2 ** (failures - 1), 15000)));
	}
}
