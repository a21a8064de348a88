// Sharing: ada publishes a track and copies a share link from its page (a new link per copy);
// a visitor on a phone opens it and listens (and copies the plain link: no share link for
// someone not signed in), bo opens it, listens, and opens it again and again (his visits and
// his replay count once), and ada opens it herself (a creator never counts). Her portal then
// shows the link with bo as its one visitor and one listener, and the visitor's visit and
// play as numbers of their own. "Copy link at current time" gives a link with t= that opens
// there; a comment's Share gives a ?t= link. In the settings, bo turns scrobbling to teal.fm
// on: plyr says it lacks the permission, and Grant permission gets it on the PDS; his play
// of the shared track then shows as his last scrobble. Each claim is checked on the server.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertNoProblems, authorizeOnPDS, axe, desktop, env, freshMp3, launch, open, phone, rpc, screenshots, signIn } from './lib.mjs';

const [ada, bo] = env.accounts;
let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

const stamp = Date.now() % 1_000_000;
const title = `Shared ${stamp}`;
/** The shared track, once published (the first test). */
let shared;

/** Polls fn until it is true, failing with what after timeout ms. */
async function until(fn, what, timeout = 15_000) {
	const end = Date.now() + timeout;
	for (;;) {
		if (await fn()) return;
		if (Date.now() > end) assert.fail(`timed out waiting: ${what}`);
		await new Promise((r) => setTimeout(r, 250));
	}
}

/** A context and page that may read and write the clipboard. */
async function openWithClipboard(viewport = desktop) {
	const o = await open(browser, viewport);
	await o.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.url });
	return o;
}

/** Empties the clipboard, runs copy (a press), and answers what it copied. */
async function copied(page, copy) {
	await page.evaluate(() => navigator.clipboard.writeText(''));
	await copy();
	let text = '';
	await until(async () => (text = await page.evaluate(() => navigator.clipboard.readText())) !== '', 'something is copied');
	return text;
}

/** The signed-in artist's track titled name, uploaded through the form; resolved once
 * its record is on their PDS (comments point at it). */
async function publish(page, name) {
	await page.goto(`${env.url}/upload`);
	await page.getByLabel('Title').fill(name);
	await page.locator('#file').setInputFiles(freshMp3());
	await page.getByLabel('I have the rights to share this').check();
	await page.getByRole('button', { name: 'Upload', exact: true }).click();
	await page.getByRole('status').getByText(`“${name}” is ready.`).waitFor({ timeout: 60_000 });
	const { tracks } = await rpc(page, 'plyr.catalog.v1.CatalogService/ListMyTracks', { pageSize: 100 });
	const track = tracks?.find((t) => t.title === name);
	assert.ok(track, `${name} was uploaded`);
	let synced;
	await until(
		async () => {
			const { track: t } = await rpc(page, 'plyr.catalog.v1.CatalogService/GetTrack', { id: track.id });
			if (t.status === 'TRACK_STATUS_READY' && t.record?.state === 'RECORD_STATE_SYNCED') synced = t;
			return synced !== undefined;
		},
		`the record of ${name} reaches the PDS`,
		60_000
	);
	return synced;
}

const responseTo = (page, method, timeout = 15_000) => page.waitForResponse((r) => r.url().endsWith(method), { timeout });
const audioTime = (page) => page.evaluate(() => document.querySelector('audio')?.currentTime ?? -1);

/** Opens url (a share link) and waits for the page to report the visit. */
async function visit(page, url) {
	const visited = responseTo(page, '/plyr.sharing.v1.SharingService/RecordShareVisit');
	await page.goto(url);
	await page.getByRole('heading', { name: title, level: 1 }).waitFor();
	const res = await visited;
	assert.equal(res.status(), 200, 'RecordShareVisit');
	assert.deepEqual(JSON.parse(res.request().postData()), { trackId: shared.id, code: new URL(url).searchParams.get('ref') });
}

/** Presses the track page's Play and listens until the player reports the play (10 s of
 * the 20 s track); answers the report and whether it counted. */
