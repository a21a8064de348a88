// Search, the queue that follows an account, and play counting:
// - Ctrl+K finds an upload by part of its title, and by a misspelling, and Enter opens it;
//   "see all results" has the whole list with kind filters.
// - Two tabs of one account share the queue: a track added in one shows in the other's
//   queue panel within a second, without starting playback there; a change made on
//   another device (another browser context: no BroadcastChannel, only the server's
//   WatchQueue stream) shows too.
// - Play pressed while a page is still taking the account's queue from the server is the
//   newer change: it plays on and becomes the account's queue.
// - Playing past min(30 s, half the track) records one play: the play count goes up by
//   one, and not again on a replay, in the same load or the next one.
// Uploads its own two tracks (it does not depend on the earlier files).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { accountButton, assertNoProblems, axe, env, launch, open, rpc, screenshots, signIn, freshMp3 } from './lib.mjs';

const [ada] = env.accounts;
const lullaby = 'Quasar lullaby';
const hymn = 'Nebula hymn';
/** The ids of the uploads, by title (set by the first test). */
const ids = {};
let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

/** Another tab of the context of a page made by open(), recording its problems alike. */
async function otherTab(context, problems) {
	const page = await context.newPage();
	page.on('pageerror', (e) => problems.push(`tab 2 page error: ${e.message}`));
	page.on('console', (m) => {
		if (m.type() === 'error' && !/^Failed to load resource/.test(m.text()) && page.url().startsWith(env.url)) problems.push(`tab 2 console: ${m.text()}`);
	});
	page.on('response', (res) => {
		const url = res.url();
		if (!url.startsWith(env.url) || res.status() < 400) return;
		if (res.status() === 401 && url.endsWith('.IdentityService/GetMe')) return;
		problems.push(`tab 2: ${res.status()} from ${url.slice(env.url.length)}`);
	});
	return page;
}

async function upload(page, title) {
	await page.goto(`${env.url}/upload`);
	await page.getByLabel('Title').fill(title);
	await page.locator('#file').setInputFiles(freshMp3());
	await page.getByLabel('I have the rights to share this').check();
	await page.getByRole('button', { name: 'Upload', exact: true }).click();
	await page.getByRole('status').getByText(`“${title}” is ready.`).waitFor({ timeout: 60_000 });
}

const queuePanel = (page) => page.getByRole('complementary', { name: 'Queue' });
const queueTitles = (page) => queuePanel(page).locator('li .title').allTextContents();
const paused = (page) => page.evaluate(() => document.querySelector('audio')?.paused ?? true);
const audioTime = (page) => page.evaluate(() => document.querySelector('audio')?.currentTime ?? -1);

/** Empties the account's queue on the server (a write without If-Match always wins). */
function resetQueue(page) {
	return page.evaluate(async () => {
		const res = await fetch('/queue', {
			method: 'PUT',
			headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify({ state: { trackIds: [], currentIndex: 0, shuffle: false, originalOrderIds: [], positionMs: 0 } })
		});
		if (res.status !== 200) throw new Error(`PUT /queue: ${res.status} ${await res.text()}`);
	});
}

