// parseMarkdown (src/lib/markdown.ts), the reader of the terms and the privacy policy, and
// the moderation screens' helpers (src/lib/legal.ts). Node 20 cannot strip TypeScript, so
// the modules are transpiled with the project's own TypeScript first. Needs no plyr:
// `node --test tests/markdown.test.mjs`.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import ts from 'typescript';

async function load(file) {
	const source = readFileSync(new URL(`../src/lib/${file}`, import.meta.url), 'utf8');
	const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
	return import(`data:text/javascript;base64,${Buffer.from(js).toString('base64')}`);
}

const { parseMarkdown, parseInline, safeHref } = await load('markdown.ts');
const { trackIdFrom, imageIdOf, imageIdFrom, lines, offset, relative } = await load('legal.ts');

const text = (t) => ({ kind: 'text', text: t });

test('headings, paragraphs and lists', () => {
	const doc = parseMarkdown('# Terms\n\nFirst line\nwraps on.\n\n## Part\n\n- one\n  goes on\n- two\n\n1. first\n2. second\nAfter.');
	assert.deepEqual(doc, [
		{ kind: 'heading', level: 1, children: [text('Terms')] },
		{ kind: 'paragraph', children: [text('First line wraps on.')] },
		{ kind: 'heading', level: 2, children: [text('Part')] },
		{ kind: 'list', ordered: false, items: [[text('one goes on')], [text('two')]] },
		{ kind: 'list', ordered: true, items: [[text('first')], [text('second')]] },
		{ kind: 'paragraph', children: [text('After.')] }
	]);
});

test('emphasis, code and links', () => {
	assert.deepEqual(parseInline('a **b** and *c* or _d_ `e`'), [
		text('a '),
		{ kind: 'strong', children: [text('b')] },
		text(' and '),
		{ kind: 'em', children: [text('c')] },
		text(' or '),
		{ kind: 'em', children: [text('d')] },
		text(' '),
		{ kind: 'code', text: 'e' }
	]);
	assert.deepEqual(parseInline('snake_case_word'), [text('snake_case_word')]);
	assert.deepEqual(parseInline('see [the policy](/privacy).'), [
		text('see '),
		{ kind: 'link', href: '/privacy', children: [text('the policy')] },
		text('.')
	]);
	assert.deepEqual(parseInline('2 * 3 * 4'), [text('2 * 3 * 4')]);
});

test('HTML stays text, and unsafe links are not links', () => {
	assert.deepEqual(parseMarkdown('<script>alert(1)</script>'), [{ kind: 'paragraph', children: [text('<script>alert(1)</script>')] }]);
	assert.deepEqual(parseInline('[x](javascript:alert(1))'), [text('x'), text(')')]);
	assert.equal(safeHref('//evil.example'), '');
	assert.equal(safeHref('mailto:a@b.c'), 'mailto:a@b.c');
	assert.equal(safeHref(' https://plyr.example/x '), 'https://plyr.example/x');
});

test('the track a pasted link names', () => {
	const id = '0b8f6a1e-3c2d-4e5f-8a9b-0c1d2e3f4a5b';
	assert.equal(trackIdFrom(id), id);
	assert.equal(trackIdFrom(id.toUpperCase()), id);
	assert.equal(trackIdFrom(`https://plyr.example/track/${id}`), id);
	assert.equal(trackIdFrom(`https://plyr.example/track/${id}/?ref=abc#c`), id);
	assert.equal(trackIdFrom(`/track/${id}`), id);
	assert.equal(trackIdFrom('https://plyr.example/u/someone'), '');
	assert.equal(trackIdFrom('not an id'), '');
	assert.equal(trackIdFrom(''), '');
});

test('the image an artwork URL shows', () => {
	const id = '11111111-2222-4333-8444-555555555555';
	assert.equal(imageIdOf(`https://plyr.example/images/${id}/512.webp`), id);
	assert.equal(imageIdOf(`/images/${id}/96.webp`), id);
	assert.equal(imageIdOf(`https://cdn.example/images/${id}`), id);
	assert.equal(imageIdOf('https://cdn.bsky.app/img/avatar/plain/did:plc:x/abc@jpeg'), '');
	assert.equal(imageIdOf(''), '');
	assert.equal(imageIdFrom(id), id);
	assert.equal(imageIdFrom(`https://plyr.example/images/${id}/original`), id);
});

test('lines, offsets and relative times', () => {
	assert.deepEqual(lines(' https://a.example \n\n https://b.example\r\n'), ['https://a.example', 'https://b.example']);
	assert.equal(offset(0), '00:00');
	assert.equal(offset(83_500), '01:23');
	assert.equal(offset(3_723_000n), '1:02:03');
	const now = new Date('2026-12-01T12:00:00Z');
	assert.equal(relative(new Date('2026-12-04T12:00:00Z'), now, 'en'), 'in 3 days');
	assert.equal(relative(new Date('2026-12-01T10:00:00Z'), now, 'en'), '2 hours ago');
	assert.equal(relative(now, now, 'en'), 'this minute');
});