async function listen(page, { fromStart = false } = {}) {
	const reported = responseTo(page, '/plyr.catalog.v1.PlayService/RecordPlay', 45_000);
	await page.getByRole('main').getByRole('button', { name: 'Play', exact: true }).click();
	if (fromStart) {
		// A page restored with this track paused part way resumes there: from the start, so
		// that enough of it is heard.
		await page.waitForFunction(() => !document.querySelector('audio')?.paused);
		await page.evaluate(() => (document.querySelector('audio').currentTime = 0));
	}
	const res = await reported.catch(async (err) => {
		// What the player was doing, for a failure that only a loaded machine shows.
		const state = await page
			.evaluate(() => {
				const a = document.querySelector('audio');
				const player = document.querySelector('[aria-label="Player"]')?.textContent?.replace(/\s+/g, ' ').trim();
				return a && { paused: a.paused, time: a.currentTime, readyState: a.readyState, networkState: a.networkState, error: a.error?.code, src: a.currentSrc.slice(0, 80), player };
			})
			.catch((e) => `unreadable: ${e.message}`);
		await page.screenshot({ path: path.join(env.artifacts, `listen-timeout-${Date.now()}.png`) }).catch(() => {});
		throw new Error(`no play reported; the player: ${JSON.stringify(state)}`, { cause: err });
	});
	assert.equal(res.status(), 200, 'RecordPlay');
	const body = JSON.parse(res.request().postData());
	const { counted = false } = await res.json();
	await page.evaluate(() => document.querySelector('audio')?.pause());
	return { ref: body.ref ?? '', counted };
}

/** Screenshots the section at the desktop and phone sizes, scrolled to it (toasts
 * dismissed), checking that nothing overflows sideways. */
async function sectionShots(page, section, name) {
	const dismiss = page.getByRole('status').getByRole('button', { name: 'Dismiss' });
	for (let i = 0; i < 5 && (await dismiss.count()); i++) await dismiss.first().click();
	for (const [size, viewport] of [['desktop', desktop], ['phone', phone]]) {
		await page.setViewportSize(viewport);
		await page.waitForTimeout(150);
		await section.evaluate((el) => el.scrollIntoView({ block: 'center' }));
		const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
		assert.ok(overflow <= 0, `${name} (${size}) overflows sideways by ${overflow}px`);
		await page.screenshot({ path: path.join(env.artifacts, `${name}-${size}.png`) });
	}
	await page.setViewportSize(desktop);
}

test('scrobbling to teal.fm asks for the permission it lacks', async () => {
	const { page, problems, context } = await open(browser);
	await signIn(page, bo);
	await page.goto(`${env.url}/settings`);
	const section = page.locator('section', { has: page.getByRole('heading', { name: 'Scrobble to teal.fm' }) });
	const toggle = section.getByRole('switch', { name: 'Scrobble my plays to teal.fm' });
	await toggle.waitFor();
	if (await toggle.isChecked()) {
		// A run before this one left it on: start from off.
		await toggle.click();
		await page.getByRole('status').getByText('Scrobbling to teal.fm is off.').waitFor();
	}
	assert.equal(await toggle.isChecked(), false);
	await section.getByText('Written to', { exact: true }).waitFor();

	// On: the test accounts never granted teal.fm's scopes, so plyr says so.
	await toggle.click();
	await page.getByRole('status').getByText('Scrobbling to teal.fm is on.').waitFor();
	assert.equal(await toggle.isChecked(), true);
	await section.getByText('plyr needs your permission to scrobble.').waitFor();
	const grant = section.getByRole('button', { name: 'Grant permission' });
	await grant.waitFor();
	const { preferences } = await rpc(page, 'plyr.identity.v1.IdentityService/GetPreferences', {});
	assert.equal(preferences.enableTealScrobbling, true, 'the preference is saved');
	assert.equal(preferences.tealNeedsReauth, true, 'the preferences say the permission is missing');
	const before = await rpc(page, 'plyr.sharing.v1.SharingService/GetScrobbleStatus', {});
	assert.equal(before.enabled, true);
	assert.equal(before.needsPermission, true, 'GetScrobbleStatus says the permission is missing');
	await axe(page, 'settings asking for the teal.fm permission');
	await sectionShots(page, section, 'settings-scrobbling');
	// Elsewhere, the page-load notice says the same and offers the same.
	await page.goto(`${env.url}/`);
	const notice = page.getByRole('status').filter({ hasText: 'Scrobbling to teal.fm needs your permission' });
	await notice.getByRole('button', { name: 'Grant permission' }).or(notice.getByRole('link', { name: 'Grant permission' })).first().waitFor();

	// Grant it on the PDS: back on the settings, nothing is missing any more.
	await page.goto(`${env.url}/settings`);
	await grant.click();
	await authorizeOnPDS(page, bo);
	await page.waitForURL((u) => u.pathname === '/settings');
	await toggle.waitFor();
	assert.equal(await toggle.isChecked(), true);
	await until(async () => !(await rpc(page, 'plyr.sharing.v1.SharingService/GetScrobbleStatus', {})).needsPermission, 'the grant includes teal.fm');
	const status = await rpc(page, 'plyr.sharing.v1.SharingService/GetScrobbleStatus', {});
	assert.ok(status.collection, 'a collection to write to');
	await section.getByText(status.collection, { exact: true }).waitFor();
	assert.equal(await section.getByText('plyr needs your permission to scrobble.').count(), 0);
	await axe(page, 'settings with scrobbling on');

	assertNoProblems(problems, 'scrobbling settings');
	await context.close();
});

