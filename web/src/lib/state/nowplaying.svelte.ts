// What a signed-in listener is playing, told to plyr (QueueService.SetNowPlaying) for their
// profile and scrobblers: a second after a play, pause, seek or track change (the last of a
// burst), and every 10 s while playing, since it expires when not renewed. Stopping (the
// queue emptied, the last track ended), signing out and leaving the page clear it. Only the
// page that plays speaks (player.started): an idle tab says nothing, so it cannot
// contradict the one playing.
import { auth } from './auth.svelte';
import { player } from './player.svelte';
import { queueService } from '$lib/api';

const debounceMs = 1000;
const renewMs = 10_000;
const clearPath = '/plyr.catalog.v1.QueueService/ClearNowPlaying';

/** Starts following the player; the function returned stops. */
export function followNowPlaying(): () => void {
	let told = false;
	let timer: ReturnType<typeof setTimeout> | undefined;

	async function tell() {
		const track = player.track;
		if (!auth.signedIn || !player.started || !track) return;
		told = true;
		try {
			await queueService.setNowPlaying({
				trackId: track.id,
				progressMs: BigInt(Math.round(player.time * 1000)),
				isPlaying: player.playing
			});
		} catch {
			// It expires by itself; the next report (or the next play) tries again.
		}
	}

	async function clear() {
		clearTimeout(timer);
		if (!told) return;
		told = false;
		try {
			await queueService.clearNowPlaying({});
		} catch {
			// It expires by itself.
		}
	}

	// Leaving the page: the request must outlive it (keepalive), so it is a plain Connect POST.
	function onPageHide() {
		clearTimeout(timer);
		if (!told || !auth.signedIn) return;
		told = false;
		void fetch(clearPath, {
			method: 'POST',
			headers: { 'Content-Type': 'application/json', 'Connect-Protocol-Version': '1' },
			body: '{}',
			credentials: 'same-origin',
			keepalive: true
		}).catch(() => {});
	}
	addEventListener('pagehide', onPageHide);

	const stopEffects = $effect.root(() => {
		// Play, pause, seek, another track, a stop: told a second later.
		$effect(() => {
			const signedIn = auth.signedIn;
			const speaking = player.started;
			const track = player.track;
			void player.playing;
			void player.seeks;
			const stopped = player.ended;
			clearTimeout(timer);
			if (!signedIn) {
				told = false;
				return;
			}
			// Another page took over (or none played yet): it speaks now, and this one must not
			// clear what it says when leaving.
			if (!speaking) {
				told = false;
				return;
			}
			if (!track || stopped) {
				void clear();
				return;
			}
			timer = setTimeout(() => void tell(), debounceMs);
		});
		// Renewed while playing.
		$effect(() => {
			if (!auth.signedIn || !player.started || !player.playing || !player.track) return;
			const renew = setInterval(() => void tell(), renewMs);
			return () => clearInterval(renew);
		});
	});

	return () => {
		stopEffects();
		clearTimeout(timer);
		removeEventListener('pagehide', onPageHide);
	};
}
