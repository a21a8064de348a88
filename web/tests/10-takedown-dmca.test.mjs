// Takedowns and DMCA notices, from the admin review to the artist's counter-notice.
//
// TestBrowser's fake AudD hears “Big Hit” by Famous Band in two of every upload's three
// segments, so the first account's fresh track is flagged (66%, over the 30% threshold).
// The administrator opens the admin review from the account menu (scans on, DMs off),
// finds the flag, reads its evidence and takes the track down with a note: a visitor then
// finds no track and its audio answers 451, while its artist still sees it, badged
// "Taken down" with why. The administrator restores it from the flag's page, and the
// visitor can open it again.
//
// Then a DMCA notice: the administrator files one from the DMCA tab with the track's link
// pasted and lands on the notice's page (in force). The artist finds it in the portal's
// Notices, files a counter-notice with the suggested statement and is told when the track
// comes back (10 business days: about two weeks). The administrator's page shows it
// countered with that date, and "Court action reported" closes it: the track stays down.
//
// The administrator is PLYR_ADMIN_ACCOUNT ({handle, did, password}, an account on the PDS
// that TestBrowser lists in plyr's admin DIDs).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { accountButton, assertNoProblems, axe, env, freshMp3, launch, open, rpc, screenshots, signIn } from './lib.mjs';

const [ada] = env.accounts;
let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

const title = `Borrowed sine ${Date.now().toString(36)}`;
const legal = 'plyr.legal.v1.LegalService';
const takedownNote = 'Two of three segments are Big Hit: taken down after listening.';
const restoreNote = 'The artist showed a licence for the sample.';
const complainant = { name: 'Famous Label Ltd', contact: 'legal@famous-label.example, 1 Hit Road, Nashville TN', work: '“Big Hit” by Famous Band (2019)' };
const counter = { name: 'Ada Lovelace', contact: '12 Analytical Street, London\nada@example.org' };

/** The track both tests share: uploaded and flagged by the first. */
let track;

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

/** The flag of the track as an administrator reads it (null while it has no scan). */
const getFlag = (page, trackId) => rpc(page, `${legal}/GetFlag`, { trackId }).catch(() => null);

/** Text as it reads, whitespace folded. */
const text = (s) => (s ?? '').replace(/\s+/g, ' ').trim();

/** How /audio/<fileId> answers the page's browser (a redirect to storage is status 0). */
const audioStatus = (page, fileId) =>
	page.evaluate((fileId) => fetch(`/audio/${fileId}`, { redirect: 'manual', cache: 'no-store' }).then((r) => r.status), fileId);

/** Opens the track's page; resolves to what it shows: the track, or "Track not found". */
async function openTrack(page, trackId) {
	await page.goto(`${env.url}/track/${trackId}`);
	const found = page.getByRole('heading', { level: 1, name: title });
	const missing = page.getByRole('heading', { level: 1, name: 'Track not found' });
	await found.or(missing).waitFor();
	return (await found.isVisible()) ? 'found' : 'not found';
}

/** Reopens the track's page until it shows want (a decision applies at once, but a poll
 * costs little). */
async function untilTrack(page, trackId, want) {
	return until(page, () => openTrack(page, trackId), (seen) => seen === want);
}

/** The page of a taken-down track asks for its comments, which plyr lists to nobody while
 * it is down (its artist included): 404. */
const hiddenComments = (p) => p === '404 from /plyr.catalog.v1.CommentService/ListComments';

/** What a visitor's browser records when it is refused a taken-down track on purpose: the
 * track's 404, its comments' and its audio's 451. */
const refusedOnPurpose = (p) => hiddenComments(p) || p === '404 from /plyr.catalog.v1.CatalogService/GetTrack' || /^451 from \/audio\//.test(p);

