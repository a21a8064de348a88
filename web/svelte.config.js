import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
export default {
	preprocess: vitePreprocess(),
	kit: {
		// A single-page client: the plyr binary embeds build/ and answers every client route
		// with index.html (web/web.go). build/app is the adapter's; build/README.md is ours.
		adapter: adapter({ pages: 'build/app', assets: 'build/app', fallback: 'index.html', strict: true }),
		// Deep links such as /u/alice/album/x load the same index.html: asset URLs must be
		// absolute.
		paths: { relative: false },
		// Hashed file names under /_app/immutable are cached forever by the server.
		appDir: '_app',
		// The generated API client (buf generate, from ../api).
		alias: { $gen: 'src/gen' },
		// The app never asks the server whether a newer build exists.
		version: { pollInterval: 0 }
	}
};
