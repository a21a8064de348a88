// Audio on the artist's PDS, tracks for supporters only, and the export. The first account
// has the pds-audio-uploads flag (TestBrowser sets it) and sets its support link to
// atprotofans here; the second supports nobody (TestBrowser's atprotofans says so).
//
// The first account uploads a fresh MP3, moves its audio to its PDS from the portal's
// migration dialog (the track listed as eligible, with its size; the toast ends with "1
// migrated"; the record names the blob), then makes the track for supporters only in its
// editor (badges in the portal and on the track page; the record's supportGate). The second
// account pressing Play gets the supporters-only notice with the artist's support link,
// not an error. Last, the first account's export ends with a download link that downloads.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertNoProblems, axe, env, freshMp3, launch, open, pdsRecord, rpc, screenshots, signIn } from './lib.mjs';

const [ada, bob] = env.accounts;
let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

const title = `Gated sine ${Date.now().toString(36)}`;

/** Calls read until it answers something for which ok holds (at most about 30 s); returns
 * the last answer. */
async function until(page, read, ok) {
	let value;
	for (let i = 0; i < 60; i++) {
		value = await read();
		if (ok(value)) break;
		await page.waitForTimeout(500);
	}
	return value;
}

const getTrack = async (page, id) => (await rpc(page, 'plyr.catalog.v1.CatalogService/GetTrack', { id })).track;

/** The track's record on the PDS, as it is now. */
async function record(page, id) {
	const t = await getTrack(page, id);
	return t.record?.uri ? pdsRecord(t.record.uri) : null;
}

