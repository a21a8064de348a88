// Shared pieces of the browser tests. The Go test TestBrowser (cmd/plyr/internal/app)
// starts plyr and the reference PDS and runs these files with node --test, passing:
//   PLYR_URL             plyr's address
//   PLYR_PDS_URL         the PDS (its sign-in pages, and its XRPC to read records back)
//   PLYR_ACCOUNTS        JSON [{handle, did, password}, …] made on the PDS
//   PLYR_TEST_MP3        an MP3 made by ffmpeg
//   PLYR_TEST_FLAC       a FLAC made by ffmpeg (both accounts may upload lossless files)
//   PLYR_TEST_IMAGE      a PNG made by ffmpeg (artwork)
//   PLYR_TEST_ARTIFACTS  where screenshots go
//   PLYR_CHROMIUM        Debian's chromium
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const env = {
	url: must('PLYR_URL'),
	pds: must('PLYR_PDS_URL'),
	accounts: JSON.parse(must('PLYR_ACCOUNTS')),
	mp3: process.env.PLYR_TEST_MP3 ?? '',
	flac: process.env.PLYR_TEST_FLAC ?? '',
	image: process.env.PLYR_TEST_IMAGE ?? '',
	artifacts: must('PLYR_TEST_ARTIFACTS'),
	chromium: process.env.PLYR_CHROMIUM || '/usr/bin/chromium'
};

// freshMp3 is the test MP3 made unique: plyr gives the same bytes uploaded twice by one
// artist back as the track they already are, so each upload that means a new track sends
// the MP3 with an ID3v1 tag (128 bytes at the end, ignored by decoders) of its own.
export function freshMp3() {
	const tag = Buffer.alloc(128);
	tag.write('TAG', 0, 'latin1');
	tag.write(`take ${Date.now()} ${Math.random().toString(36).slice(2)}`.slice(0, 30), 3, 'latin1');
	return { name: path.basename(env.mp3), mimeType: 'audio/mpeg', buffer: Buffer.concat([readFileSync(env.mp3), tag]) };
}

function must(name) {
	const v = process.env[name];
	if (!v) throw new Error(`${name} is not set: run these tests through TestBrowser (make test)`);
	return v;
}

export const desktop = { width: 1280, height: 800 };
export const phone = { width: 390, height: 844 };

export function launch() {
	return chromium.launch({
		executablePath: env.chromium,
		args: ['--autoplay-policy=no-user-gesture-required', '--mute-audio']
	});
}

/** A fresh browser context and page, recording what went wrong on it: page errors,
 * console errors (Content-Security-Policy violations among them) and plyr's answers of 400
 * and more, but for the expected ones: the 401 of an anonymous GetMe, and the upload
 * form's UpdateTrack retried on 404 while the upload's workflow creates the track. */
export async function open(browser, viewport = desktop) {
	const context = await browser.newContext({ viewport, ...(viewport === phone ? { isMobile: true, hasTouch: true } : {}) });
	const page = await context.newPage();
	const problems = [];
	page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
	page.on('console', (m) => {
		if (m.type() !== 'error') return;
		const text = m.text();
		if (/^Failed to load resource/.test(text)) return; // judged from the response below
		if (!page.url().startsWith(env.url)) return; // the PDS's own pages
		problems.push(`console: ${text}`);
	});
	page.on('response', (res) => {
		const url = res.url();
		if (!url.startsWith(env.url) || res.status() < 400) return;
		if (res.status() === 401 && url.endsWith('.IdentityService/GetMe')) return;
		if (res.status() === 404 && url.endsWith('.CatalogService/UpdateTrack')) return;
		problems.push(`${res.status()} from ${url.slice(env.url.length)}`);
	});
	return { context, page, problems };
}

/** Signs account in from plyr's sign-in page through the PDS's own pages. */
export async function signIn(page, account, { acceptTerms = true } = {}) {
	await page.goto(`${env.url}/login`);
	await page.getByLabel('Your handle').fill(account.handle);
	await page.getByRole('button', { name: 'Sign in', exact: true }).click();
	await authorizeOnPDS(page, account);
	await accountButton(page, account).waitFor();
	if (acceptTerms && (await page.getByRole('dialog', { name: 'Welcome to plyr' }).isVisible())) {
		await page.getByRole('button', { name: 'I accept' }).click();
		await page.getByRole('dialog').waitFor({ state: 'detached' });
	}
}

