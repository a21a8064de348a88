// audioSource, losslessName and fitPeaks (src/lib/audio.ts): which file the player asks
// for, the lossless badge's word, and the waveform's bars. Node 20 cannot strip
// TypeScript, so the module is transpiled with the project's own TypeScript first.
// Needs no plyr: `node --test tests/audio.test.mjs`.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import ts from 'typescript';

const source = readFileSync(new URL('../src/lib/audio.ts', import.meta.url), 'utf8');
const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
const { audioSource, audioUrl, losslessName, fitPeaks } = await import(`data:text/javascript;base64,${Buffer.from(js).toString('base64')}`);

const flac = { fileId: 'orig-1', fileType: 'flac', contentType: 'audio/flac' };
const alac = { fileId: 'orig-2', fileType: 'm4a', contentType: 'audio/mp4; codecs="alac"' };
const says = (verdicts) => (type) => verdicts[type] ?? '';

test('audioSource plays the original where the browser can', () => {
	assert.equal(audioSource({ fileId: 'mp3-1', original: flac }, says({ 'audio/flac': 'probably' })), '/audio/orig-1');
	assert.equal(audioSource({ fileId: 'mp3-1', original: flac }, says({ 'audio/flac': 'maybe' })), '/audio/orig-1');
	assert.equal(audioSource({ fileId: 'mp3-2', original: alac }, says({ 'audio/mp4; codecs="alac"': 'probably' })), '/audio/orig-2');
});

test('audioSource plays the MP3 otherwise', () => {
	assert.equal(audioSource({ fileId: 'mp3-1', original: flac }, says({})), '/audio/mp3-1');
	assert.equal(audioSource({ fileId: 'mp3-2', original: alac }, says({ 'audio/mp4': 'maybe' })), '/audio/mp3-2');
	assert.equal(audioSource({ fileId: 'mp3-3' }, () => 'probably'), '/audio/mp3-3');
	assert.equal(audioSource({ fileId: 'mp3-4', original: undefined }, () => 'probably'), '/audio/mp3-4');
	assert.equal(audioSource({ fileId: 'mp3-5', original: { fileId: '', contentType: 'audio/flac' } }, () => 'probably'), '/audio/mp3-5');
	assert.equal(
		audioSource({ fileId: 'mp3-6', original: flac }, () => {
			throw new Error('no');
		}),
		'/audio/mp3-6'
	);
	assert.equal(audioUrl('a b/c'), '/audio/a%20b%2Fc');
});

test('losslessName names the original', () => {
	assert.equal(losslessName(flac), 'FLAC');
	assert.equal(losslessName(alac), 'ALAC');
	assert.equal(losslessName({ fileType: 'wav', contentType: 'audio/wav' }), 'WAV');
	assert.equal(losslessName({ fileType: 'aif', contentType: 'audio/aiff' }), 'AIFF');
	assert.equal(losslessName({ fileType: 'aiff', contentType: '' }), 'AIFF');
	assert.equal(losslessName({ fileType: '', contentType: 'audio/x-wav' }), 'WAV');
});

test('fitPeaks keeps the loudest peak of each stretch', () => {
	assert.deepEqual([...fitPeaks([1, 9, 3, 4, 8, 2], 3)], [9, 4, 8]);
	assert.deepEqual([...fitPeaks([1, 9, 3, 4, 8, 2], 2)], [9, 8]);
	assert.deepEqual([...fitPeaks([1, 9, 3, 4, 8, 2], 1)], [9]);
	assert.deepEqual([...fitPeaks(Uint8Array.from([5, 200, 7]), 3)], [5, 200, 7]);
	// More bars than peaks: each bar shows the peak under it.
	assert.deepEqual([...fitPeaks([10, 20], 4)], [10, 10, 20, 20]);
	assert.equal(fitPeaks([], 10).length, 0);
	assert.equal(fitPeaks([1, 2, 3], 0).length, 0);
	assert.equal(fitPeaks([1, 2, 3], Number.NaN).length, 0);
	const many = Uint8Array.from({ length: 1000 }, (_, i) => (i === 777 ? 255 : i % 100));
	const bars = fitPeaks(many, 133);
	assert.equal(bars.length, 133);
	assert.equal(Math.max(...bars), 255, 'a lone loud peak survives');
});
