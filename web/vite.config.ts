import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

// Node's process, without pulling in all of @types/node for one variable.
declare const process: { env: Record<string, string | undefined> };

// `npm run dev` serves the client with hot reload and sends the API to a running
// `plyr dev` (PLYR_API, default http://127.0.0.1:8080).
const api = process.env.PLYR_API ?? 'http://127.0.0.1:8080';
const proxied = ['/plyr.', '/auth', '/upload', '/audio', '/images', '/queue', '/now-playing', '/healthz'];

export default defineConfig({
	plugins: [sveltekit()],
	build: { target: 'es2022', reportCompressedSize: false },
	server: {
		proxy: Object.fromEntries(proxied.map((p) => [p, { target: api, changeOrigin: false }]))
	}
});