/** The header's account menu button of whoever is signed in as account. */
export function accountButton(page, account) {
	return page.locator(`header button[aria-controls="account-menu"][aria-label="@${account.handle}"]`);
}

/** Runs action, which reloads the page or navigates away, and waits for the new page. */
export async function reloading(page, action) {
	const loaded = page.waitForEvent('load');
	await action();
	await loaded;
}

/** Completes a sign-in on the PDS's authorization pages and waits to be back on plyr. */
export async function authorizeOnPDS(page, account) {
	await page.waitForURL((u) => u.href.startsWith(env.pds));
	// The PDS asks for the password, unless this browser is still signed in there.
	const password = page.locator('input[name=password]');
	const authorize = page.getByRole('button', { name: 'Authorize' });
	await password.or(authorize).first().waitFor();
	if (await password.isVisible()) {
		const username = page.locator('input[name=username]');
		if ((await username.count()) && !(await username.inputValue())) await username.fill(account.handle);
		await password.fill(account.password);
		await page.getByRole('button', { name: 'Sign in', exact: true }).click();
	}
	await authorize.click();
	await page.waitForURL((u) => u.href.startsWith(env.url));
}

/** Scans the page with axe-core and fails on serious or critical violations. */
export async function axe(page, label) {
	// Evaluated through the DevTools protocol: a <script> tag would be (rightly) refused by
	// the page's Content-Security-Policy.
	await page.evaluate(axeSource);
	const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
	const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
	assert.deepEqual(
		bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`),
		[],
		`axe on ${label}`
	);
}

/** Screenshots the page at the desktop and phone sizes into the artifacts, checking that
 * the app's styles applied and that nothing overflows sideways. */
export async function screenshots(page, name) {
	for (const [size, viewport] of [['desktop', desktop], ['phone', phone]]) {
		await page.setViewportSize(viewport);
		await page.waitForTimeout(150);
		const layout = await page.evaluate(() => {
			const doc = document.documentElement;
			const wide = [...document.querySelectorAll('body *')]
				.filter((el) => {
					const r = el.getBoundingClientRect();
					return r.width > 0 && r.right > doc.clientWidth + 1 && getComputedStyle(el).position !== 'fixed' && !el.closest('dialog:not([open])');
				})
				.slice(0, 5)
				.map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`);
			return {
				overflow: doc.scrollWidth - doc.clientWidth,
				wide,
				styled: getComputedStyle(doc).getPropertyValue('--accent').trim() !== '',
				bodyFont: getComputedStyle(document.body).fontFamily
			};
		});
		assert.ok(layout.styled, `${name} (${size}) is unstyled`);
		assert.ok(layout.overflow <= 0, `${name} (${size}) overflows sideways by ${layout.overflow}px: ${layout.wide.join(', ')}`);
		await page.screenshot({ path: path.join(env.artifacts, `${name}-${size}.png`) });
	}
	await page.setViewportSize(desktop);
}

/** Reads a record back from the PDS. */
export async function pdsRecord(uri) {
	const [, , repo, collection, rkey] = uri.split('/');
	const q = new URLSearchParams({ repo, collection, rkey });
	const res = await fetch(`${env.pds}/xrpc/com.atproto.repo.getRecord?${q}`);
	assert.equal(res.status, 200, `getRecord ${uri}`);
	return (await res.json()).value;
}

/** Calls a plyr procedure from the page (with its session), for what the screen does not show. */
export function rpc(page, procedure, body) {
	return page.evaluate(
		async ([procedure, body]) => {
			const res = await fetch(`/${procedure}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
			if (!res.ok) throw new Error(`${procedure}: ${res.status} ${await res.text()}`);
			return res.json();
		},
		[procedure, body]
	);
}

export function assertNoProblems(problems, label) {
	assert.deepEqual(problems, [], `${label}: errors in the page`);
}
