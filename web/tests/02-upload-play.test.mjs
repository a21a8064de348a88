// Upload an MP3 through the form, watch it become ready, play it (the audio element's
// currentTime advances), seek (a Range request is served), keep playing across client-side
// navigation, and drive the player from the keyboard.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertNoProblems, axe, env, launch, open, screenshots, signIn } from './lib.mjs';

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
	await page.locator('#file').setInputFiles(env.mp3);
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
