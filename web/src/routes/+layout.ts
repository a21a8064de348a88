// A client-side app: no server rendering, no prerendering; the plyr binary answers every
// client route with the same index.html.
export const ssr = false;
export const prerender = false;