test('a flagged track: the admin reviews the evidence, takes it down, and restores it', async () => {
	const admin = adminAccount();

	// The artist uploads a fresh track; the fake AudD flags it.
	const artist = await open(browser);
	await signIn(artist.page, ada);
	await artist.page.goto(`${env.url}/upload`);
	await artist.page.getByLabel('Title').fill(title);
	await artist.page.locator('#file').setInputFiles(freshMp3());
	await artist.page.getByLabel('I have the rights to share this').check();
	await artist.page.getByRole('button', { name: 'Upload', exact: true }).click();
	await artist.page.getByRole('status').getByText(`“${title}” is ready.`).waitFor({ timeout: 90_000 });
	const mine = await rpc(artist.page, 'plyr.catalog.v1.CatalogService/ListMyTracks', { pageSize: 100 });
	const uploaded = mine.tracks.find((x) => x.title === title);
	assert.ok(uploaded?.fileId, 'the track is listed with its file');

	const reviewer = await open(browser);
	const review = reviewer.page;
	await signIn(review, admin);
	const scanned = await until(review, () => getFlag(review, uploaded.id), (r) => r?.flag?.status === 'SCAN_STATUS_FLAGGED');
	assert.equal(scanned?.flag?.status, 'SCAN_STATUS_FLAGGED', 'the copyright scan flagged the upload');
	track = { id: uploaded.id, fileId: uploaded.fileId };

	// The admin review, from the account menu: scans are on, DMs are off.
	await accountButton(review, admin).click();
	await review.locator('#account-menu').getByRole('link', { name: 'Admin review' }).click();
	await review.getByRole('heading', { level: 1, name: 'Admin review' }).waitFor();
	await review.getByText(/^Scans run on every upload\. A track is flagged when its most frequent match reaches 30%/).waitFor();
	assert.equal(await review.getByText('Copyright scans are off.').count(), 0, 'scans are on');
	await review.getByTestId('moderation-off').getByText('DMs are off.').waitFor();
	assert.ok(Number(await review.getByTestId('open-flags').textContent()) >= 1, 'at least this flag is open');

	// The Flags tab lists it with its dominant match and share.
	await review.getByRole('navigation', { name: 'Review' }).getByRole('link', { name: /^Flags/ }).click();
	const row = review.getByTestId('flag-row').filter({ has: review.getByRole('link', { name: title, exact: true }) });
	await row.waitFor();
	assert.match(await row.textContent(), /Big Hit — Famous Band/, 'the row names the dominant match');
	assert.match(await row.textContent(), /66% vs 30% threshold/, 'and its share against the threshold');
	await row.getByRole('link', { name: /^Review/ }).click();
	await review.waitForURL(`${env.url}/admin/flags/${track.id}`);

	// The flag's page: the evidence.
	await review.getByRole('heading', { level: 2, name: title }).waitFor();
	const matches = review.getByRole('table');
	await matches.waitFor();
	const hits = matches.getByRole('row').filter({ has: review.getByRole('cell', { name: 'Big Hit', exact: true }) });
	assert.equal(await hits.count(), 2, 'two segments matched Big Hit');
	await hits.first().getByRole('cell', { name: 'Famous Band', exact: true }).waitFor();
	await hits.first().getByRole('cell', { name: 'USAAA0000001', exact: true }).waitFor();
	await review.getByText('Big Hit — Famous Band', { exact: true }).waitFor();
	await review.getByText('66% (2 of 3) vs 30% threshold').waitFor();
	await axe(review, 'flag page, open');

	// Take it down, confirmed, with a note.
	const decision = review.getByRole('region', { name: 'Decision' });
	await decision.getByLabel(/^Note/).fill(takedownNote);
	await decision.getByRole('button', { name: /^Take down/ }).click();
	const confirm = review.getByRole('dialog', { name: 'Take this track down?' });
	await confirm.waitFor();
	assert.match(await confirm.textContent(), new RegExp(`“${title}” by @${ada.handle.replaceAll('.', '\\.')}`), 'the confirmation names the track');
	await axe(review, 'takedown confirmation');
	await confirm.getByRole('button', { name: 'Yes, take it down' }).click();
	await confirm.waitFor({ state: 'detached' });
	const resolution = decision.getByTestId('resolution');
	await resolution.getByText('taken down', { exact: true }).waitFor();
	await resolution.getByText(admin.did).waitFor();
	await resolution.getByText(takedownNote).waitFor();
	const decided = await getFlag(review, track.id);
	assert.equal(decided?.flag?.resolution?.decision, 'DECISION_TAKE_DOWN', 'the decision is recorded');
	assert.equal(decided.flag.resolution.by, admin.did, 'with the administrator who made it');
	assert.equal(decided.flag.resolution.note, takedownNote, 'and their note');
	assert.equal(decided.flag.takenDown, true, 'the track is down');
	await axe(review, 'flag page, taken down');
	await review.evaluate(() => window.scrollTo(0, 0));
	await screenshots(review, 'admin-flag');

	// A visitor finds no track, and its audio is refused for legal reasons.
	const visitor = await open(browser);
	assert.equal(await untilTrack(visitor.page, track.id, 'not found'), 'not found', 'a visitor does not find the track');
	assert.equal(await until(visitor.page, () => audioStatus(visitor.page, track.fileId), (s) => s === 451), 451, 'its audio answers 451');

	// Its artist still sees it, badged, with why.
	assert.equal(await openTrack(artist.page, track.id), 'found', 'the artist still sees their track');
	const badge = artist.page.getByRole('main').getByTestId('taken-down');
	await badge.getByText('Taken down', { exact: true }).waitFor();
	await badge.getByText('Hidden from everyone but you; your records on your PDS are untouched.').waitFor();
	await artist.page.getByText('You can still play it; nobody else can.').waitFor();
	await artist.page.getByRole('region', { name: 'Comments' }).getByText('Comments are hidden while this track is taken down.').waitFor();
	assert.notEqual(await audioStatus(artist.page, track.fileId), 451, 'the artist may still hear it');
	await axe(artist.page, 'own track, taken down');
	await screenshots(artist.page, 'track-taken-down');
	await artist.page.goto(`${env.url}/portal`);
	const portalRow = artist.page
		.getByRole('main')
		.getByRole('listitem')
		.filter({ has: artist.page.getByRole('link', { name: title, exact: true }) });
	await portalRow.getByTestId('taken-down').getByText('Taken down', { exact: true }).waitFor();

	// The administrator restores it from the flag's page.
	await decision.getByRole('button', { name: 'Restore' }).click();
	const restore = review.getByRole('dialog', { name: 'Restore this track?' });
	await restore.getByLabel(/^Note/).fill(restoreNote);
	await restore.getByRole('button', { name: 'Restore track' }).click();
	await restore.waitFor({ state: 'detached' });
	await review.getByRole('status').getByText(`“${title}” is restored`).waitFor();
	await decision.getByTestId('resolution').waitFor();
	assert.equal(await decision.getByRole('button', { name: 'Restore' }).count(), 0, 'nothing left to restore');
	assert.ok(!(await getFlag(review, track.id))?.flag?.takenDown, 'the track is up');

	// The visitor can open it again, and hear it.
	assert.equal(await untilTrack(visitor.page, track.id, 'found'), 'found', 'the visitor finds the track again');
	assert.notEqual(await audioStatus(visitor.page, track.fileId), 451, 'its audio is served again');

	assertNoProblems(artist.problems.filter((p) => !hiddenComments(p)), 'artist');
	assertNoProblems(reviewer.problems, 'admin review of a flag');
	assertNoProblems(visitor.problems.filter((p) => !refusedOnPurpose(p)), 'visitor');
	await Promise.all([artist.context.close(), reviewer.context.close(), visitor.context.close()]);
});

