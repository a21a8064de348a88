// Edit a track's title and artwork in the portal: the track page shows the change, and so
// does the record on the PDS. Runs after 02-upload-play.test.mjs, which uploads the track.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertNoProblems, authorizeOnPDS, axe, env, launch, open, pdsRecord, rpc, screenshots, signIn } from './lib.mjs';

const [ada] = env.accounts;
let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

test('edit title and artwork in the portal', async () => {
	const { page, problems, context } = await open(browser);
	await signIn(page, ada);
	await page.getByRole('link', { name: 'Portal', exact: true }).click();
	await page.getByRole('button', { name: 'Edit Browser sine' }).click();
	await axe(page, 'portal');
	await screenshots(page, 'portal');

	const form = page.getByRole('form', { name: 'Edit Browser sine' });
	await form.getByLabel('Title').fill('Browser sine, edited');
	await form.locator('input[type=file]').setInputFiles(env.image);
	await form.getByText('new artwork selected').waitFor();
	await form.getByRole('button', { name: 'Save changes' }).click();
	await form.waitFor({ state: 'detached', timeout: 30_000 });

	const mine = await rpc(page, 'plyr.catalog.v1.CatalogService/ListMyTracks', {});
	const track = mine.tracks.find((t) => t.title === 'Browser sine, edited');
	assert.ok(track, 'the edit was saved');
	assert.ok(track.imageUrl, 'the track has artwork');

	await page.goto(`${env.url}/track/${track.id}`);
	await page.getByRole('heading', { name: 'Browser sine, edited' }).waitFor();
	await page.locator(`main img[src="${track.imageUrl}"]`).first().waitFor();

	// The record on the PDS follows (recordsync writes it in the background).
	let record;
	for (let i = 0; i < 60; i++) {
		const { track: t } = await rpc(page, 'plyr.catalog.v1.CatalogService/GetTrack', { id: track.id });
		if (t.record?.uri) {
			record = await pdsRecord(t.record.uri);
			if (record.title === 'Browser sine, edited' && record.imageUrl) break;
		}
		await page.waitForTimeout(500);
	}
	assert.equal(record?.title, 'Browser sine, edited');
	assert.ok(record?.imageUrl, 'the record names the artwork');

	await page.goto(`${env.url}/settings`);
	await page.getByRole('heading', { name: 'Settings' }).first().waitFor();
	await axe(page, 'settings');
	await screenshots(page, 'settings');
	assertNoProblems(problems, 'portal');
	await context.close();
});

test('a developer token: created through the PDS, shown once, works, revoked', async () => {
	const { page, problems, context } = await open(browser);
	await signIn(page, ada);
	await page.goto(`${env.url}/settings`);
	await page.locator('#token-name').fill('browser test');
	await page.getByRole('button', { name: 'Create token' }).click();
	await authorizeOnPDS(page, ada);
	const token = await page.locator('#new-token').inputValue();
	assert.ok(token.length > 20, 'the token is shown');
	assert.ok(!page.url().includes('developer_token'), 'the one-time code is dropped from the address bar');

	const getMe = (bearer) =>
		fetch(`${env.url}/plyr.identity.v1.IdentityService/GetMe`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${bearer}` },
			body: '{}'
		});
	const res = await getMe(token);
	assert.equal(res.status, 200);
	assert.equal((await res.json()).account.handle, ada.handle);

	await page.getByRole('button', { name: 'Done, I copied it' }).click();
	await page.getByRole('button', { name: 'Revoke browser test' }).click();
	await page.getByRole('dialog', { name: 'Revoke this token?' }).getByRole('button', { name: 'Revoke token' }).click();
	await page.getByRole('button', { name: 'Revoke browser test' }).waitFor({ state: 'detached' });
	assert.equal((await getMe(token)).status, 401, 'a revoked token no longer works');
	assertNoProblems(problems, 'developer tokens');
	await context.close();
});
