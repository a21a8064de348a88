// Sign in through the PDS's own pages, accept the terms, see the feed; add a second
// account, switch, log out of one, log out of all.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { accountButton, assertNoProblems, authorizeOnPDS, axe, env, launch, open, reloading, rpc, screenshots, signIn } from './lib.mjs';

const [ada, bo] = env.accounts;
let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

test('the landing page and sign-in screen', async () => {
	const { page, problems, context } = await open(browser);
	await page.goto(env.url);
	await page.getByRole('heading', { name: 'Latest tracks' }).waitFor();
	await axe(page, 'feed (signed out)');
	await screenshots(page, 'feed-signed-out');
	await page.getByRole('banner').getByRole('link', { name: 'Sign in' }).click();
	await page.getByLabel('Your handle').waitFor();
	await axe(page, 'sign-in');
	await screenshots(page, 'sign-in');
	await page.getByRole('tab', { name: 'Create account' }).click();
	await page.getByText('Where your account will live').or(page.getByText('Creating an account from plyr is turned off')).waitFor();
	assertNoProblems(problems, 'sign-in');
	await context.close();
});

test('an unknown handle says so on the sign-in page', async () => {
	const { page, context } = await open(browser);
	await page.goto(`${env.url}/login`);
	await page.getByLabel('Your handle').fill('nobody-here.test');
	await page.getByRole('button', { name: 'Sign in', exact: true }).click();
	await page.getByRole('status').getByText(/No account has that handle|could not be reached|did not complete/).waitFor();
	assert.ok(!page.url().includes('auth_error'), 'the error is dropped from the address bar once shown');
	await context.close();
});

test('sign in, terms, two accounts, switch, log out of one and of all', async () => {
	const { page, problems, context } = await open(browser);
	await page.goto(`${env.url}/login`);
	await page.getByLabel('Your handle').fill(ada.handle);
	await page.getByRole('button', { name: 'Sign in', exact: true }).click();
	await authorizeOnPDS(page, ada);
	await page.getByRole('status').getByText('Signed in.').waitFor();

	// First sign-in: the terms come first.
	const terms = page.getByRole('dialog', { name: 'Welcome to plyr' });
	await terms.waitFor();
	await axe(page, 'terms overlay');
	await page.getByRole('button', { name: 'I accept' }).click();
	await terms.waitFor({ state: 'detached' });
	await page.getByRole('heading', { name: 'Latest tracks' }).waitFor();
	const menu = accountButton(page, ada);
	await menu.waitFor();
	await screenshots(page, 'feed');

	// Add a second account from the menu.
	await menu.click();
	await page.getByRole('button', { name: 'Add account' }).click();
	await page.getByLabel('Handle of the account to add').fill(bo.handle);
	await page.getByRole('button', { name: 'Continue' }).click();
	await authorizeOnPDS(page, bo);
	await page.getByRole('status').getByText('Account added').waitFor();
	await accountButton(page, bo).waitFor();
	const boTerms = page.getByRole('dialog', { name: 'Welcome to plyr' });
	if (await boTerms.isVisible()) {
		await page.getByRole('button', { name: 'I accept' }).click();
		await boTerms.waitFor({ state: 'detached' });
	}

	// Switch back to the first.
	await accountButton(page, bo).click();
	await reloading(page, () => page.locator('#account-menu').getByRole('button', { name: `@${ada.handle}` }).click());
	await accountButton(page, ada).waitFor();

	// Log out of one: the modal offers to go on as the other.
	await accountButton(page, ada).click();
	await page.getByRole('button', { name: 'Log out' }).click();
	const modal = page.getByRole('dialog', { name: 'Switch accounts?' });
	await modal.waitFor();
	await axe(page, 'log-out modal');
	await reloading(page, () => modal.getByRole('button', { name: `@${bo.handle}` }).click());
	await accountButton(page, bo).waitFor();
	const me = await page.evaluate(async () => (await fetch('/plyr.identity.v1.IdentityService/GetMe', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })).json());
	assert.equal(me.linkedAccounts.length, 1, 'one account left on this browser');

	// Sign the first in again, then log out of all.
	await accountButton(page, bo).click();
	await page.getByRole('button', { name: 'Add account' }).click();
	await page.getByLabel('Handle of the account to add').fill(ada.handle);
	await page.getByRole('button', { name: 'Continue' }).click();
	await authorizeOnPDS(page, ada);
	await accountButton(page, ada).click();
	await page.getByRole('button', { name: 'Log out' }).click();
	await reloading(page, () => page.getByRole('button', { name: 'Log out of all accounts' }).click());
	await page.getByRole('banner').getByRole('link', { name: 'Sign in' }).waitFor();
	const after = await page.evaluate(async () => (await fetch('/plyr.identity.v1.IdentityService/GetMe', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })).status);
	assert.equal(after, 401, 'signed out of everything');
	assertNoProblems(problems, 'accounts');
	await context.close();
});

test('a sign-in that ends while the page is open says so, with the way back', async () => {
	const { page, context } = await open(browser);
	await signIn(page, bo);
	// Another tab logs everyone out.
	const other = await context.newPage();
	await other.goto(env.url);
	await rpc(other, 'plyr.identity.v1.IdentityService/LogoutAll', {});
	await other.close();
	// The first tab still shows bo; the next request it makes learns otherwise.
	await page.getByRole('link', { name: 'Portal', exact: true }).click();
	await page.getByRole('status').getByText('Your sign-in has expired').waitFor();
	await page.getByRole('banner').getByRole('link', { name: 'Sign in' }).waitFor();
	await context.close();
});

test('a sign-in cancelled on the PDS comes back to plyr saying so', async () => {
	const { page, context } = await open(browser);
	await page.goto(`${env.url}/login`);
	await page.getByLabel('Your handle').fill(ada.handle);
	await page.getByRole('button', { name: 'Sign in', exact: true }).click();
	await page.waitForURL((u) => u.href.startsWith(env.pds));
	await page.locator('input[name=password]').fill(ada.password);
	await page.getByRole('button', { name: 'Sign in', exact: true }).click();
	await page.getByRole('button', { name: 'Deny access' }).click();
	await page.waitForURL((u) => u.href.startsWith(env.url));
	await page.getByRole('status').getByText('Sign-in was cancelled.').waitFor();
	await page.getByRole('banner').getByRole('link', { name: 'Sign in' }).waitFor();
	await context.close();
});