test('move audio to the PDS, gate a track for supporters, export everything', { skip: !bob && 'needs two accounts' }, async () => {
	const { page, problems, context } = await open(browser);
	await signIn(page, ada);

	// Settings: the PDS setting is offered (the flag) and saves; the support link becomes
	// atprotofans, which gating needs.
	await page.goto(`${env.url}/settings`);
	await page.getByRole('heading', { name: 'Your audio on your PDS' }).waitFor();
	const copy = page.getByLabel('Copy my new tracks’ audio to my PDS');
	const prefs = async () => (await rpc(page, 'plyr.identity.v1.IdentityService/GetPreferences', {})).preferences ?? {};
	if (!(await copy.isChecked())) {
		await copy.check();
		assert.equal((await until(page, prefs, (p) => p.pdsAudioUploads === true)).pdsAudioUploads, true, 'the setting was saved');
	}
	// Off again: the track uploaded below is moved by the migration, not at upload.
	await copy.uncheck();
	assert.ok(!(await until(page, prefs, (p) => !p.pdsAudioUploads)).pdsAudioUploads, 'the setting was turned off');
	const fans = page.getByLabel('atprotofans', { exact: true });
	if (!(await fans.isChecked())) {
		await fans.check();
		await page.getByRole('button', { name: 'Save preferences' }).click();
		await until(page, prefs, (p) => p.supportUrl === 'atprotofans');
	}
	assert.equal((await prefs()).supportUrl, 'atprotofans', 'the support link is atprotofans');
	await axe(page, 'settings with the PDS setting');
	await screenshots(page, 'settings-pds');

	// A fresh track.
	await page.goto(`${env.url}/upload`);
	await page.getByLabel('Title').fill(title);
	await page.locator('#file').setInputFiles(freshMp3());
	await page.getByLabel('I have the rights to share this').check();
	await page.getByRole('button', { name: 'Upload', exact: true }).click();
	await page.getByRole('status').getByText(`“${title}” is ready.`).waitFor({ timeout: 90_000 });
	const mine = await rpc(page, 'plyr.catalog.v1.CatalogService/ListMyTracks', { pageSize: 100 });
	const uploaded = mine.tracks.find((t) => t.title === title);
	assert.ok(uploaded?.fileId, 'the track is listed with its file');
	const trackId = uploaded.id;

	// The portal's migration dialog lists it as eligible, with its size.
	await page.getByRole('link', { name: 'Portal', exact: true }).click();
	await page.getByRole('button', { name: 'Move audio to your PDS' }).click();
	const dialog = page.getByRole('dialog', { name: 'Move audio to your PDS' });
	const item = dialog.getByRole('listitem').filter({ hasText: title });
	await item.getByText('eligible', { exact: true }).waitFor();
	assert.match(await item.textContent(), /\d+(\.\d+)? MB/, 'the size is shown');
	const box = dialog.getByRole('checkbox', { name: title, exact: true });
	assert.ok(await box.isChecked(), 'eligible tracks are chosen at first');
	await axe(page, 'migration dialog');
	await screenshots(page, 'portal-migration');

	// Only this track goes (earlier tests' tracks stay where they are).
	const all = dialog.getByRole('checkbox', { name: /^Select all eligible/ });
	await all.uncheck();
	assert.ok(!(await box.isChecked()), 'select all clears the choice');
	await box.check();
	await dialog.getByRole('button', { name: 'Start', exact: true }).click();
	await dialog.waitFor({ state: 'detached' });

	// The toast follows the migration to its end.
	const done = page.getByRole('status').getByText(/1 migrated/);
	await done.waitFor({ timeout: 120_000 });
	assert.match(await done.textContent(), /1 migrated, 0 skipped, 0 failed/);
	const moved = await getTrack(page, trackId);
	assert.equal(moved.pdsAudio?.state, 'PDS_AUDIO_STATE_ON_PDS', 'the audio is on the PDS');
	const withBlob = await until(page, () => record(page, trackId), (r) => Boolean(r?.audioBlob));
	assert.ok(withBlob?.audioBlob, 'the record names the audio blob');
	const row = page
		.getByRole('main')
		.getByRole('listitem')
		.filter({ has: page.getByRole('link', { name: title, exact: true }) });
	await row.getByText('on your PDS', { exact: true }).first().waitFor({ timeout: 15_000 });

	// Supporters only, from the track's editor.
	await row.getByRole('button', { name: `Edit ${title}` }).click();
	const form = page.getByRole('form', { name: `Edit ${title}` });
	await form.getByLabel('Supporters only').check();
	await axe(page, 'track editor with the supporters-only choice');
	await form.getByRole('button', { name: 'Save changes' }).click();
	await form.waitFor({ state: 'detached', timeout: 30_000 });
	await row.getByText('supporters only', { exact: true }).waitFor();
	assert.equal((await getTrack(page, trackId)).supportersOnly, true, 'the track is gated');
	await screenshots(page, 'portal-gated');

	// The record says so, and no longer carries the blob.
	const gated = await until(page, () => record(page, trackId), (r) => r?.supportGate?.type === 'any' && !r.audioBlob);
	assert.equal(gated?.supportGate?.type, 'any', 'the record has its support gate');
	assert.ok(!gated?.audioBlob, 'a gated track’s record names no audio blob');

	// The track page shows the badge; its audio answers 401 to nobody in particular (once
	// its move to private storage is done) and 200 to its artist.
	await page.goto(`${env.url}/track/${trackId}`);
	await page.getByRole('heading', { name: title }).waitFor();
	await page.getByRole('main').getByText('supporters only', { exact: true }).waitFor();
	const anonymous = async () => (await fetch(`${env.url}/audio/${uploaded.fileId}`, { method: 'HEAD' })).status;
	assert.equal(await until(page, anonymous, (s) => s === 401), 401, 'the gated audio asks for a sign-in');
	const own = await page.evaluate((fileId) => fetch(`/audio/${fileId}`, { method: 'HEAD', credentials: 'include' }).then((r) => r.status), uploaded.fileId);
	assert.equal(own, 200, 'the artist may hear their own track');
	await axe(page, 'track for supporters only');
	await screenshots(page, 'track-supporters-only');

	// Someone who supports nobody presses Play: a notice with the support link, no error.
	const other = await open(browser);
	await signIn(other.page, bob);
	await other.page.goto(`${env.url}/track/${trackId}`);
	await other.page.getByRole('heading', { name: title }).waitFor();
	await other.page.getByRole('main').getByText('supporters only', { exact: true }).waitFor();
	await other.page.getByRole('main').getByRole('button', { name: /^Play/ }).first().click();
	const notice = other.page.getByRole('status').getByText(/supporters only/);
	await notice.waitFor({ timeout: 20_000 });
	assert.match(await notice.textContent(), /^For .+’s supporters only/);
	const support = other.page.getByRole('status').getByRole('link', { name: /^Support / });
	assert.equal(await support.getAttribute('href'), `https://atprotofans.com/u/${ada.did}`);
	assert.equal(await other.page.locator('.toast.error').count(), 0, 'no error toast');
	assert.ok(await other.page.evaluate(() => document.querySelector('audio')?.paused ?? true), 'nothing plays');
	await axe(other.page, 'supporters-only notice');
	await screenshots(other.page, 'track-supporters-notice');
	// The HEAD that asked was answered 402, as it should be.
	assertNoProblems(
		other.problems.filter((p) => !/^402 from \/audio\//.test(p)),
		'supporters only for a listener'
	);
	await other.context.close();

	// The export: a progress toast, then a download link that downloads.
	await page.goto(`${env.url}/portal`);
	await page.getByRole('button', { name: 'Download all my tracks' }).click();
	const link = page.getByRole('status').getByRole('link', { name: 'Download', exact: true });
	await link.waitFor({ timeout: 180_000 });
	assert.ok(await link.getAttribute('href'), 'the link has its address');
	await page.getByRole('status').getByText(/Your download is ready/).waitFor();
	await axe(page, 'export ready');
	await screenshots(page, 'portal-export');
	const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), link.click()]);
	assert.equal(await download.failure(), null, 'the zip downloaded');
	assertNoProblems(problems, 'PDS audio, gating and export');
	await context.close();
});
