// Moderation: the terms' Decline, reports, the admin review and sensitive images.
//
// A fresh account (made here on the PDS, so that it has never accepted the terms) signs in,
// gets the terms overlay, and Decline logs it out. The first account uploads a track with
// artwork; the second reports it from the track page (the dialog's reason, description and
// counter), and finds it open in Settings › My reports. An administrator sees it in the
// admin review's Reports tab, marks the track's artwork sensitive from the report and
// dismisses the report (the resolution shows; the reporter's list says so). A visitor then
// sees the artwork blurred on the track page until they press "Show sensitive image".
// Someone who is not an administrator opening /admin is told it is for administrators, and
// nothing is asked of the LegalService.
//
// The administrator is PLYR_ADMIN_ACCOUNT ({handle, did, password}, an account on the PDS
// that TestBrowser lists in plyr's admin DIDs).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { accountButton, assertNoProblems, axe, env, freshMp3, launch, open, rpc, screenshots, signIn } from './lib.mjs';

const [ada, bo] = env.accounts;
let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

const title = `Reported sine ${Date.now().toString(36)}`;
const description = 'This looks like spam: the same track uploaded again and again.';
const legal = 'plyr.legal.v1.LegalService';

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

/** The administrator: PLYR_ADMIN_ACCOUNT, an account on the PDS that TestBrowser makes an admin. */
function adminAccount() {
	assert.ok(process.env.PLYR_ADMIN_ACCOUNT, 'PLYR_ADMIN_ACCOUNT names the administrator (TestBrowser sets it)');
	return JSON.parse(process.env.PLYR_ADMIN_ACCOUNT);
}

/** Makes an account on the PDS that plyr has never seen. */
async function freshAccount() {
	const handle = `cy${Date.now() % 1_000_000}${Math.floor(Math.random() * 100)}.test`;
	const password = 'cy-pass-123';
	const res = await fetch(`${env.pds}/xrpc/com.atproto.server.createAccount`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify({ handle, email: `${handle}@plyr.invalid`, password })
	});
	const body = await res.json();
	assert.equal(res.status, 200, `create ${handle} on the PDS: ${JSON.stringify(body)}`);
	return { handle, did: body.did, password };
}

test('the terms overlay names the version, and Decline logs out', async () => {
	const account = await freshAccount();
	const { page, problems, context } = await open(browser);
	await signIn(page, account, { acceptTerms: false });
	const overlay = page.getByRole('dialog', { name: 'Welcome to plyr' });
	await overlay.waitFor();
	const me = await rpc(page, 'plyr.identity.v1.IdentityService/GetMe', {});
	assert.equal(me.termsPending, true, 'a new account has the terms to accept');
	assert.ok(me.termsVersion, 'GetMe names the version in force');
	assert.equal(await overlay.getByTestId('terms-version').textContent(), me.termsVersion, 'the overlay shows that version');
	assert.ok(await overlay.getByRole('link', { name: 'terms of service' }).isVisible(), 'the overlay links to the terms');
	assert.ok(await overlay.getByRole('link', { name: 'privacy policy' }).isVisible(), 'and to the privacy policy');
	await axe(page, 'terms overlay with Decline');

	await overlay.getByRole('button', { name: 'Decline', exact: true }).click();
	await page.getByRole('banner').getByRole('link', { name: 'Sign in' }).waitFor();
	await overlay.waitFor({ state: 'detached' });
	const status = await page.evaluate(async () => (await fetch('/plyr.identity.v1.IdentityService/GetMe', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })).status);
	assert.equal(status, 401, 'declining the terms logged the account out');

	// The documents themselves render from GetTerms, with their version.
	await page.goto(`${env.url}/terms`);
	await page.getByRole('heading', { level: 1, name: /terms/i }).waitFor();
	await page.getByText(`Version ${me.termsVersion}`).waitFor();
	assert.ok((await page.locator('main article ul li').count()) > 0, 'the terms’ lists are rendered');
	assert.equal(await page.locator('main article script').count(), 0);
	await axe(page, 'terms page');
	await screenshots(page, 'terms');
	assertNoProblems(problems, 'terms overlay');
	await context.close();
});

