// Toasts: short messages in a live region, with an optional action. Long work (an upload)
// keeps one toast and updates it.

export type ToastKind = 'info' | 'success' | 'error' | 'progress';

export interface Toast {
	id: number;
	kind: ToastKind;
	text: string;
	/** 0..1 for progress toasts. */
	progress?: number;
	action?: { label: string; run: () => void; href?: string };
}

let next = 1;
const timers = new Map<number, ReturnType<typeof setTimeout>>();

export const toasts = $state<Toast[]>([]);

/** Shows a toast; info and success ones go away by themselves. */
export function toast(kind: ToastKind, text: string, action?: Toast['action']): number {
	const id = next++;
	toasts.push({ id, kind, text, action });
	schedule(id, kind);
	return id;
}

/** Changes a toast in place (progress, or its ending). */
export function update(id: number, change: Partial<Omit<Toast, 'id'>>): void {
	const t = toasts.find((t) => t.id === id);
	if (!t) return;
	Object.assign(t, change);
	if (change.kind) schedule(id, change.kind);
}

export function dismiss(id: number): void {
	clearTimeout(timers.get(id));
	timers.delete(id);
	const i = toasts.findIndex((t) => t.id === id);
	if (i >= 0) toasts.splice(i, 1);
}

function schedule(id: number, kind: ToastKind): void {
	clearTimeout(timers.get(id));
	if (kind === 'info' || kind === 'success') {
		timers.set(id, setTimeout(() => dismiss(id), 6000));
	}
}