test('Ctrl+K finds an upload by part of its title and opens it', async () => {
	const { page, problems, context } = await open(browser);
	await signIn(page, ada);
	await upload(page, lullaby);
	await upload(page, hymn);
	const mine = await rpc(page, 'plyr.catalog.v1.CatalogService/ListMyTracks', {});
	for (const title of [lullaby, hymn]) {
		ids[title] = mine.tracks.find((t) => t.title === title)?.id;
		assert.ok(ids[title], `${title} was uploaded`);
	}

	// Ctrl+K from the feed: the dialog, results as you type, grouped and marked by kind.
	await page.goto(env.url);
	await page.getByRole('heading', { name: 'Latest tracks' }).waitFor();
	await page.keyboard.press('Control+k');
	const dialog = page.getByRole('dialog', { name: 'Search' });
	const box = dialog.getByRole('combobox', { name: 'Search plyr' });
	await box.waitFor();
	assert.ok(await box.evaluate((el) => el === document.activeElement), 'the search box has the focus');
	await box.fill('quasar lull');
	const option = dialog.getByRole('option', { name: new RegExp(lullaby) });
	await option.waitFor();
	await dialog.getByRole('group', { name: /Tracks/ }).waitFor();
	assert.equal(await option.getAttribute('aria-selected'), 'true', 'the best result is picked');
	await axe(page, 'search dialog');
	await screenshots(page, 'search-dialog');

	// The arrows move the pick (and wrap); Enter opens it.
	await box.press('ArrowDown');
	await box.press('ArrowUp');
	assert.equal(await option.getAttribute('aria-selected'), 'true');
	assert.equal(await box.getAttribute('aria-activedescendant'), await option.getAttribute('id'));
	await box.press('Enter');
	await page.waitForURL(`${env.url}/track/${ids[lullaby]}`);
	await page.getByRole('heading', { name: lullaby }).waitFor();
	await dialog.waitFor({ state: 'detached' });

	// A misspelling finds it too; Escape closes without going anywhere.
	await page.getByRole('banner').getByRole('button', { name: 'Search' }).click();
	await box.fill('quasr lulaby');
	await option.waitFor();
	await box.press('Escape');
	await dialog.waitFor({ state: 'detached' });
	assert.equal(page.url(), `${env.url}/track/${ids[lullaby]}`);

	// Too short a query asks for more; "see all results" lists them with kind filters.
	await page.keyboard.press('Control+k');
	await box.fill('q');
	await dialog.getByText('Type at least 2 characters').waitFor();
	await box.fill('nebula');
	await dialog.getByRole('option', { name: new RegExp(hymn) }).waitFor();
	await dialog.getByRole('link', { name: /See all results/ }).click();
	await page.waitForURL(/\/search\?q=nebula/);
	await page.getByRole('main').getByRole('link', { name: hymn }).first().waitFor();
	await page.getByRole('navigation', { name: 'Kinds of results' }).getByRole('link', { name: /Tracks/ }).click();
	await page.waitForURL(/kind=track/);
	await page.getByRole('main').getByRole('link', { name: hymn }).first().waitFor();
	await axe(page, 'search results');
	await screenshots(page, 'search');

	// A misspelt query says what it searched instead.
	await page.goto(`${env.url}/search?q=${encodeURIComponent('quasr lulaby')}`);
	await page.getByRole('main').getByRole('link', { name: lullaby }).first().waitFor();
	await page.getByText('Showing results for “quasar lullaby”.').waitFor();
	assertNoProblems(problems, 'search');
	await context.close();
});