test('report a track, follow it in My reports; an admin marks its artwork sensitive and dismisses it', { skip: !bo && 'needs two accounts' }, async (t) => {
	// The first account uploads a track with artwork.
	const artist = await open(browser);
	await signIn(artist.page, ada);
	await artist.page.goto(`${env.url}/upload`);
	await artist.page.getByLabel('Title').fill(title);
	await artist.page.locator('#file').setInputFiles(freshMp3());
	await artist.page.locator('#artwork').setInputFiles(env.image);
	await artist.page.getByLabel('I have the rights to share this').check();
	await artist.page.getByRole('button', { name: 'Upload', exact: true }).click();
	await artist.page.getByRole('status').getByText(`“${title}” is ready.`).waitFor({ timeout: 90_000 });
	const mine = await rpc(artist.page, 'plyr.catalog.v1.CatalogService/ListMyTracks', { pageSize: 100 });
	const track = mine.tracks.find((x) => x.title === title);
	assert.ok(track?.imageUrl, 'the track has its artwork');
	// The artist is not offered to report their own track.
	await artist.page.goto(`${env.url}/track/${track.id}`);
	await artist.page.getByRole('heading', { name: title }).waitFor();
	assert.equal(await artist.page.getByRole('button', { name: 'Report', exact: true }).count(), 0, 'no Report on one’s own track');
	assertNoProblems(artist.problems, 'upload with artwork');
	await artist.context.close();

	// The second account reports it from the track page.
	const reporter = await open(browser);
	const { page } = reporter;
	await signIn(page, bo);
	await page.goto(`${env.url}/track/${track.id}`);
	await page.getByRole('heading', { name: title }).waitFor();
	await page.getByRole('main').getByRole('button', { name: 'Report', exact: true }).click();
	const dialog = page.getByRole('dialog', { name: 'Report this track' });
	await dialog.waitFor();
	assert.match(await dialog.getByTestId('report-target').textContent(), new RegExp(title), 'the dialog names the track');
	assert.match(await dialog.getByTestId('report-target').textContent(), new RegExp(`/track/${track.id}`), 'and its address');
	await dialog.getByRole('radio', { name: /^Spam/ }).check();
	await dialog.getByLabel(/What is wrong/).fill(description);
	await dialog.getByText(`${[...description].length}/1000`).waitFor();
	await axe(page, 'report dialog');
	await screenshots(page, 'report-dialog');
	await dialog.getByRole('button', { name: 'Send report' }).click();
	const sent = page.getByRole('dialog', { name: 'Report sent' });
	await sent.waitFor();
	await sent.getByRole('button', { name: 'Done' }).click();
	await sent.waitFor({ state: 'detached' });

	// The server has it, and the reporter's list shows it, open.
	const filed = await rpc(page, `${legal}/ListMyReports`, { pageSize: 20 });
	const report = filed.reports.find((r) => r.targetId === track.id);
	assert.ok(report, 'the report was filed');
	assert.equal(report.reason, 'REPORT_REASON_SPAM');
	assert.equal(report.targetType, 'TARGET_TYPE_TRACK');
	assert.equal(report.description, description);
	assert.ok(!report.resolution, 'it is open');
	await page.goto(`${env.url}/settings`);
	const list = page.getByTestId('my-reports');
	const row = list.getByRole('listitem').filter({ hasText: title });
	await row.waitFor();
	await row.getByText('open', { exact: true }).waitFor();
	await row.getByText(description).waitFor();
	await axe(page, 'settings with my reports');
	await screenshots(page, 'settings-reports');

	// Someone who is not an administrator is told /admin is not for them, and nothing is asked.
	const me = await rpc(page, 'plyr.identity.v1.IdentityService/GetMe', {});
	if (!me.admin) {
		const asked = [];
		page.on('request', (req) => req.url().includes(`/${legal}/`) && asked.push(req.url()));
		await page.goto(`${env.url}/admin`);
		await page.getByText('This page is for administrators.').waitFor();
		await page.waitForTimeout(300);
		assert.deepEqual(asked, [], 'the admin review asked nothing of the LegalService');
		assert.equal(await page.getByRole('link', { name: 'Admin review' }).count(), 0, 'no admin link in the page');
	}
	assertNoProblems(reporter.problems, 'reporting');

	const admin = adminAccount();

	// The administrator finds it in the review, marks the artwork sensitive and dismisses it.
	const reviewer = await open(browser);
	await signIn(reviewer.page, admin);
	const review = reviewer.page;
	await accountButton(review, admin).click();
	await review.locator('#account-menu').getByRole('link', { name: 'Admin review' }).click();
	await review.getByRole('heading', { name: 'Admin review' }).waitFor();
	await review.getByTestId('open-reports').waitFor();
	await review.getByRole('navigation', { name: 'Review' }).getByRole('link', { name: /^Reports/ }).click();
	const item = review.getByTestId('report-row').filter({ hasText: title });
	await item.waitFor();
	assert.match(await item.textContent(), new RegExp(bo.did), 'the row names the reporter');
	await item.getByText(description).waitFor();
	await axe(review, 'admin reports');
	await screenshots(review, 'admin-reports');

	await item.getByRole('button', { name: /^Mark sensitive/ }).click();
	await item.getByRole('button', { name: /^Unmark sensitive/ }).waitFor();
	const listed = await review.evaluate(async () => (await fetch('/moderation/sensitive-images', { cache: 'no-store' })).json());
	assert.ok(listed.imageIds.some((id) => track.imageUrl.includes(id)), 'the artwork is on the public list');

	await item.getByRole('button', { name: /^Dismiss/ }).click();
	await item.getByTestId('resolution').getByText('dismissed').waitFor();
	const all = await rpc(review, `${legal}/ListReports`, { all: true, pageSize: 100 });
	const decided = all.reports.find((r) => r.id === report.id);
	assert.equal(decided?.resolution?.decision, 'DECISION_DISMISS', 'the decision is recorded');
	assert.equal(decided?.resolution?.by, admin.did, 'with who made it');
	assertNoProblems(reviewer.problems, 'admin review');
	await reviewer.context.close();

	// The reporter's list says what was decided.
	await page.goto(`${env.url}/settings`);
	await row.getByText('decided: dismissed').waitFor();
	await reporter.context.close();

	// A visitor (a fresh browser: no list kept from before) sees the artwork blurred until
	// they reveal it.
	const visitor = await open(browser);
	await visitor.page.goto(`${env.url}/track/${track.id}`);
	await visitor.page.getByRole('heading', { name: title }).waitFor();
	const cover = visitor.page.getByTestId('track-cover');
	const art = cover.locator('[data-sensitive]');
	await art.waitFor();
	assert.equal(await art.getAttribute('data-sensitive'), 'blurred', 'the artwork is blurred');
	const filter = () => cover.locator('img').evaluate((img) => getComputedStyle(img).filter);
	assert.match(await filter(), /blur/, 'the picture is drawn blurred');
	await axe(visitor.page, 'blurred artwork');
	await screenshots(visitor.page, 'track-sensitive');
	await cover.getByRole('button', { name: 'Show sensitive image' }).click();
	await cover.locator('[data-sensitive="revealed"]').waitFor();
	assert.equal(await cover.getByRole('button', { name: 'Show sensitive image' }).count(), 0, 'revealed on click');
	assert.equal(await filter(), 'none', 'the picture is drawn as it is');
	// It stays revealed for the session.
	await visitor.page.reload();
	await visitor.page.getByRole('heading', { name: title }).waitFor();
	await cover.locator('[data-sensitive="revealed"]').waitFor();
	assertNoProblems(visitor.problems, 'sensitive artwork');
	await visitor.context.close();
});