test('a share link tells its creator who came and who listened', async () => {
	// ada publishes and copies a share link from the track page.
	const artist = await openWithClipboard();
	await signIn(artist.page, ada);
	shared = await publish(artist.page, title);
	const page = artist.page;
	await page.goto(`${env.url}/track/${shared.id}`);
	await page.getByRole('heading', { name: title, level: 1 }).waitFor();
	const share = page.getByRole('button', { name: 'Share', exact: true });
	await share.click();
	const menu = page.getByRole('dialog', { name: `Share ${title}` });
	await menu.getByRole('button', { name: 'Copy link', exact: true }).waitFor();
	// Nothing plays: no link at the current time.
	assert.equal(await menu.getByRole('button', { name: /^Copy link at current time/ }).count(), 0);
	await axe(page, 'track with the share menu');
	const link = await copied(page, () => menu.getByRole('button', { name: 'Copy link', exact: true }).click());
	await page.getByRole('status').getByText('Link copied.').first().waitFor();
	const u = new URL(link);
	assert.equal(u.origin + u.pathname, `${env.url}/track/${shared.id}`, 'the link is the track page');
	const code = u.searchParams.get('ref');
	assert.match(code ?? '', /^[A-Za-z0-9_-]{8}$/, 'the link carries an 8-character code');
	// Each copy is a new link.
	await share.click();
	const again = await copied(page, () => menu.getByRole('button', { name: 'Copy link', exact: true }).click());
	assert.notEqual(new URL(again).searchParams.get('ref'), code, 'a second copy is a new link');

	// A visitor on a phone opens it and listens; bo opens it and listens; ada opens her own
	// link and listens (never counted). One after the other: three players at once on a
	// loaded two-core machine missed their ten seconds now and then.
	const anon = await openWithClipboard(phone);
	const listener = await openWithClipboard();
	await signIn(listener.page, bo);
	const opened = async (p) => {
		await visit(p, link);
		return listen(p);
	};
	const anonPlay = await opened(anon.page);
	const boPlay = await opened(listener.page);
	const ownPlay = await opened(page);
	assert.deepEqual(anonPlay, { ref: code, counted: true }, 'the visitor’s play counts, with the code');
	assert.deepEqual(boPlay, { ref: code, counted: true }, 'bo’s play counts, with the code');
	assert.equal(ownPlay.ref, code, 'ada’s play reports the code too (plyr ignores it)');

	// On the phone, Share is a sheet of large targets, and someone not signed in copies the
	// plain track link.
	await anon.page.getByRole('button', { name: 'Share', exact: true }).click();
	const sheet = anon.page.getByRole('dialog', { name: `Share ${title}` });
	const copyLink = sheet.getByRole('button', { name: 'Copy link', exact: true });
	await copyLink.waitFor();
	for (const b of await sheet.getByRole('button').all()) assert.ok((await b.boundingBox()).height >= 44, 'sheet targets are 44 px');
	await anon.page.waitForTimeout(300); // the sheet's slide
	await anon.page.screenshot({ path: path.join(env.artifacts, 'share-sheet-phone.png') });
	await axe(anon.page, 'share sheet on a phone');
	const plain = await copied(anon.page, () => copyLink.click());
	assert.equal(plain, `${env.url}/track/${shared.id}`, 'a visitor copies the plain track link');
	// A code that does not exist is answered like one that does (it tells nothing).
	assert.deepEqual(await rpc(anon.page, 'plyr.sharing.v1.SharingService/RecordShareVisit', { trackId: shared.id, code: 'zzzzzzzz' }), {});
	assertNoProblems(anon.problems, 'anonymous listener');
	await anon.context.close();

	// bo opens the link again, twice, and plays it again: nothing more counts.
	for (let i = 0; i < 2; i++) await visit(listener.page, link);
	const replay = await listen(listener.page, { fromStart: true });
	assert.deepEqual(replay, { ref: code, counted: false }, 'a replay within the counting window counts nothing more');
	assertNoProblems(listener.problems, 'bo');
	await listener.context.close();

	// The server: bo once as a visitor and once as a listener; the visitor's visit and play
	// apart; ada nowhere.
	let mine;
	await until(async () => {
		const { links = [] } = await rpc(page, 'plyr.sharing.v1.SharingService/ListMyShareLinks', { pageSize: 100 });
		mine = links.find((l) => l.code === code);
		return mine && Number(mine.listenerCount ?? 0) === 1 && Number(mine.anonymousPlays ?? 0) === 1;
	}, 'ListMyShareLinks has the visits and plays');
	assert.equal(mine.url, link);
	assert.equal(mine.trackId, shared.id);
	assert.equal(mine.trackTitle, title);
	assert.equal(Number(mine.visitorCount), 1, 'one visitor');
	assert.deepEqual(
		mine.visitors.map((p) => [p.did, Number(p.count)]),
		[[bo.did, 1]],
		'bo visited once (repeat visits within half an hour are ignored)'
	);
	assert.equal(Number(mine.listenerCount), 1, 'one listener');
	assert.deepEqual(
		mine.listeners.map((p) => [p.did, Number(p.count)]),
		[[bo.did, 1]],
		'bo’s play counted once'
	);
	assert.equal(Number(mine.anonymousVisits ?? 0), 1, 'one visit by someone not signed in');
	assert.equal(Number(mine.anonymousPlays ?? 0), 1, 'one play by someone not signed in');
	const other = await rpc(page, 'plyr.sharing.v1.SharingService/ListMyShareLinks', { pageSize: 100 });
	assert.ok(!other.links?.some((l) => l.code === new URL(again).searchParams.get('ref')), 'a link nobody opened is not listed');

	// The portal says the same.
	await page.goto(`${env.url}/portal`);
	const card = page.getByRole('listitem', { name: `Share link to ${title}` });
	await card.waitFor();
	const text = await card.innerText();
	for (const words of ['1 visitor', '1 listener', '+ 1 visit by someone not signed in', '+ 1 play by someone not signed in']) {
		assert.ok(text.includes(words), `the card says “${words}”: ${text}`);
	}
	await card.getByRole('list', { name: 'Visitors' }).locator(`li[title="@${bo.handle}: 1 visit"]`).waitFor();
	await card.getByRole('list', { name: 'Listeners' }).locator(`li[title="@${bo.handle}: 1 play"]`).waitFor();
	await card.getByRole('button', { name: /^Details\s+of the link to/ }).click();
	assert.equal(await card.getByLabel('Link', { exact: true }).inputValue(), link);
	const details = await card.innerText();
	assert.match(details, new RegExp(`@${bo.handle.replace(/\./g, '\\.')}\\s+1 visit`));
	assert.match(details, new RegExp(`@${bo.handle.replace(/\./g, '\\.')}\\s+1 play`));
	const copiedAgain = await copied(page, () => card.getByRole('button', { name: /^Copy\s+the link to/ }).click());
	assert.equal(copiedAgain, link, 'the portal copies the link');
	await axe(page, 'portal share links');
	await sectionShots(page, page.locator('#share-links'), 'portal-share-links');
	await screenshots(page, 'portal-with-share-links');

	assertNoProblems(artist.problems, 'ada');
	await artist.context.close();
});