test('two tabs and another device share the queue', async () => {
	assert.ok(ids[lullaby] && ids[hymn], 'the first test uploaded the tracks');
	const { page: tab1, problems, context } = await open(browser);
	await signIn(tab1, ada);
	await resetQueue(tab1);
	await tab1.goto(env.url);
	await tab1.getByRole('heading', { name: 'Latest tracks' }).waitFor();

	const tab2 = await otherTab(context, problems);
	await tab2.goto(env.url);
	await accountButton(tab2, ada).waitFor();
	await tab2.getByRole('heading', { name: 'Latest tracks' }).waitFor();
	await tab2.keyboard.press('q');
	await queuePanel(tab2).getByText('Nothing queued').waitFor();

	// Tab 1 adds a track (and plays it: its queue was empty); tab 2 shows it within a second.
	await tab1.getByRole('button', { name: `Add ${lullaby} to the queue` }).first().click();
	const t0 = Date.now();
	await queuePanel(tab2).getByText(lullaby).waitFor({ timeout: 5000 });
	const took = Date.now() - t0;
	assert.ok(took < 1000, `tab 2 showed the change after ${took} ms`);
	await tab1.waitForFunction(() => (document.querySelector('audio')?.currentTime ?? 0) > 0.5, null, { timeout: 20_000 });
	// Slowed down, the 20 s file outlasts the steps below (a sign-in on the phone among them).
	await tab1.evaluate(() => (document.querySelector('audio').playbackRate = 0.4));
	assert.equal(await paused(tab2), true, 'a change from elsewhere does not start playback');
	await axe(tab2, 'queue panel (synced)');

	// Tab 2 adds one (its panel closed: it covers the list's buttons): tab 1's queue has it,
	// and tab 1 goes on playing.
	await queuePanel(tab2).getByRole('button', { name: 'Close the queue' }).click();
	await tab2.getByRole('button', { name: `Add ${hymn} to the queue` }).first().click();
	await tab1.keyboard.press('q');
	await queuePanel(tab1).getByText(hymn).waitFor({ timeout: 1000 });
	assert.deepEqual(await queueTitles(tab1), [lullaby, hymn]);
	assert.equal(await paused(tab1), false, 'tab 1 still plays');

	// Another device (its own cookies and storage: only the server's stream links them).
	const device = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
	const phone = await otherTab(device, problems);
	await signIn(phone, ada);
	await phone.keyboard.press('q');
	await queuePanel(phone).getByText(hymn).waitFor();
	assert.deepEqual(await queueTitles(phone), [lullaby, hymn], 'the phone loads the same queue');
	await queuePanel(phone).getByRole('button', { name: `Move ${hymn} up` }).click();
	await tab1.waitForFunction(
		([first]) => document.querySelector('aside[aria-label="Queue"] li .title')?.textContent === first,
		[hymn],
		{ timeout: 2000 }
	);
	assert.equal(await paused(tab1), false, 'reordering elsewhere does not stop tab 1');
	assert.equal(await paused(phone), true, 'nor does it start the phone');
	assert.equal(await tab1.locator('aside[aria-label="Queue"] li.current .title').textContent(), lullaby, 'the current track stays current');

	// Shuffle and back: the order the tracks were in comes back, in every tab. (Shuffling
	// needs two tracks after the current one: both again.)
	await queuePanel(tab1).getByRole('button', { name: 'Close the queue' }).click();
	await tab1.getByRole('button', { name: `Add ${lullaby} to the queue` }).first().click();
	await tab1.getByRole('button', { name: `Add ${hymn} to the queue` }).first().click();
	await tab1.keyboard.press('q');
	await tab2.keyboard.press('q');
	await tab2.waitForFunction(() => document.querySelectorAll('aside[aria-label="Queue"] li').length === 4, null, { timeout: 2000 });
	const order = await queueTitles(tab1);
	assert.deepEqual(order, [hymn, lullaby, lullaby, hymn]);
	assert.deepEqual(await queueTitles(tab2), order, 'tab 2 has the reorder and the additions');
	await queuePanel(tab1).getByRole('button', { name: 'Shuffle' }).click();
	await queuePanel(tab1).getByRole('button', { name: 'Shuffle', pressed: true }).waitFor();
	await queuePanel(tab2).getByRole('button', { name: 'Shuffle', pressed: true }).waitFor({ timeout: 2000 });
	await queuePanel(tab2).getByRole('button', { name: 'Shuffle' }).click();
	await queuePanel(tab1).getByRole('button', { name: 'Shuffle', pressed: false }).waitFor({ timeout: 2000 });
	assert.deepEqual(await queueTitles(tab1), order);

	// Pausing in tab 1 is the position the others start from.
	await tab1.getByRole('region', { name: 'Player' }).getByRole('button', { name: 'Pause' }).click();
	assert.equal(await paused(tab1), true);

	assertNoProblems(problems, 'synced queue');
	await device.close();
	await context.close();
});

