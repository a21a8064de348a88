// Handle typeahead (SearchHandles): the upload form's featured artists and the account
// menu's "add account" complete a handle from the accounts plyr knows.
// - A few letters of bo's handle suggest bo; a click on the suggestion adds the chip, and
//   so do ↓ and Enter; Escape closes only the list; a whole handle and Enter still add it
//   as typed, without the suggestions; the upload then features bo.
// - On a 360 px phone the menu's suggestions fit the screen, Escape leaves the menu open,
//   and a tap fills the handle in.
// Signs bo in first, so that plyr knows the account even when this file runs alone.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { accountButton, assertNoProblems, axe, env, launch, open, phone, rpc, signIn, freshMp3 } from './lib.mjs';

const [ada, bo] = env.accounts;
/** The first letters of bo's handle ("bo" and a digit or two), as a person starts typing. */
const prefix = bo.handle.slice(0, 4);
let browser;
before(async () => {
	browser = await launch();
	const { page, context } = await open(browser);
	await signIn(page, bo);
	await context.close();
});
after(async () => browser?.close());

const suggestions = (page) => page.getByRole('listbox', { name: 'Suggested handles' });
const suggestion = (page, handle) => suggestions(page).getByRole('option', { name: `@${handle}` });

test('a featured artist is picked from the suggestions on the upload form', async () => {
	const { page, problems, context } = await open(browser);
	await signIn(page, ada);
	await page.getByRole('link', { name: 'Upload', exact: true }).click();
	const features = page.getByRole('combobox', { name: /Featured artists/ });
	const chip = page.getByRole('button', { name: `Remove artist ${bo.handle}` });
	const boOption = suggestion(page, bo.handle);

	// The mouse: a few letters, then a click on the suggestion adds the artist.
	await features.pressSequentially(prefix, { delay: 40 });
	await boOption.waitFor();
	assert.equal(await features.getAttribute('aria-expanded'), 'true');
	assert.equal(await features.getAttribute('aria-controls'), await suggestions(page).getAttribute('id'));
	assert.equal(await suggestion(page, ada.handle).count(), 0, 'you are not suggested as your own featured artist');
	await axe(page, 'upload with handle suggestions');
	await boOption.click();
	await chip.waitFor();
	await suggestions(page).waitFor({ state: 'detached' });
	assert.equal(await features.inputValue(), '', 'the picked handle became a chip');
	assert.equal(await features.getAttribute('aria-expanded'), 'false');

	// The keyboard: Escape closes the list and keeps the text; ↓ opens it again with the
	// first suggestion chosen, ↓ moves on to bo's, Enter picks it.
	await chip.click();
	await chip.waitFor({ state: 'detached' });
	await features.pressSequentially(prefix, { delay: 40 });
	await boOption.waitFor();
	await features.press('Escape');
	await suggestions(page).waitFor({ state: 'detached' });
	assert.equal(await features.inputValue(), prefix, 'Escape keeps what was typed');
	await features.press('ArrowDown');
	await boOption.waitFor();
	for (let i = 0; i < 6 && (await boOption.getAttribute('aria-selected')) !== 'true'; i++) await features.press('ArrowDown');
	assert.equal(await boOption.getAttribute('aria-selected'), 'true', '↓ reaches the suggestion');
	assert.equal(await features.getAttribute('aria-activedescendant'), await boOption.getAttribute('id'));
	await features.press('Enter');
	await chip.waitFor();
	assert.equal(await features.inputValue(), '');

	// As before the suggestions: a whole handle and Enter add it as typed.
	await chip.click();
	await chip.waitFor({ state: 'detached' });
	await features.fill(`@${bo.handle}`);
	await features.press('Enter');
	await chip.waitFor();
	assert.equal(await features.inputValue(), '');

	// The upload features bo.
	const title = 'Featuring a suggestion';
	await page.getByLabel('Title').fill(title);
	await page.locator('#file').setInputFiles(freshMp3());
	await page.getByLabel('I have the rights to share this').check();
	await page.getByRole('button', { name: 'Upload', exact: true }).click();
	await page.getByRole('status').getByText(`“${title}” is ready.`).waitFor({ timeout: 60_000 });
	let track;
	for (let i = 0; i < 60; i++) {
		const mine = await rpc(page, 'plyr.catalog.v1.CatalogService/ListMyTracks', {});
		track = mine.tracks.find((t) => t.title === title);
		if (track?.features?.length) break;
		await page.waitForTimeout(500);
	}
	assert.deepEqual(track?.features?.map((f) => f.handle), [bo.handle], 'the picked artist is featured');
	assertNoProblems(problems, 'featured artist suggestions');
	await context.close();
});

test('the account to add is picked from the suggestions on a 360 px phone', async () => {
	const { page, problems, context } = await open(browser, phone);
	await page.setViewportSize({ width: 360, height: 740 });
	await signIn(page, ada);
	await accountButton(page, ada).click();
	await page.getByRole('button', { name: 'Add account' }).click();
	const field = page.getByRole('combobox', { name: 'Handle of the account to add' });
	const boOption = suggestion(page, bo.handle);

	await field.pressSequentially(prefix, { delay: 40 });
	await boOption.waitFor();
	const box = await boOption.boundingBox();
	assert.ok(box && box.x >= 0 && box.x + box.width <= 360, `the suggestion fits the screen: ${JSON.stringify(box)}`);
	assert.ok(box.height >= 44, 'a suggestion is at least 44 px tall');
	await axe(page, 'account menu with handle suggestions');

	// Escape closes the list, not the menu.
	await field.press('Escape');
	await suggestions(page).waitFor({ state: 'detached' });
	assert.ok(await page.getByRole('button', { name: 'Continue' }).isVisible(), 'the menu stays open');

	// A tap on the suggestion fills the handle in; Continue is the person's to press.
	await field.press('ArrowDown');
	await boOption.tap();
	await suggestions(page).waitFor({ state: 'detached' });
	assert.equal(await field.inputValue(), bo.handle);
	assert.ok(await page.getByRole('button', { name: 'Continue' }).isVisible());
	assertNoProblems(problems, 'add-account suggestions');
	await context.close();
});