test('links at a moment: the current time, and a comment’s', async () => {
	assert.ok(shared, 'the track of the test before');
	const { page, problems, context } = await openWithClipboard();
	await signIn(page, ada);
	await page.goto(`${env.url}/track/${shared.id}`);
	await page.getByRole('heading', { name: title, level: 1 }).waitFor();

	// Play to about 6 s and pause; the link at the current time says t=6 (whole seconds).
	await page.getByRole('main').getByRole('button', { name: 'Play', exact: true }).click();
	await page.waitForFunction(() => (document.querySelector('audio')?.currentTime ?? 0) >= 6, null, { timeout: 15_000 });
	await page.evaluate(() => document.querySelector('audio').pause());
	const at = Math.floor(await audioTime(page));
	await page.getByRole('button', { name: 'Share', exact: true }).click();
	const menu = page.getByRole('dialog', { name: `Share ${title}` });
	const atLink = await copied(page, () => menu.getByRole('button', { name: /^Copy link at current time/ }).click());
	const u = new URL(atLink);
	assert.equal(u.pathname, `/track/${shared.id}`);
	assert.equal(u.searchParams.get('t'), String(at), 'the link is at the current whole second');
	assert.match(u.searchParams.get('ref') ?? '', /^[A-Za-z0-9_-]{8}$/, 'signed in, it is a share link');

	// Opened in a new page, it plays from there.
	const other = await context.newPage();
	await other.goto(atLink);
	await other.waitForFunction((t) => {
		const a = document.querySelector('audio');
		return !!a && a.currentTime >= t && a.currentTime < t + 4;
	}, at, { timeout: 15_000 });
	await other.close();

	// A comment at that moment; its Share copies the track's link at its moment.
	await page.bringToFront();
	await page.goto(`${env.url}/track/${shared.id}?t=${at}`);
	await page.waitForFunction((t) => (document.querySelector('audio')?.currentTime ?? 0) >= t, at, { timeout: 15_000 });
	await page.evaluate(() => document.querySelector('audio').pause());
	const words = `Right here ${stamp}`;
	await page.getByLabel(/^Comment at \d+:\d\d$/).fill(words);
	await page.getByRole('button', { name: 'Post comment' }).click();
	await page.getByRole('main').getByText(words, { exact: true }).waitFor();
	const { comments = [] } = await rpc(page, 'plyr.catalog.v1.CommentService/ListComments', { trackId: shared.id });
	const comment = comments.find((c) => c.text === words);
	assert.ok(comment, 'the comment is on the server');
	const second = Math.floor(Number(comment.timestampMs) / 1000);
	const m = `${Math.floor(second / 60)}:${String(second % 60).padStart(2, '0')}`;
	const item = page.locator(`#comment-${comment.id}`);
	const commentLink = await copied(page, () => item.getByRole('button', { name: `Share a link to ${m}` }).click());
	assert.equal(commentLink, `${env.url}/track/${shared.id}?t=${second}`, 'the comment’s link is the track at its moment');
	await page.getByRole('status').getByText('Link copied.').first().waitFor();
	await axe(page, 'track with a comment to share');

	assertNoProblems(problems, 'links at a moment');
	await context.close();
});