test('Play pressed while the page is still taking the account’s queue wins over it', async () => {
	assert.ok(ids[lullaby] && ids[hymn], 'the first test uploaded the tracks');
	// A device signed in earlier, closed; meanwhile another device queued the hymn.
	const { page, problems, context } = await open(browser);
	await signIn(page, ada);
	await resetQueue(page);
	await page.goto(env.url);
	await page.getByRole('heading', { name: 'Latest tracks' }).waitFor();
	await page.keyboard.press('q');
	await queuePanel(page).getByText('Nothing queued').waitFor();
	await page.goto('about:blank');
	const elsewhere = await open(browser);
	await signIn(elsewhere.page, ada);
	await elsewhere.page.evaluate(async (id) => {
		const res = await fetch('/queue', {
			method: 'PUT',
			headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify({ state: { trackIds: [id], currentIndex: 0, shuffle: false, originalOrderIds: [], positionMs: 5000 } })
		});
		if (res.status !== 200) throw new Error(`PUT /queue: ${res.status}`);
	}, ids[hymn]);
	await elsewhere.context.close();

	// The device opens the lullaby and its listener presses Play while the page still
	// fetches the tracks of the queue it was told of (held back here).
	let release;
	const held = new Promise((resolve) => (release = resolve));
	await page.route('**/plyr.catalog.v1.CatalogService/GetTracks', async (route) => {
		await held;
		await route.continue();
	});
	const asked = page.waitForRequest((r) => r.url().endsWith('/plyr.catalog.v1.CatalogService/GetTracks'));
	await page.goto(`${env.url}/track/${ids[lullaby]}`);
	await page.getByRole('heading', { name: lullaby }).waitFor();
	await asked;
	await page.getByRole('main').getByRole('button', { name: /^Play/ }).first().click();
	await page.waitForFunction(() => (document.querySelector('audio')?.currentTime ?? 0) > 0.3, null, { timeout: 20_000 });
	release();

	// The press is the newer change: it plays on, and it is the account's queue now.
	const saved = async () => (await page.evaluate(async () => (await fetch('/queue')).json())).state?.trackIds ?? [];
	for (let i = 0; i < 50 && (await saved())[0] !== ids[lullaby]; i++) await page.waitForTimeout(100);
	assert.deepEqual(await saved(), [ids[lullaby]], 'the server has the queue Play made');
	assert.equal(await paused(page), false, 'the lullaby still plays');
	assert.equal(await page.getByRole('region', { name: 'Player' }).getByText(lullaby).count() > 0, true, 'the player shows the lullaby');
	assertNoProblems(problems, 'play while the queue loads');
	await context.close();
});

test('playing past min(30 s, half the track) counts one play, once', async () => {
	assert.ok(ids[lullaby], 'the first test uploaded the track');
	const id = ids[lullaby];
	// An anonymous visitor: plays count for them too (as a visitor, not an account).
	const { page, problems, context } = await open(browser);
	const count = async () => Number((await rpc(page, 'plyr.catalog.v1.CatalogService/GetTrack', { id })).track.playCount ?? 0);
	const reports = [];
	page.on('request', (req) => {
		if (req.url().endsWith('/plyr.catalog.v1.PlayService/RecordPlay')) reports.push(req.postDataJSON());
	});
	const answer = () => page.waitForResponse((res) => res.url().endsWith('/plyr.catalog.v1.PlayService/RecordPlay'), { timeout: 40_000 });

	await page.goto(`${env.url}/track/${id}`);
	await page.getByRole('heading', { name: lullaby }).waitFor();
	const before = await count();

	// The 20 s test file counts after 10 s heard.
	const first = answer();
	await page.getByRole('main').getByRole('button', { name: /^Play/ }).first().click();
	const res = await (await first).json();
	assert.equal(reports.length, 1);
	assert.equal(reports[0].trackId, id);
	assert.ok(Number(reports[0].listenedMs) >= 10_000, `reported after ${reports[0].listenedMs} ms heard`);
	assert.equal(res.counted, true, 'the first play counts');
	assert.equal(Number(res.playCount), before + 1);
	assert.equal(await count(), before + 1, 'the play count went up by one');

	// Played again in the same load: no second report.
	await page.getByRole('slider', { name: 'Seek' }).first().fill('0');
	await page.waitForFunction(() => (document.querySelector('audio')?.currentTime ?? 0) > 11, null, { timeout: 30_000 });
	assert.equal(reports.length, 1, 'one report per load');

	// The next load reports again; the server does not count it twice.
	await page.reload();
	await page.getByRole('heading', { name: lullaby }).waitFor();
	const second = answer();
	await page.getByRole('main').getByRole('button', { name: /^Play/ }).first().click();
	await page.waitForFunction(() => document.querySelector('audio')?.paused === false);
	if ((await audioTime(page)) > 2) await page.getByRole('slider', { name: 'Seek' }).first().fill('0');
	const again = await (await second).json();
	assert.equal(again.counted ?? false, false, 'a replay within the window is not counted');
	assert.equal(await count(), before + 1, 'the play count did not go up again');
	assertNoProblems(problems, 'plays');
	await context.close();
});
