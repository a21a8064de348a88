// Which of a track's audio files the player asks for, the name of a lossless original, and
// a waveform's peaks fitted to a number of bars. Plain TypeScript without imports, so that
// tests/audio.test.mjs can run it under node --test.

/** The little of a track's AudioFile these functions read. */
export interface AudioFileLike {
	fileId: string;
	fileType: string;
	contentType: string;
}

/** GET /audio/<fileId>. */
export function audioUrl(fileId: string): string {
	return `/audio/${encodeURIComponent(fileId)}`;
}

/** The URL to play a track from: its lossless original when the browser says it can play
 * that ("probably" or "maybe", from HTMLMediaElement.canPlayType), else its MP3. */
export function audioSource(
	track: { fileId: string; original?: Pick<AudioFileLike, 'fileId' | 'contentType'> | undefined },
	canPlayType: (type: string) => string
): string {
	const o = track.original;
	if (o?.fileId && o.contentType) {
		let verdict = '';
		try {
			verdict = canPlayType(o.contentType);
		} catch {
			// A browser that cannot tell plays the MP3.
		}
		if (verdict === 'probably' || verdict === 'maybe') return audioUrl(o.fileId);
	}
	return audioUrl(track.fileId);
}

/** What a lossless original is, in a word: FLAC, WAV, AIFF or ALAC. */
export function losslessName(file: Pick<AudioFileLike, 'fileType' | 'contentType'>): string {
	const type = file.fileType.toLowerCase().replace(/^\./, '');
	const content = file.contentType.toLowerCase();
	if (type === 'flac' || content.startsWith('audio/flac')) return 'FLAC';
	if (type === 'wav' || /^audio\/(x-)?wav/.test(content)) return 'WAV';
	if (type === 'aif' || type === 'aiff' || /^audio\/(x-)?aiff/.test(content)) return 'AIFF';
	if (type === 'm4a' || content.includes('alac')) return 'ALAC';
	return type.toUpperCase();
}

/** peaks (0–255, evenly over the track) fitted to count bars, each the loudest peak of its
 * stretch; empty when there are no peaks or no room for a bar. */
export function fitPeaks(peaks: ArrayLike<number>, count: number): Uint8Array {
	const n = peaks.length;
	const bars = Math.floor(count);
	if (n === 0 || !(bars > 0)) return new Uint8Array(0);
	const out = new Uint8Array(bars);
	for (let i = 0; i < bars; i++) {
		const from = Math.min(Math.floor((i * n) / bars), n - 1);
		const to = Math.max(from + 1, Math.floor(((i + 1) * n) / bars));
		let max = 0;
		for (let j = from; j < to && j < n; j++) if (peaks[j]! > max) max = peaks[j]!;
		out[i] = max;
	}
	return out;
}