test('the shared play is bo’s last scrobble', async () => {
	assert.ok(shared, 'the track of the test before');
	const { page, problems, context } = await open(browser);
	await signIn(page, bo);
	await page.goto(`${env.url}/settings`);
	const section = page.locator('section', { has: page.getByRole('heading', { name: 'Scrobble to teal.fm' }) });
	let status;
	await until(
		async () => {
			status = await rpc(page, 'plyr.sharing.v1.SharingService/GetScrobbleStatus', {});
			return status.last?.trackId === shared.id && status.last.state !== 'SCROBBLE_STATE_PENDING';
		},
		'the play of the shared track is scrobbled',
		30_000
	);
	assert.equal(status.last.state, 'SCROBBLE_STATE_WRITTEN', `the scrobble is written (${status.last.failure ?? ''})`);
	await page.reload();
	await section.getByRole('link', { name: title }).waitFor();
	await section.getByText('Written', { exact: true }).waitFor();
	await sectionShots(page, section, 'settings-scrobbling-written');
	// Off again, as the accounts were.
	await section.getByRole('switch', { name: 'Scrobble my plays to teal.fm' }).click();
	await page.getByRole('status').getByText('Scrobbling to teal.fm is off.').waitFor();
	assertNoProblems(problems, 'scrobble status');
	await context.close();
});
