// The listener's side: ada publishes two tracks (or reuses them); bo likes one (the heart
// and its count change, the likers popover names him), opens it at ?t=, comments on a moment
// (a marker appears on the seek bar and the comment surfaces as playback crosses it), makes
// a playlist, adds both tracks (from the track page and from a list row), reorders them
// with the arrows and by dragging, and finds it all in his library. Each claim the screen
// makes is checked against the server too.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { accountButton, assertNoProblems, axe, env, launch, open, rpc, screenshots, signIn, freshMp3 } from './lib.mjs';

const [ada, bo] = env.accounts;
let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

const audioTime = (page) => page.evaluate(() => document.querySelector('audio')?.currentTime ?? -1);
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const digits = (s) => Number(s.replace(/\D/g, ''));

/** Polls fn until it is true, failing with what after timeout ms. */
async function until(fn, what, timeout = 15_000) {
	const end = Date.now() + timeout;
	for (;;) {
		if (await fn()) return;
		if (Date.now() > end) assert.fail(`timed out waiting: ${what}`);
		await new Promise((r) => setTimeout(r, 250));
	}
}

/** The signed-in artist's ready track titled title, uploaded through the form unless it is
 * there already; resolved once its record is on their PDS (likes and comments point at it:
 * before that they are refused with FAILED_PRECONDITION). */
async function ensureTrack(page, title) {
	const find = async () =>
		(await rpc(page, 'plyr.catalog.v1.CatalogService/ListMyTracks', { pageSize: 100 })).tracks?.find(
			(t) => t.title === title && t.status === 'TRACK_STATUS_READY'
		);
	let track = await find();
	if (!track) {
		await page.goto(`${env.url}/upload`);
		await page.getByLabel('Title').fill(title);
		await page.locator('#file').setInputFiles(freshMp3());
		await page.getByLabel('I have the rights to share this').check();
		await page.getByRole('button', { name: 'Upload', exact: true }).click();
		await page.getByRole('status').getByText(`“${title}” is ready.`).waitFor({ timeout: 60_000 });
		track = await find();
		assert.ok(track, `${title} was uploaded`);
	}
	let synced;
	await until(
		async () => {
			const { track: t } = await rpc(page, 'plyr.catalog.v1.CatalogService/GetTrack', { id: track.id });
			if (t.record?.state === 'RECORD_STATE_SYNCED') synced = t;
			return synced !== undefined;
		},
		`the record of ${title} reaches the PDS`,
		60_000
	);
	return synced;
}

test('a visitor is asked to sign in to like and comment', async () => {
	const { page, problems, context } = await open(browser);
	const { tracks } = await (
		await fetch(`${env.url}/plyr.catalog.v1.CatalogService/ListTracks`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/json' },
			body: '{}'
		})
	).json();
	const track = tracks?.[0];
	if (!track) return; // nothing published yet: the next test covers the rest
	await page.goto(`${env.url}/track/${track.id}`);
	await page.getByRole('heading', { name: track.title }).first().waitFor();
	await page.getByRole('button', { name: `Like ${track.title}`, exact: true }).click();
	await page.getByRole('status').getByText('Sign in to like tracks.').waitFor();
	await page.getByText('Sign in to comment on a moment of this track.').waitFor();
	assertNoProblems(problems, 'visitor');
	await context.close();
});

