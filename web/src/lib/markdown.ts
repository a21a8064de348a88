// A tiny Markdown reader for plyr's own documents (the terms and the privacy policy):
// headings, paragraphs, bullet and numbered lists, **strong**, *emphasis* (or _emphasis_),
// `code` and [links](https://…). It returns a tree, never HTML: the Markdown component
// renders the tree as text nodes, so whatever HTML the document holds is shown as the
// characters it is, never run. Plain TypeScript without imports, so that
// tests/markdown.test.mjs can run it under node --test.

export type Inline =
	| { kind: 'text'; text: string }
	| { kind: 'strong'; children: Inline[] }
	| { kind: 'em'; children: Inline[] }
	| { kind: 'code'; text: string }
	| { kind: 'link'; href: string; children: Inline[] };

export type Block =
	| { kind: 'heading'; level: 1 | 2 | 3 | 4 | 5 | 6; children: Inline[] }
	| { kind: 'paragraph'; children: Inline[] }
	| { kind: 'list'; ordered: boolean; items: Inline[][] };

const heading = /^(#{1,6})\s+(.*?)\s*#*\s*$/;
const bullet = /^\s{0,3}[-*+]\s+(.*)$/;
const numbered = /^\s{0,3}\d{1,9}[.)]\s+(.*)$/;
const rule = /^\s{0,3}([-*_])(\s*\1){2,}\s*$/;

/** The blocks of a Markdown document. */
export function parseMarkdown(source: string): Block[] {
	const lines = source.replace(/\r\n?/g, '\n').split('\n');
	const blocks: Block[] = [];
	let paragraph: string[] = [];
	let list: { ordered: boolean; items: string[] } | null = null;

	const flush = () => {
		if (paragraph.length) blocks.push({ kind: 'paragraph', children: parseInline(paragraph.join(' ')) });
		paragraph = [];
		if (list) blocks.push({ kind: 'list', ordered: list.ordered, items: list.items.map(parseInline) });
		list = null;
	};

	for (const raw of lines) {
		const line = raw.replace(/\t/g, '    ');
		if (line.trim() === '') {
			// A blank line ends a paragraph; a list goes on if the next item follows.
			if (paragraph.length) {
				blocks.push({ kind: 'paragraph', children: parseInline(paragraph.join(' ')) });
				paragraph = [];
			}
			continue;
		}
		const h = heading.exec(line);
		if (h) {
			flush();
			blocks.push({ kind: 'heading', level: h[1]!.length as 1 | 2 | 3 | 4 | 5 | 6, children: parseInline(h[2] ?? '') });
			continue;
		}
		if (rule.test(line)) {
			flush();
			continue;
		}
		const b = bullet.exec(line);
		const n = b ? null : numbered.exec(line);
		if (b || n) {
			const ordered = n !== null;
			if (paragraph.length || (list && list.ordered !== ordered)) flush();
			list ??= { ordered, items: [] };
			list.items.push((b ?? n)![1]!.trim());
			continue;
		}
		// An indented line after an item continues it; any other line after a list starts a
		// paragraph.
		if (list && /^\s+/.test(line) && list.items.length) {
			list.items[list.items.length - 1] += ' ' + line.trim();
			continue;
		}
		if (list) flush();
		paragraph.push(line.trim());
	}
	flush();
	return blocks;
}

/** A link's address when it is one a document may hold (http, https, mailto, or a path of
 * this site); '' otherwise (javascript: and the like are shown as text). */
export function safeHref(href: string): string {
	const h = href.trim();
	if (/^(https?:|mailto:)/i.test(h)) return h;
	if (h.startsWith('/') && !h.startsWith('//')) return h;
	if (h.startsWith('#')) return h;
	return '';
}

/** The inline pieces of a run of text. */
export function parseInline(text: string): Inline[] {
	const out: Inline[] = [];
	let plain = '';
	const push = (node: Inline) => {
		if (plain) out.push({ kind: 'text', text: plain });
		plain = '';
		out.push(node);
	};
	let i = 0;
	while (i < text.length) {
		const c = text[i]!;
		if (c === '\\' && i + 1 < text.length && /[\\`*_[\]()#+\-.!]/.test(text[i + 1]!)) {
			plain += text[i + 1];
			i += 2;
			continue;
		}
		if (c === '`') {
			const end = text.indexOf('`', i + 1);
			if (end > i + 1) {
				push({ kind: 'code', text: text.slice(i + 1, end) });
				i = end + 1;
				continue;
			}
		}
		if ((c === '*' || c === '_') && text[i + 1] === c) {
			const end = text.indexOf(c + c, i + 2);
			if (end > i + 2) {
				push({ kind: 'strong', children: parseInline(text.slice(i + 2, end)) });
				i = end + 2;
				continue;
			}
		}
		if (c === '*' || c === '_') {
			// _ inside a word (snake_case) is a letter, not emphasis.
			const wordBefore = c === '_' && i > 0 && /\w/.test(text[i - 1]!);
			const end = findClosing(text, c, i + 1);
			if (!wordBefore && end > i + 1 && text[i + 1] !== ' ') {
				push({ kind: 'em', children: parseInline(text.slice(i + 1, end)) });
				i = end + 1;
				continue;
			}
		}
		if (c === '[') {
			const close = text.indexOf(']', i + 1);
			if (close > i && text[close + 1] === '(') {
				const end = text.indexOf(')', close + 2);
				if (end > close) {
					const label = parseInline(text.slice(i + 1, close));
					const href = safeHref(text.slice(close + 2, end));
					if (href) push({ kind: 'link', href, children: label });
					else for (const node of label) push(node);
					i = end + 1;
					continue;
				}
			}
		}
		plain += c;
		i++;
	}
	if (plain) out.push({ kind: 'text', text: plain });
	return out;
}

/** Where a single-character emphasis opened at from closes, or -1. */
function findClosing(text: string, mark: string, from: number): number {
	for (let j = from; j < text.length; j++) {
		if (text[j] === '\\') {
			j++;
			continue;
		}
		if (text[j] !== mark || text[j - 1] === ' ') continue;
		// A doubled mark belongs to strong inside.
		if (text[j + 1] === mark) {
			const end = text.indexOf(mark + mark, j + 2);
			if (end < 0) return -1;
			j = end + 1;
			continue;
		}
		if (mark === '_' && j + 1 < text.length && /\w/.test(text[j + 1]!)) continue;
		return j;
	}
	return -1;
}

/** The text of inline pieces, without their marks (a heading's plain words). */
export function plainText(nodes: Inline[]): string {
	return nodes.map((n) => (n.kind === 'text' || n.kind === 'code' ? n.text : plainText(n.children))).join('');
}
