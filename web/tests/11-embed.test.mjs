// The embeddable players (/embed/track/<id>, /embed/album/<id>, /embed/playlist/<id>),
// opened by an anonymous visitor at the sizes an <iframe> gives them: each size gets its
// layout (data-mode, and the artwork, backdrop, time labels, logo and track list that
// layout shows), nothing leaves the frame, and the play button plays. An album plays on
// into its next track; a track for supporters only links to plyr instead of playing; an
// unknown id says it is not available. Last, another origin frames a track embed.
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertNoProblems, axe, env, freshMp3, launch, open, rpc, screenshots, signIn } from './lib.mjs';

const [ada] = env.accounts;
let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

const stamp = Date.now().toString(36);
const longTitle = `Embed sine with a title long enough that no frame of any size can ever show the whole of it at once ${stamp}`;
const secondTitle = `Embed second sine ${stamp}`;
const albumName = `Embed album ${stamp}`;
const playlistName = `Embed playlist ${stamp}`;

/** The frame sizes, each with the layout it gets and whether an album's or playlist's track
 * list has room in it. */
const sizes = [
	{ width: 700, height: 160, mode: 'very-wide', list: false },
	{ width: 450, height: 160, mode: 'wide', list: false },
	{ width: 300, height: 300, mode: 'square', list: false },
	{ width: 240, height: 400, mode: 'very-tall', list: true },
	{ width: 260, height: 120, mode: 'narrow', list: false },
	{ width: 180, height: 100, mode: 'micro', list: false }
];
/** A roomy landscape frame, where a collection lists its tracks. */
const roomy = { width: 640, height: 360, mode: 'very-wide', list: true };

const sideArt = new Set(['base', 'wide', 'very-wide']);
const topArt = new Set(['square', 'very-tall']);
const blurred = new Set(['very-tall', 'narrow', 'micro']);

async function upload(page, title, album) {
	await page.goto(`${env.url}/upload`);
	await page.getByLabel('Title').fill(title);
	await page.locator('#file').setInputFiles(freshMp3());
	await page.getByLabel('Album').fill(album);
	if (env.image) await page.locator('#artwork').setInputFiles(env.image);
	await page.getByLabel('I have the rights to share this').check();
	await page.getByRole('button', { name: 'Upload', exact: true }).click();
	await page.getByRole('status').getByText(`“${title}” is ready.`).waitFor({ timeout: 90_000 });
}

/** What the embed shows at this size: its mode, the document's scroll size, and the boxes
 * (null when absent) of its parts, with any visible element that leaves the frame. */
