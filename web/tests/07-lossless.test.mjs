// Lossless uploads: a FLAC sent through the form keeps its original beside the MP3 made
// from it. The track shows a "lossless" badge (on its page and in lists), Chromium plays
// the original itself, and the seek bars draw the track's waveform. The same file sent
// again makes nothing new: the upload page says it is already there, with a link to it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertNoProblems, axe, env, launch, open, rpc, screenshots, signIn } from './lib.mjs';

const [ada] = env.accounts;
let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

const title = 'Lossless sine';
const badgeLabel = 'Lossless FLAC original';
const playerWave = 'section[aria-label="Player"] canvas[data-waveform]';
const pageWave = 'main canvas[data-waveform]';

/** How many pixels of the canvas at selector are drawn on (not fully transparent); 0 when
 * there is no such canvas. */
function inked(page, selector) {
	return page.evaluate((sel) => {
		const canvas = document.querySelector(sel);
		if (!canvas || !canvas.width || !canvas.height) return 0;
		const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
		let n = 0;
		for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
		return n;
	}, selector);
}

/** Waits until the canvas at selector has something drawn on it. */
async function waitForWaveform(page, selector, label) {
	try {
		await page.waitForFunction(
			(sel) => {
				const canvas = document.querySelector(sel);
				if (!canvas || !canvas.width || !canvas.height) return false;
				const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
				for (let i = 3; i < data.length; i += 4) if (data[i] > 0) return true;
				return false;
			},
			selector,
			{ timeout: 15_000 }
		);
	} catch {
		assert.fail(`${label}: the waveform canvas (${selector}) was never drawn on (${await inked(page, selector)} pixels)`);
	}
}

/** The <audio> element's current source, once it has played past 0.5 s. */
async function playingSrc(page) {
	await page.waitForFunction(() => (document.querySelector('audio')?.currentTime ?? 0) > 0.5, null, { timeout: 20_000 });
	return page.evaluate(() => document.querySelector('audio')?.currentSrc ?? '');
}

async function uploadFlac(page, name) {
	await page.goto(`${env.url}/upload`);
	await page.getByLabel('Title').fill(name);
	await page.locator('#file').setInputFiles(env.flac);
	await page.getByLabel('I have the rights to share this').check();
	await page.getByRole('button', { name: 'Upload', exact: true }).click();
}

test('a FLAC keeps its original, plays it, draws its waveform, and is not uploaded twice', { skip: !env.flac && 'PLYR_TEST_FLAC is not set' }, async () => {
	const { page, problems, context } = await open(browser);
	await signIn(page, ada);

	// The form takes FLAC (the account has the lossless flag).
	await page.goto(`${env.url}/upload`);
	await page.locator('#file-hint').getByText(/FLAC/).waitFor();
	await uploadFlac(page, title);
	await page.getByRole('status').getByText(`“${title}” is ready.`).waitFor({ timeout: 90_000 });
	await page.getByRole('link', { name: 'View track' }).click();
	await page.getByRole('heading', { name: title }).waitFor();
	const trackId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop());

	// The server kept the original and made the waveform.
	const { track } = await rpc(page, 'plyr.catalog.v1.CatalogService/GetTrack', { id: trackId });
	assert.ok(track.original?.fileId, 'the track has a lossless original');
	assert.notEqual(track.original.fileId, track.fileId, 'the original is not the MP3');
	assert.equal(track.fileType, 'mp3');
	assert.ok(track.waveform, 'GetTrack carries the waveform');

	// The badge says so, quietly.
	const badge = page.getByRole('main').getByTitle(badgeLabel);
	await badge.waitFor();
	assert.ok((await badge.textContent()).includes('lossless'), 'the badge reads "lossless"');

	// The track page's seek bar draws the waveform before anything plays.
	await waitForWaveform(page, pageWave, 'track page');

	// Play: Chromium plays FLAC, so the element was given the original.
	await page.getByRole('main').getByRole('button', { name: /^Play/ }).first().click();
	const src = await playingSrc(page);
	assert.ok(src.endsWith(`/audio/${track.original.fileId}`), `plays the original: ${src}`);
	await waitForWaveform(page, playerWave, 'player bar');

	// Seeking still works over the waveform.
	await page.getByRole('slider', { name: 'Seek' }).fill('8');
	await page.waitForFunction(() => (document.querySelector('audio')?.currentTime ?? 0) >= 8, null, { timeout: 10_000 });
	await axe(page, 'lossless track');
	await screenshots(page, 'track-lossless');

	// Lists show the badge too (the artist's page, reached without stopping the player).
	await page.getByRole('main').getByRole('link', { name: ada.handle }).first().click();
	await page.waitForURL(/\/u\//);
	const row = page
		.getByRole('main')
		.getByRole('listitem')
		.filter({ has: page.getByRole('link', { name: title, exact: true }) })
		.first();
	await row.getByTitle(badgeLabel).waitFor();
	assert.ok(await row.getByTitle(badgeLabel).isVisible(), 'the list row shows the badge');

	// After a full load the track is played from the list, whose tracks carry no waveform:
	// the player fetches it, and plays the original again.
	await page.reload();
	await row.getByRole('button', { name: `Play ${title}` }).click();
	const again = await playingSrc(page);
	assert.ok(again.endsWith(`/audio/${track.original.fileId}`), `plays the original from a list: ${again}`);
	await waitForWaveform(page, playerWave, 'player bar after playing from a list');
	await axe(page, 'artist with a lossless track');
	await screenshots(page, 'artist-lossless');

	// The same file again: nothing new, a friendly notice pointing at the track it already is.
	await uploadFlac(page, `${title} again`);
	const notice = page
		.getByRole('main')
		.getByRole('status')
		.filter({ hasText: 'You already uploaded this file' });
	await notice.waitFor({ timeout: 60_000 });
	const link = notice.getByRole('link', { name: 'Go to the track' });
	assert.equal(await link.getAttribute('href'), `/track/${trackId}`);
	await notice.getByText(`“${title}”`).waitFor(); // the track it already is, by name
	assert.equal(await page.locator('.toast.error').count(), 0, 'no error toast');
	const mine = await rpc(page, 'plyr.catalog.v1.CatalogService/ListMyTracks', { pageSize: 100 });
	assert.equal(mine.tracks.filter((t) => t.title === title).length, 1, 'one track of the FLAC');
	assert.equal(mine.tracks.filter((t) => t.title === `${title} again`).length, 0, 'no second track was made');
	await axe(page, 'duplicate upload');
	await screenshots(page, 'upload-duplicate');

	await link.click();
	await page.getByRole('heading', { name: title }).waitFor();
	assert.equal(decodeURIComponent(new URL(page.url()).pathname.split('/').pop()), trackId);
	assertNoProblems(problems, 'lossless');
	await context.close();
});