test('a DMCA notice: filed by the admin, countered by the artist, closed by court action', async (t) => {
	if (!track) return t.skip('needs the track of the test before');
	const admin = adminAccount();

	// The administrator files the notice from the DMCA tab, with the track's link pasted.
	const reviewer = await open(browser);
	const review = reviewer.page;
	await signIn(review, admin);
	await review.goto(`${env.url}/admin`);
	await review.getByRole('navigation', { name: 'Review' }).getByRole('link', { name: 'DMCA' }).click();
	await review.getByRole('heading', { level: 2, name: 'DMCA notices' }).waitFor();
	await review.getByRole('button', { name: 'File a notice' }).click();
	const form = review.getByRole('form', { name: 'File a notice as received' });
	await form.getByLabel('Track: its id or its link').fill(`${env.url}/track/${track.id}`);
	await form.getByLabel('Complainant’s name').fill(complainant.name); // leaving the track's field looks it up
	await form.getByText(new RegExp(`^Track ${track.id}: ${title} — `)).waitFor();
	await form.getByLabel('Complainant’s contact').fill(complainant.contact);
	await form.getByLabel('The copyrighted work').fill(complainant.work);
	await form.getByLabel('URLs of the material, one a line').fill(`${env.url}/track/${track.id}`);
	await form.getByText('1 of at most 20.').waitFor();
	await form.getByLabel('Statement').fill('I have a good faith belief that this use is not authorised; the information is accurate; I act for the owner.');
	await axe(review, 'DMCA filing form');
	await form.getByRole('button', { name: 'File notice and take down' }).click();
	const confirm = review.getByRole('dialog', { name: 'File this notice?' });
	await confirm.getByText(new RegExp(`^“${title} — .+” is taken down at once`)).waitFor();
	await confirm.getByRole('button', { name: 'File and take down' }).click();

	// Its page: in force.
	await review.waitForURL(/\/admin\/dmca\/[0-9a-f-]{36}$/);
	const noticeId = review.url().split('/').pop();
	const adminNotice = review.getByTestId('dmca-notice');
	await adminNotice.getByRole('heading', { level: 2, name: title }).waitFor();
	await adminNotice.getByTestId('dmca-status').getByText('in force (taken down)').waitFor();
	await adminNotice.getByText(complainant.work, { exact: true }).waitFor();
	await review.getByRole('region', { name: 'What happened next' }).getByText('The track is down.', { exact: false }).waitFor();
	const filed = await rpc(review, `${legal}/GetDmcaNotice`, { noticeId });
	assert.equal(filed.notice.status, 'DMCA_STATUS_TAKEN_DOWN', 'the notice is in force');
	assert.equal(filed.notice.trackId, track.id, 'about the track');
	assert.equal(filed.notice.complainantContact, complainant.contact, 'with the complainant’s contact, for administrators');
	await axe(review, 'admin DMCA notice, in force');

	// A visitor no longer finds the track.
	const visitor = await open(browser);
	assert.equal(await untilTrack(visitor.page, track.id, 'not found'), 'not found', 'the notice took the track down');

	// The artist finds the notice in the portal's Notices and opens it.
	const artist = await open(browser);
	const page = artist.page;
	await signIn(page, ada);
	await page.goto(`${env.url}/portal`);
	const notices = page.getByRole('region', { name: 'Notices' });
	await notices.getByText(/in force: you may file a counter-notice from/).waitFor();
	await notices.getByTestId('dmca-row').filter({ hasText: title }).first().getByRole('link', { name: title }).click();
	await page.waitForURL(`${env.url}/dmca/${noticeId}`);
	await page.getByRole('heading', { level: 1, name: 'Copyright notice' }).waitFor();
	const notice = page.getByTestId('dmca-notice');
	await notice.getByRole('heading', { level: 2, name: title }).waitFor();
	await notice.getByText(complainant.name, { exact: true }).waitFor();
	await notice.getByText(complainant.work, { exact: true }).waitFor();
	assert.equal(await notice.getByText(complainant.contact).count(), 0, 'the complainant’s contact is for administrators only');
	await page.getByText(/^Your track was taken down after this notice\./).waitFor();

	// The counter-notice, with the suggested statement.
	const counterForm = page.getByRole('form', { name: 'File a counter-notice' });
	await counterForm.getByLabel('Your full name').fill(counter.name);
	await counterForm.getByLabel('Your address, email and phone').fill(counter.contact);
	const statement = counterForm.getByLabel('Statement');
	assert.match(await statement.inputValue(), /^I swear, under penalty of perjury, that I have a good faith belief/, 'the statement is suggested');
	await axe(page, 'artist DMCA notice with the counter-notice form');
	await screenshots(page, 'dmca-artist');
	await counterForm.getByRole('button', { name: 'File counter-notice' }).click();

	// Told the track comes back in about two weeks (10 business days).
	const countered = page.getByTestId('countered');
	await countered.waitFor();
	assert.match(text(await countered.textContent()), /^Countered — your track comes back on .+ unless the complainant reports court action\./);
	const due = new Date(await countered.locator('time').getAttribute('datetime'));
	const days = (due.getTime() - Date.now()) / 86_400_000;
	assert.ok(days > 12 && days < 21, `the track comes back in about two weeks (${days.toFixed(1)} days)`);
	await counterForm.waitFor({ state: 'detached' });
	await notice.getByRole('region', { name: 'Counter-notice' }).getByText(counter.name, { exact: true }).waitFor();
	const afterCounter = await rpc(page, `${legal}/GetDmcaNotice`, { noticeId });
	assert.equal(afterCounter.notice.status, 'DMCA_STATUS_COUNTERED', 'the notice is countered');
	assert.equal(afterCounter.notice.counterName, counter.name, 'by the artist’s name');
	assert.ok(Math.abs(new Date(afterCounter.notice.restoreDue).getTime() - due.getTime()) < 1000, 'the page shows the restore date the server holds');
	await axe(page, 'artist DMCA notice, countered');
	await screenshots(page, 'dmca-artist-countered');

	// The administrator's page: countered, with the date; "Court action reported" closes it.
	await review.reload();
	await adminNotice.getByTestId('dmca-status').getByText('countered', { exact: true }).waitFor();
	const steps = review.getByRole('region', { name: 'What happened next' });
	assert.match(text(await steps.textContent()), /The artist countered\. The track comes back on .+ unless you report that the complainant went to court\./);
	assert.equal(await steps.locator('time').getAttribute('datetime'), due.toISOString(), 'the same date for the administrator');
	assert.equal(await adminNotice.getByTestId('restore-due').locator('time').getAttribute('datetime'), due.toISOString());
	await adminNotice.getByRole('region', { name: 'Counter-notice' }).getByText(counter.name, { exact: true }).waitFor();
	await axe(review, 'admin DMCA notice, countered');
	await screenshots(review, 'admin-dmca-notice');
	await steps.getByRole('button', { name: 'Court action reported' }).click();
	const court = review.getByRole('dialog', { name: 'Court action reported?' });
	await court.getByLabel(/^Note/).fill('The label filed suit on the 3rd.');
	await court.getByRole('button', { name: 'Record court action' }).click();
	await court.waitFor({ state: 'detached' });
	await adminNotice.getByTestId('dmca-status').getByText('court action (stays down)').waitFor();
	assert.equal(await steps.count(), 0, 'nothing more to do on a closed notice');
	const closed = await rpc(review, `${legal}/GetDmcaNotice`, { noticeId });
	assert.equal(closed.notice.status, 'DMCA_STATUS_COURT_ACTION', 'the notice is closed as court action');
	assert.ok(closed.notice.closedAt, 'with when it closed');

	// The track stays down: the visitor still finds nothing, and the artist is told so.
	assert.equal(await openTrack(visitor.page, track.id), 'not found', 'the track stays down');
	assert.equal(await audioStatus(visitor.page, track.fileId), 451, 'and so does its audio');
	await page.reload();
	await page.getByText('The complainant reported that they went to court: the track stays down.').waitFor();

	assertNoProblems(reviewer.problems, 'admin review of a DMCA notice');
	assertNoProblems(artist.problems, 'artist countering');
	assertNoProblems(visitor.problems.filter((p) => !refusedOnPurpose(p)), 'visitor');
	await Promise.all([artist.context.close(), reviewer.context.close(), visitor.context.close()]);
});