test('likes, timed comments, playlists and the library', async () => {
	const stamp = Date.now() % 1_000_000;

	// ada publishes two tracks.
	const artist = await open(browser);
	await signIn(artist.page, ada);
	const one = await ensureTrack(artist.page, 'Listening one');
	const two = await ensureTrack(artist.page, 'Listening two');
	assertNoProblems(artist.problems, 'publishing');
	await artist.context.close();

	const { page, problems, context } = await open(browser);
	await signIn(page, bo);

	// ?t= in the 0m12s form plays the track from 12 s (it is 20 s long).
	await page.goto(`${env.url}/track/${one.id}?t=0m12s`);
	await page.getByRole('heading', { name: 'Listening one' }).first().waitFor();
	await page.waitForFunction(
		() => {
			const a = document.querySelector('audio');
			return !!a && a.currentTime >= 12 && a.currentTime < 19.9;
		},
		null,
		{ timeout: 15_000 }
	);
	await page.evaluate(() => document.querySelector('audio')?.pause());

	// Like it: the heart is pressed and the count goes up at once, and the server agrees.
	const heart = page.getByRole('button', { name: 'Like Listening one', exact: true });
	const count = page.getByRole('button', { name: /: who likes Listening one$/ });
	assert.equal(await heart.getAttribute('aria-pressed'), 'false');
	const likesBefore = digits(await count.innerText());
	await heart.click();
	await until(async () => (await heart.getAttribute('aria-pressed')) === 'true', 'the heart is pressed');
	await until(async () => digits(await count.innerText()) === likesBefore + 1, 'the count goes up');
	await until(async () => {
		const res = await rpc(page, 'plyr.catalog.v1.LikeService/ListLikers', { trackId: one.id });
		return res.likers?.[0]?.person?.did === bo.did && Number(res.total) === likesBefore + 1;
	}, 'bo is the newest liker on the server');

	// The keyboard toggles it too (Space on the focused heart): off, then on again.
	const settled = page.locator('button[aria-label="Like Listening one"]:not([aria-busy])');
	await settled.waitFor();
	await heart.focus();
	await page.keyboard.press('Space');
	await until(async () => (await heart.getAttribute('aria-pressed')) === 'false', 'unliked from the keyboard');
	await until(async () => digits(await count.innerText()) === likesBefore, 'the count goes back down');
	await settled.waitFor();
	await page.keyboard.press('Space');
	await until(async () => (await heart.getAttribute('aria-pressed')) === 'true', 'liked again from the keyboard');
	await until(async () => {
		const { track } = await rpc(page, 'plyr.catalog.v1.CatalogService/GetTrack', { id: one.id });
		return track.liked === true && Number(track.likeCount) === likesBefore + 1;
	}, 'GetTrack says bo likes it');

	// Hovering the count shows who likes it, bo first.
	await count.hover();
	const likers = page.getByRole('dialog', { name: 'Who likes Listening one' });
	await likers.getByText(`@${bo.handle}`).waitFor();
	await axe(page, 'track with the likers popover');
	await page.mouse.move(5, 300);
	await likers.waitFor({ state: 'detached' });
	// Pressed (or from the keyboard), it stays until Escape.
	await count.click();
	await likers.getByText(`@${bo.handle}`).waitFor();
	await page.keyboard.press('Escape');
	await likers.waitFor({ state: 'detached' });

	// Comment at the moment playing (6 s, from ?t=6): the comment is listed, a marker
	// appears on the seek bar, and the server has it at that moment.
	await page.goto(`${env.url}/track/${one.id}?t=6`);
	// Playing from 6 s, not merely past it: the queue restored from earlier in this test
	// can show the track at a later moment before the link's seek lands.
	await page.waitForFunction(
		() => {
			const a = document.querySelector('audio');
			return a && !a.paused && a.currentTime >= 6 && a.currentTime < 9;
		},
		null,
		{ timeout: 15_000 },
	);
	await page.evaluate(() => document.querySelector('audio')?.pause());
	const text = `Listen to this bit ${stamp}`;
	const box = page.getByLabel(/^Comment at \d+:\d\d$/);
	await box.fill(text);
	await page.getByText(`${text.length}/300`).waitFor();
	// Typing holds the moment the comment goes at; the label shows it.
	const [, min, sec] = /(\d+):(\d\d)$/.exec(await page.locator('label[for="comment-text"]').innerText());
	const at = Number(min) * 60 + Number(sec);
	assert.ok(at >= 6 && at < 9, `the comment goes at the moment playing (${at}s)`);
	await page.getByRole('button', { name: 'Post comment' }).click();
	await page.getByRole('main').getByText(text, { exact: true }).waitFor();
	await page.locator('[data-comment-marker]').first().waitFor();
	assert.equal(await box.inputValue(), '', 'the form is emptied');
	const listed = await rpc(page, 'plyr.catalog.v1.CommentService/ListComments', { trackId: one.id });
	const comment = listed.comments?.find((c) => c.text === text);
	assert.ok(comment, 'the comment is on the server');
	assert.equal(comment.author?.did, bo.did);
	assert.ok(comment.timestampMs >= at * 1000 && comment.timestampMs < (at + 1) * 1000, `the comment is at ${at}s (got ${comment.timestampMs} ms)`);

	// Playback crossing it shows it under the seek bar.
	await page.evaluate(() => {
		const a = document.querySelector('audio');
		a.currentTime = Math.max(0, a.currentTime - 2.5);
		void a.play();
	});
	await page.locator('.surfaced').getByText(text).waitFor({ timeout: 10_000 });
	await page.evaluate(() => document.querySelector('audio')?.pause());

	// Its timestamp seeks there.
	await page.evaluate(() => (document.querySelector('audio').currentTime = 1));
	await page.getByRole('button', { name: /^Jump to \d+:\d\d$/ }).first().click();
	await until(async () => Math.abs((await audioTime(page)) - comment.timestampMs / 1000) < 1, 'the timestamp seeks');

	// Edit it.
	await page.getByRole('button', { name: /^Edit your comment at/ }).first().click();
	await page.getByLabel('Edit your comment').fill(`${text} (really)`);
	await page.getByRole('button', { name: 'Save', exact: true }).click();
	await page.getByRole('main').getByText(`${text} (really)`, { exact: true }).waitFor();
	await axe(page, 'track with comments');
	await screenshots(page, 'track-comments');

	// A new playlist, from the library (reached from the account menu).
	await accountButton(page, bo).click();
	await page.locator('#account-menu').getByRole('link', { name: 'Library' }).click();
	await page.getByRole('heading', { name: 'Your library' }).waitFor();
	const name = `Road trip ${stamp}`;
	await page.getByRole('button', { name: 'New playlist', exact: true }).click();
	await page.getByLabel('Name', { exact: true }).fill(name);
	await page.getByRole('button', { name: 'Create playlist' }).click();
	const card = page.getByRole('main').getByRole('link', { name: new RegExp(escape(name)) });
	await card.waitFor();
	const { playlists } = await rpc(page, 'plyr.catalog.v1.PlaylistService/ListPlaylists', {});
	const playlist = playlists?.find((p) => p.name === name);
	assert.ok(playlist, 'the playlist is on the server');

	// Add the first track from its page, the second from a list row's "more" menu.
	await page.goto(`${env.url}/track/${one.id}`);
	await page.getByRole('button', { name: 'Add to playlist', exact: true }).click();
	await page
		.getByRole('dialog', { name: 'More for Listening one' })
		.getByRole('button', { name: new RegExp(`^${escape(name)}`) })
		.click();
	await page.getByRole('status').getByText(`Added “Listening one” to ${name}.`).waitFor();
	await page.goto(`${env.url}/u/${ada.handle}`);
	await page.getByRole('button', { name: 'More for Listening two', exact: true }).first().click();
	const menu = page.getByRole('dialog', { name: 'More for Listening two' });
	await menu.getByRole('button', { name: new RegExp(`^${escape(name)}`) }).waitFor();
	await axe(page, 'artist with the track menu open');
	await menu.getByRole('button', { name: new RegExp(`^${escape(name)}`) }).click();
	await page.getByRole('status').getByText(`Added “Listening two” to ${name}.`).waitFor();

	// The playlist page lists them in the order added.
	const order = async () =>
		((await rpc(page, 'plyr.catalog.v1.PlaylistService/GetPlaylist', { id: playlist.id })).items ?? []).map((i) => i.track?.title).join(' / ');
	assert.equal(await order(), 'Listening one / Listening two');
	await page.goto(`${env.url}/playlist/${playlist.id}`);
	await page.getByRole('heading', { name }).waitFor();
	const rows = page.locator('main ol.tracks > li');
	await until(async () => (await rows.count()) === 2, 'two tracks listed');
	assert.match(await rows.nth(0).innerText(), /Listening one/);
	await axe(page, 'playlist');
	await screenshots(page, 'playlist');

	// Reorder: with the arrows, then back by dragging a handle; each order reaches the server.
	await page.getByRole('button', { name: 'Edit playlist' }).click();
	await page.getByRole('button', { name: 'Move Listening one down' }).click();
	await until(async () => (await order()) === 'Listening two / Listening one', 'the arrows’ order is saved');
	const handles = page.locator('main [data-handle]');
	const from = await handles.nth(1).boundingBox();
	const to = await handles.nth(0).boundingBox();
	const x = from.x + from.width / 2;
	const y = from.y + from.height / 2;
	await page.mouse.move(x, y);
	await page.mouse.down();
	for (let i = 1; i <= 10; i++) await page.mouse.move(x, y + ((to.y - from.y - 12) * i) / 10);
	await page.mouse.up();
	await until(async () => (await order()) === 'Listening one / Listening two', 'the dragged order is saved');
	await axe(page, 'playlist being edited');
	await page.getByRole('button', { name: /^(Done editing|Saving…)$/ }).click();
	await until(async () => (await rows.count()) === 2, 'the list is back');
	assert.match(await rows.nth(0).innerText(), /Listening one/);

	// The library has the liked track and the playlist with its two tracks.
	await page.goto(`${env.url}/library`);
	const main = page.getByRole('main');
	await main.getByRole('link', { name: 'Listening one', exact: true }).first().waitFor();
	await until(async () => /2 tracks/.test(await card.innerText()), 'the playlist shows two tracks');
	await axe(page, 'library');
	await screenshots(page, 'library');

	// Someone else's likes: listed when they show them, else "private" (PERMISSION_DENIED,
	// an answer this screen expects).
	const { artist: adaArtist } = await rpc(page, 'plyr.catalog.v1.CatalogService/GetArtist', { handle: ada.handle });
	await page.goto(`${env.url}/u/${ada.handle}/liked`);
	if (adaArtist.showLikedOnProfile) {
		await page.getByRole('heading', { name: /^Liked by / }).waitFor();
	} else {
		await page.getByText(`@${ada.handle} keeps their likes private.`).waitFor();
		const i = problems.findIndex((p) => p.startsWith('403 from /plyr.catalog.v1.LikeService/ListLikedTracks'));
		if (i >= 0) problems.splice(i, 1);
	}
	await axe(page, 'liked page');

	assertNoProblems(problems, 'listening');
	await context.close();
});
