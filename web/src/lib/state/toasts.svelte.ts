// Toasts: short messages in a live region, with an optional action. Long work (an upload,
// a migration, an export) keeps one toast and updates it. Info and success toasts go away
// by themselves unless sticky (one whose link is the point: a download, a support page).

export type ToastKind = 'info' | 'success' | 'error' | 'progress';

export interface Toast {
	id: number;
	kind: ToastKind;
	text: string;
	/** 0..1 for progress toasts. */
	progress?: number;
	action?: {
		label: string;
		run: () => void;
		href?: string;
		/** The link leaves plyr: it opens in a new tab. */
		external?: boolean;
		/** The link is a file to download (not a screen of the app). */
		download?: boolean;
	};
	/** Stays until dismissed, whatever its kind. */
	sticky?: boolean;
}

let next = 1;
const timers = new Map<number, ReturnType<typeof setTimeout>>();

export const toasts = $state<Toast[]>([]);

/** Shows a toast; info and success ones go away by themselves unless sticky. */
export function toast(kind: ToastKind, text: string, action?: Toast['action'], sticky = false): number {
	const id = next++;
	toasts.push({ id, kind, text, action, sticky });
	schedule(id);
	return id;
}

/** Changes a toast in place (progress, or its ending). */
export function update(id: number, change: Partial<Omit<Toast, 'id'>>): void {
	const t = toasts.find((t) => t.id === id);
	if (!t) return;
	Object.assign(t, change);
	if (change.kind || change.sticky !== undefined) schedule(id);
}

export function dismiss(id: number): void {
	clearTimeout(timers.get(id));
	timers.delete(id);
	const i = toasts.findIndex((t) => t.id === id);
	if (i >= 0) toasts.splice(i, 1);
}

function schedule(id: number): void {
	clearTimeout(timers.get(id));
	const t = toasts.find((t) => t.id === id);
	if (t && !t.sticky && (t.kind === 'info' || t.kind === 'success')) {
		timers.set(id, setTimeout(() => dismiss(id), 6000));
	}
}
