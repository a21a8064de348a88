// Upload an MP3 through the form, watch it become ready, play it (the audio element's
// currentTime advances), seek (a Range request is served), keep playing across client-side
// navigation, and drive the player from the keyboard.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertNoProblems, axe, env, launch, open, rpc, screenshots, signIn, freshMp3 } from './lib.mjs';

const [ada] = env.accounts;
let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

const audioTime = (page) => page.evaluate(() => document.querySelector('audio')?.currentTime ?? -1);

test('upload, play, seek, navigate, keyboard', async () => {
	const { page, problems, context } = await open(browser);
	await signIn(page, ada);

	await page.getByRole('link', { name: 'Upload', exact: true }).click();
	await page.getByLabel('Title').fill('Browser sine');
	await page.locator('#file').setInputFiles(freshMp3());
	await page.getByLabel('Album').fill('Browser album');
	await page.locator('#tags').fill('sine,');
	await axe(page, 'upload');
	await screenshots(page, 'upload');
	await page.getByLabel('I have the rights to share this').check();
	await page.getByRole('button', { name: 'Upload', exact: true }).click();

	// The upload goes on in the background: a progress toast, then a link to the track.
	const ready = page.getByRole('status').getByText('“Browser sine” is ready.');
	await ready.waitFor({ timeout: 60_000 });
	await page.getByRole('link', { name: 'View track' }).click();
	await page.getByRole('heading', { name: 'Browser sine' }).waitFor();
	await axe(page, 'track');
	await screenshots(page, 'track');

	// Play: the audio element advances.
	const ranges = [];
	page.on('response', (res) => {
		if (res.status() === 206 && res.headers()['content-range']) ranges.push(res.headers()['content-range']);
	});
	await page.getByRole('main').getByRole('button', { name: /^Play/ }).first().click();
	await page.waitForFunction(() => (document.querySelector('audio')?.currentTime ?? 0) > 1, null, { timeout: 20_000 });

	// The browser streams with Range requests (206 from storage, after /audio's redirect);
	// seek with the player's slider.
	await page.evaluate(() => ((document.querySelector('audio').dataset.mark = 'same-element')));
	await page.getByRole('slider', { name: 'Seek' }).fill('12');
	await page.waitForFunction(() => (document.querySelector('audio')?.currentTime ?? 0) >= 12, null, { timeout: 10_000 });
	assert.ok(ranges.length > 0, 'a Range request was answered with 206 and Content-Range');

	// Client-side navigation keeps the same element playing.
	await page.getByRole('main').getByRole('link', { name: ada.handle }).first().click();
	await page.waitForURL(/\/u\//);
	const t0 = await audioTime(page);
	await page.waitForTimeout(1200);
	assert.ok((await audioTime(page)) > t0, 'still playing after navigating');
	assert.equal(await page.evaluate(() => document.querySelector('audio')?.dataset.mark), 'same-element');
	await axe(page, 'artist');
	await screenshots(page, 'artist');

	// Keyboard: space pauses and resumes, → skips ahead 10 s.
	await page.locator('body').click({ position: { x: 5, y: 300 } });
	await page.keyboard.press('Space');
	await page.waitForFunction(() => document.querySelector('audio')?.paused === true);
	await page.keyboard.press('Space');
	await page.waitForFunction(() => document.querySelector('audio')?.paused === false);
	const before = await audioTime(page);
	await page.keyboard.press('ArrowLeft');
	await page.waitForFunction((b) => (document.querySelector('audio')?.currentTime ?? 99) < b - 5, before);

	// The album and the tag have their pages (full loads: the player stops, the queue stays).
	await page.goto(`${env.url}/tag/sine`);
	await page.getByRole('main').getByRole('link', { name: 'Browser sine' }).first().waitFor();
	await axe(page, 'tag');
	await screenshots(page, 'tag');
	const mine = await rpc(page, 'plyr.catalog.v1.CatalogService/ListMyTracks', {});
	const album = mine.tracks.find((t) => t.title === 'Browser sine')?.album;
	assert.equal(album?.title, 'Browser album', 'the album given in the upload form was set');
	await page.goto(`${env.url}/u/${ada.handle}/album/${album.slug}`);
	await page.getByRole('heading', { name: 'Browser album' }).waitFor();
	await axe(page, 'album');
	await screenshots(page, 'album');

	// The feed lists the track and the queue panel opens with q.
	await page.getByRole('link', { name: 'Feed' }).click();
	await page.getByRole('main').getByRole('link', { name: 'Browser sine' }).first().waitFor();
	await page.keyboard.press('q');
	await page.getByRole('complementary', { name: 'Queue' }).waitFor();
	await axe(page, 'feed with queue');
	await screenshots(page, 'feed-playing');
	assertNoProblems(problems, 'upload and play');
	await context.close();
});

test('a file that is not audio is refused with a clear message', async () => {
	const { page, context } = await open(browser);
	await signIn(page, ada);
	await page.goto(`${env.url}/upload`);
	await page.getByLabel('Title').fill('Not a song');
	await page.locator('#file').setInputFiles({ name: 'lyrics.mp3', mimeType: 'audio/mpeg', buffer: Buffer.from('la la la\nla la la\n') });
	await page.getByLabel('I have the rights to share this').check();
	await page.getByRole('button', { name: 'Upload', exact: true }).click();
	await page.getByRole('status').getByText(/not an audio file plyr accepts/).waitFor({ timeout: 30_000 });
	await context.close();
});
