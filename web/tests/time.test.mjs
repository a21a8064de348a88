// parseTime and formatTimeParam (src/lib/time.ts), the ?t= of a track link. Node 20 cannot
// strip TypeScript, so the module is transpiled with the project's own TypeScript first.
// Needs no plyr: `node --test tests/time.test.mjs`.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import ts from 'typescript';

const source = readFileSync(new URL('../src/lib/time.ts', import.meta.url), 'utf8');
const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
const { parseTime, formatTimeParam } = await import(`data:text/javascript;base64,${Buffer.from(js).toString('base64')}`);

test('parseTime reads the forms links use', () => {
	const cases = [
		['90', 90],
		['0', 0],
		['12.5', 12.5],
		['90s', 90],
		['1m30s', 90],
		['1m', 60],
		['2h', 7200],
		['1h2m3s', 3723],
		['1h3s', 3603],
		['1M30S', 90],
		[' 45s ', 45],
		['1:30', 90],
		['0:05', 5],
		['90:00', 5400],
		['1:02:03', 3723]
	];
	for (const [raw, want] of cases) assert.equal(parseTime(raw), want, raw);
});

test('parseTime refuses what is not a moment', () => {
	for (const raw of ['', '   ', null, undefined, '-5', 'abc', 's', 'm', '1x', '1m30', '30s1m', '1:60', '1:60:00', '1::2', ':30', '1:2:3:4', 'Infinity', 'NaN', '1e3'])
		assert.equal(parseTime(raw), null, String(raw));
});

test('formatTimeParam writes what parseTime reads', () => {
	assert.equal(formatTimeParam(0), '0s');
	assert.equal(formatTimeParam(45.9), '45s');
	assert.equal(formatTimeParam(90), '1m30s');
	assert.equal(formatTimeParam(3600), '1h0m0s');
	assert.equal(formatTimeParam(3723), '1h2m3s');
	assert.equal(formatTimeParam(-3), '0s');
	for (const s of [0, 7, 59, 60, 61, 3599, 3600, 7322]) assert.equal(parseTime(formatTimeParam(s)), s);
});