function measure(page) {
	return page.evaluate(() => {
		const root = document.querySelector('main.embed');
		const box = (sel) => {
			const el = document.querySelector(sel);
			if (!el) return null;
			const r = el.getBoundingClientRect();
			const cs = getComputedStyle(el);
			return {
				shown: cs.display !== 'none' && cs.visibility !== 'hidden' && r.width > 0 && r.height > 0,
				left: r.left,
				top: r.top,
				right: r.right,
				bottom: r.bottom,
				width: r.width,
				height: r.height,
				lineClamp: cs.webkitLineClamp,
				cut: el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1
			};
		};
		const outside = [...document.querySelectorAll('main.embed *')]
			.filter((el) => !el.closest('.backdrop') && !el.parentElement?.closest('.list'))
			// Artwork is clipped by its box (a sensitive image is blurred and scaled up inside
			// it): the box is what must stay in the frame.
			.filter((el) => !el.parentElement?.closest('.art'))
			.filter((el) => {
				const r = el.getBoundingClientRect();
				if (r.width === 0 || r.height === 0) return false;
				return r.left < -0.5 || r.top < -0.5 || r.right > innerWidth + 0.5 || r.bottom > innerHeight + 0.5;
			})
			.slice(0, 5)
			.map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].filter((c) => !c.startsWith('svelte-')).join('.')}`);
		// Artwork fills its box (no app style pads or frames it); layout sizes, so the
		// scale-up of a blurred sensitive image does not count.
		const unfilled = [...document.querySelectorAll('main.embed .art img')]
			.filter((img) => img.offsetWidth > 0)
			.filter((img) => {
				const p = img.parentElement;
				return Math.abs(img.offsetWidth - p.clientWidth) > 1 || Math.abs(img.offsetHeight - p.clientHeight) > 1;
			})
			.map((img) => img.parentElement.className);
		const doc = document.documentElement;
		return {
			unfilled,
			mode: root?.dataset.mode,
			scroll: { width: doc.scrollWidth, height: doc.scrollHeight, bodyWidth: document.body.scrollWidth, bodyHeight: document.body.scrollHeight },
			inner: { width: innerWidth, height: innerHeight },
			outside,
			play: box('main.embed button.play'),
			title: box('main.embed .title'),
			side: box('main.embed .side'),
			card: box('main.embed .top-art'),
			backdrop: box('main.embed .backdrop'),
			time: box('main.embed .time'),
			logo: box('main.embed .head .logo'),
			list: box('main.embed .list'),
			seek: box('main.embed .seek')
		};
	});
}

function inside(b, inner) {
	return b && b.left >= -0.5 && b.top >= -0.5 && b.right <= inner.width + 0.5 && b.bottom <= inner.height + 0.5;
}

/** Opens url at size and checks the layout, the fit, the links and that play plays. */
async function checkSize(page, url, size, label, { collection }) {
	await page.setViewportSize({ width: size.width, height: size.height });
	await page.goto(url);
	await page.locator('main.embed .title').waitFor();
	await page.waitForFunction((mode) => document.querySelector('main.embed')?.dataset.mode === mode, size.mode, { timeout: 5000 }).catch(() => {});
	const at = `${label} at ${size.width}×${size.height}`;
	const m = await measure(page);

	assert.equal(m.mode, size.mode, `${at}: the layout`);
	assert.ok(m.scroll.width <= m.inner.width && m.scroll.height <= m.inner.height, `${at}: the document scrolls: ${JSON.stringify(m.scroll)} in ${JSON.stringify(m.inner)}`);
	assert.ok(m.scroll.bodyWidth <= m.inner.width && m.scroll.bodyHeight <= m.inner.height, `${at}: the body overflows: ${JSON.stringify(m.scroll)}`);
	assert.deepEqual(m.outside, [], `${at}: elements leave the frame`);
	assert.deepEqual(m.unfilled, [], `${at}: artwork that does not fill its box`);
	assert.ok(m.play?.shown && inside(m.play, m.inner), `${at}: the play button is inside the frame: ${JSON.stringify(m.play)}`);
	assert.ok(m.title?.shown && inside(m.title, m.inner), `${at}: the title is inside the frame: ${JSON.stringify(m.title)}`);
	assert.ok(m.seek?.shown && inside(m.seek, m.inner), `${at}: the seek bar is inside the frame`);

	// What the layout shows.
	assert.equal(m.side?.shown ?? false, sideArt.has(size.mode), `${at}: artwork at the side`);
	assert.equal(m.card?.shown ?? false, topArt.has(size.mode), `${at}: artwork on top`);
	if (env.image) assert.equal(m.backdrop?.shown ?? false, blurred.has(size.mode), `${at}: the blurred artwork behind`);
	assert.equal(m.time?.shown ?? false, size.mode !== 'micro', `${at}: the time labels`);
	assert.equal(m.logo?.shown ?? false, size.mode !== 'micro', `${at}: the logo`);
	if (collection) assert.equal(m.list?.shown ?? false, size.list, `${at}: the track list`);
	else assert.equal(m.list, null, `${at}: a track has no list`);
	if (sideArt.has(size.mode)) assert.ok(m.side.right <= m.title.left + 0.5, `${at}: the artwork is beside the title`);
	if (topArt.has(size.mode)) {
		assert.ok(m.card.bottom <= m.title.top + 0.5, `${at}: the artwork is above the title`);
		assert.equal(m.title.lineClamp, '2', `${at}: the title takes two lines`);
	} else {
		assert.equal(m.title.lineClamp, 'none', `${at}: the title takes one line`);
	}
	const title = page.locator('main.embed .title');
	if ((await title.textContent()) === longTitle) assert.ok(m.title.cut, `${at}: the long title is cut short (ellipsis)`);
	if (collection && size.list) {
		const current = page.locator('main.embed .list button[aria-current="true"]');
		assert.equal(await current.count(), 1, `${at}: the current track is marked in the list`);
		assert.ok((await current.textContent()).includes(await title.textContent()), `${at}: the marked row is the track shown`);
	}

	// Links open plyr in a new tab.
	for (const link of await page.locator('main.embed a').all()) {
		if (!(await link.isVisible())) continue;
		assert.equal(await link.getAttribute('target'), '_blank', `${at}: ${await link.textContent()} opens a new tab`);
		assert.match((await link.getAttribute('rel')) ?? '', /noopener/, `${at}: ${await link.textContent()} is rel=noopener`);
	}

	await axe(page, at);
	await page.screenshot({ path: path.join(env.artifacts, `embed-${label}-${size.mode}-${size.width}x${size.height}.png`) });

	// Play plays; pause pauses.
	await page.getByRole('button', { name: 'Play', exact: true }).click();
	await page.waitForFunction(() => {
		const a = document.querySelector('main.embed audio');
		return a && !a.paused && a.currentTime > 0.2;
	}, null, { timeout: 20_000 });
	await page.getByRole('button', { name: 'Pause', exact: true }).click();
	await page.waitForFunction(() => document.querySelector('main.embed audio')?.paused === true);
}

test('embeds of a track, an album and a playlist at every frame size', async () => {
	// The artist uploads two tracks into one album and puts both in a playlist.
	const artist = await open(browser);
	await signIn(artist.page, ada);
	await upload(artist.page, longTitle, albumName);
	await upload(artist.page, secondTitle, albumName);
	const mine = await rpc(artist.page, 'plyr.catalog.v1.CatalogService/ListMyTracks', { pageSize: 100 });
	const one = mine.tracks.find((t) => t.title === longTitle);
	const two = mine.tracks.find((t) => t.title === secondTitle);
	assert.ok(one && two, 'both tracks are listed');
	const albumId = (await rpc(artist.page, 'plyr.catalog.v1.CatalogService/GetTrack', { id: one.id })).track.album?.id;
	assert.ok(albumId, 'the track is in its album');
	const { playlist } = await rpc(artist.page, 'plyr.catalog.v1.PlaylistService/CreatePlaylist', { name: playlistName, showOnProfile: false, private: false });
	for (const t of [two, one]) await rpc(artist.page, 'plyr.catalog.v1.PlaylistService/AddPlaylistTrack', { playlistId: playlist.id, trackId: t.id });
	assertNoProblems(artist.problems, 'setting up');
	await artist.context.close();

	// An anonymous visitor, as on another site.
	const { page, problems, context } = await open(browser, { width: 700, height: 160 });
	const appCalls = [];
	page.on('request', (r) => {
		if (/\/plyr\.(identity\.v1\.IdentityService|catalog\.v1\.QueueService)\//.test(r.url())) appCalls.push(r.url().slice(env.url.length));
	});
	const kinds = [
		{ label: 'track', url: `${env.url}/embed/track/${one.id}`, collection: false },
		{ label: 'album', url: `${env.url}/embed/album/${albumId}`, collection: true },
		{ label: 'playlist', url: `${env.url}/embed/playlist/${playlist.id}`, collection: true }
	];
	for (const kind of kinds) {
		for (const size of kind.collection ? [...sizes, roomy] : sizes) await checkSize(page, kind.url, size, kind.label, kind);
		// Nothing of the app around it: no header, no player bar, no toasts region.
		assert.equal(await page.locator('header.top, section[aria-label="Player"], a.skip').count(), 0, `${kind.label}: no app chrome`);
		await screenshots(page, `embed-${kind.label}`);
	}
	// Nor the app's requests: no account (GetMe), no queue.
	assert.deepEqual(appCalls, [], 'the embeds ask nothing about an account or a queue');

	// The track embed's links and title.
	await page.setViewportSize({ width: 450, height: 160 });
	await page.goto(kinds[0].url);
	const title = page.locator('main.embed a.title');
	await title.waitFor();
	assert.equal(await title.getAttribute('href'), `/track/${one.id}`);
	assert.equal(await page.locator('main.embed a.artist').getAttribute('href'), `/u/${ada.handle}`);
	assert.match(await page.title(), new RegExp(`^${longTitle} – `));

	// Dark, following the system.
	await page.emulateMedia({ colorScheme: 'dark' });
	await page.setViewportSize({ width: 300, height: 300 });
	await page.waitForTimeout(100);
	await axe(page, 'track embed, dark');
	await page.screenshot({ path: path.join(env.artifacts, 'embed-track-square-dark.png') });
	await page.emulateMedia({ colorScheme: 'light' });

	// A play is reported as the main player reports it (half of a 20 s track heard).
	await page.setViewportSize({ width: 700, height: 160 });
	const recorded = page.waitForResponse((r) => r.url().endsWith('/plyr.catalog.v1.PlayService/RecordPlay'), { timeout: 30_000 });
	await page.getByRole('button', { name: 'Play', exact: true }).click();
	assert.equal((await recorded).status(), 200, 'RecordPlay answered');

	// The album plays on into its next track at the end of one.
	await page.setViewportSize({ width: roomy.width, height: roomy.height });
	await page.goto(kinds[1].url);
	const rows = page.locator('main.embed .list button');
	await rows.first().waitFor();
	assert.equal(await rows.count(), 2, 'the album lists both tracks');
	const firstSrc = await (async () => {
		await page.getByRole('button', { name: 'Play', exact: true }).click();
		await page.waitForFunction(() => (document.querySelector('main.embed audio')?.currentTime ?? 0) > 0.2, null, { timeout: 20_000 });
		return page.evaluate(() => document.querySelector('main.embed audio').currentSrc);
	})();
	const length = await page.evaluate(() => document.querySelector('main.embed audio').duration);
	await page.getByRole('slider', { name: 'Seek' }).fill(String(Math.floor(length) - 1));
	await page.waitForFunction(
		(src) => {
			const a = document.querySelector('main.embed audio');
			return a.currentSrc !== src && !a.paused && a.currentTime > 0.2;
		},
		firstSrc,
		{ timeout: 20_000 }
	);
	assert.equal(await rows.nth(1).getAttribute('aria-current'), 'true', 'the second track is now the current one');
	assert.equal(await rows.nth(0).getAttribute('aria-current'), null);
	assert.equal(await page.locator('main.embed a.title').textContent(), (await rows.nth(1).locator('.name').textContent()).split(' · ')[0]);
	await page.screenshot({ path: path.join(env.artifacts, 'embed-album-next-track.png') });
	// A row plays its track.
	await rows.nth(0).click();
	await page.waitForFunction((src) => document.querySelector('main.embed audio').currentSrc === src, firstSrc);
	assert.equal(await rows.nth(0).getAttribute('aria-current'), 'true');
	assertNoProblems(problems, 'embeds');

	// A track for supporters only (as GetTrack would say it) links to plyr instead of playing.
	await page.route('**/plyr.catalog.v1.CatalogService/GetTrack', async (route) => {
		const res = await route.fetch();
		const body = await res.json();
		if (body.track) body.track.supportersOnly = true;
		await route.fulfill({ response: res, json: body });
	});
	for (const size of [sizes[1], sizes[5]]) {
		await page.setViewportSize({ width: size.width, height: size.height });
		await page.goto(kinds[0].url);
		const notice = page.getByRole('link', { name: 'For supporters only — listen on plyr' });
		await notice.waitFor();
		assert.equal(await notice.getAttribute('href'), `/track/${one.id}`);
		assert.equal(await notice.getAttribute('target'), '_blank');
		assert.equal(await page.getByRole('button', { name: 'Play', exact: true }).count(), 0, 'no play button for a gated track');
		assert.equal(await page.evaluate(() => document.querySelector('main.embed audio')?.getAttribute('src')), null, 'nothing is loaded');
		const m = await measure(page);
		assert.deepEqual(m.outside, [], `gated at ${size.width}×${size.height}: elements leave the frame`);
		await axe(page, `gated track embed at ${size.width}×${size.height}`);
		await page.screenshot({ path: path.join(env.artifacts, `embed-track-supporters-${size.width}x${size.height}.png`) });
	}
	await page.unroute('**/plyr.catalog.v1.CatalogService/GetTrack');
	assertNoProblems(problems, 'gated embed');

	// Unknown ids: a small "not available" state, never a blank frame.
	for (const [what, url] of [
		['track', `${env.url}/embed/track/no-such-track-${stamp}`],
		['album', `${env.url}/embed/album/no-such-album-${stamp}`],
		['playlist', `${env.url}/embed/playlist/no-such-playlist-${stamp}`]
	]) {
		for (const size of [sizes[1], sizes[5]]) {
			await page.setViewportSize({ width: size.width, height: size.height });
			await page.goto(url);
			await page.getByText(`This ${what} is not available`).waitFor();
			const m = await measure(page);
			assert.deepEqual(m.outside, [], `missing ${what} at ${size.width}×${size.height}: elements leave the frame`);
			assert.ok(m.scroll.width <= m.inner.width && m.scroll.height <= m.inner.height, `missing ${what}: the document scrolls`);
		}
		await axe(page, `missing ${what}`);
		await page.screenshot({ path: path.join(env.artifacts, `embed-${what}-missing.png`) });
	}
	// The only errors: the 4xx answers for the unknown ids.
	assertNoProblems(
		problems.filter((p) => !/^4\d\d from \/plyr\.catalog\.v1\.(CatalogService\/GetTrack|CatalogService\/GetAlbum|PlaylistService\/GetPlaylist)$/.test(p)),
		'missing embeds'
	);
	await context.close();

	// Another site frames the track embed.
	const host = http.createServer((req, res) => {
		res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
		res.end(
			`<!doctype html><html lang="en"><title>Another site</title><body style="margin:0">` +
				`<iframe title="plyr" src="${env.url}/embed/track/${one.id}" width="450" height="160" style="border:0"></iframe></body></html>`
		);
	});
	await new Promise((resolve) => host.listen(0, '127.0.0.1', resolve));
	try {
		const origin = `http://127.0.0.1:${host.address().port}`;
		assert.notEqual(new URL(env.url).origin, origin);
		const framed = await open(browser, { width: 600, height: 300 });
		await framed.page.goto(origin);
		const frame = framed.page.frameLocator('iframe[title="plyr"]');
		try {
			await frame.locator('main.embed a.title').waitFor({ timeout: 15_000 });
		} catch {
			const res = await fetch(`${env.url}/embed/track/${one.id}`);
			assert.fail(
				`the track embed did not render inside a frame on ${origin}: X-Frame-Options=${res.headers.get('x-frame-options')}, ` +
					`Content-Security-Policy=${res.headers.get('content-security-policy')}`
			);
		}
		assert.equal(await frame.locator('main.embed a.title').textContent(), longTitle);
		await frame.getByRole('button', { name: 'Play', exact: true }).click();
		const inner = framed.page.frames().find((f) => f.url().startsWith(env.url));
		await inner.waitForFunction(() => (document.querySelector('main.embed audio')?.currentTime ?? 0) > 0.2, null, { timeout: 20_000 });
		await framed.page.screenshot({ path: path.join(env.artifacts, 'embed-track-framed.png') });
		await framed.context.close();
	} finally {
		await new Promise((resolve) => host.close(resolve));
	}

	// The rest of the app stays unframeable.
	const app = await fetch(`${env.url}/track/${one.id}`);
	const xfo = app.headers.get('x-frame-options') ?? '';
	const csp = app.headers.get('content-security-policy') ?? '';
	assert.ok(/deny/i.test(xfo) || /frame-ancestors 'none'/.test(csp), `the track page refuses frames: X-Frame-Options=${xfo}, CSP=${csp}`);
});
