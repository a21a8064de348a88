// The web client's budgets, measured in headless Chromium against a running plyr, each
// next to a baseline in the same run. Run by BenchmarkWebClient (cmd/plyr/internal/app,
// `make bench`), which passes:
//   PLYR_URL            plyr, with at least one ready track in the feed
//   PLYR_TRACK_ID       that track
//   PLYR_BASELINE_URL   a bare page (one paragraph, no script): the floor of a first paint
//   PLYR_BASELINE_AUDIO a bare page whose button gives an <audio> plyr's /audio/<file> URL
//                       and plays it: the floor of press-play-to-playing without the app
//   PLYR_CHROMIUM       Debian's chromium
// It prints one JSON object on its last line.
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';

const env = (k) => {
	const v = process.env[k];
	if (!v) throw new Error(`${k} is not set: run through BenchmarkWebClient (make bench)`);
	return v;
};
const url = env('PLYR_URL');
const runs = Number(process.env.PLYR_BENCH_RUNS ?? 10);
const browser = await chromium.launch({
	executablePath: process.env.PLYR_CHROMIUM || '/usr/bin/chromium',
	args: ['--autoplay-policy=no-user-gesture-required', '--mute-audio']
});

const median = (xs) => {
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.floor((s.length - 1) / 2)];
};

/** First contentful paint of a cold load (a fresh context: empty cache, no cookies), and
 * for the app the moment the first track row shows. */
async function coldLoad(target, readySelector) {
	const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
	const page = await context.newPage();
	await page.goto(target, { waitUntil: 'load' });
	if (readySelector) await page.waitForSelector(readySelector);
	const out = await page.evaluate(async () => ({
		// A tiny page can finish loading before its first paint: wait for the entry.
		fcp: await new Promise((resolve) =>
			new PerformanceObserver((list, observer) => {
				const e = list.getEntriesByName('first-contentful-paint')[0];
				if (e) {
					observer.disconnect();
					resolve(e.startTime);
				}
			}).observe({ type: 'paint', buffered: true })
		),
		now: performance.now(),
		scripts: performance
			.getEntriesByType('resource')
			.filter((e) => e.initiatorType === 'script' || e.name.endsWith('.js'))
			.map((e) => e.name)
	}));
	await context.close();
	return out;
}

/** Milliseconds from pressing play to the audio element's "playing" event. */
async function pressPlay(target, buttonSelector) {
	const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
	const page = await context.newPage();
	await page.goto(target, { waitUntil: 'load' });
	await page.waitForSelector(buttonSelector);
	const ms = await page.evaluate(async (sel) => {
		const button = document.querySelector(sel);
		const t0 = performance.now();
		const playing = new Promise((resolve) => {
			const watch = () => {
				const audio = document.querySelector('audio');
				if (!audio) return requestAnimationFrame(watch);
				audio.addEventListener('playing', () => resolve(performance.now() - t0), { once: true });
			};
			watch();
		});
		button.click();
		return playing;
	}, buttonSelector);
	await context.close();
	return ms;
}

const result = { runs };
const baselineFCP = [];
const feedFCP = [];
const feedReady = [];
let scripts = [];
for (let i = 0; i < runs; i++) {
	baselineFCP.push((await coldLoad(env('PLYR_BASELINE_URL'))).fcp);
	const feed = await coldLoad(url + '/', 'ol.tracks li');
	feedFCP.push(feed.fcp);
	feedReady.push(feed.now);
	scripts = feed.scripts;
}
result.baseline_fcp_ms = median(baselineFCP);
result.feed_fcp_ms = median(feedFCP);
result.feed_tracks_shown_ms = median(feedReady);

// The JavaScript a cold load of the feed ran, gzipped as the server sends it.
let js = 0;
for (const src of new Set(scripts)) {
	const res = await fetch(src);
	js += gzipSync(Buffer.from(await res.arrayBuffer()), { level: 9 }).length;
}
result.initial_js_gzip_kb = Math.round(js / 102.4) / 10;

const basePlay = [];
const appPlay = [];
for (let i = 0; i < runs; i++) {
	basePlay.push(await pressPlay(env('PLYR_BASELINE_AUDIO'), 'button'));
	appPlay.push(await pressPlay(`${url}/track/${env('PLYR_TRACK_ID')}`, 'main .actions button.primary:not([disabled])'));
}
result.baseline_play_ms = median(basePlay);
result.app_play_ms = median(appPlay);

await browser.close();
console.log(JSON.stringify(result));
