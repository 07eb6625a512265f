import type { Theme } from '../../ipc/backend';

export type Scheme = 'light' | 'dark';

/** The system's dark-mode query. */
export const DARK_QUERY = '(prefers-color-scheme: dark)';

/** The colours to use: the setting, or the system's when it says `system`. */
export function resolveTheme(theme: Theme, systemDark: boolean): Scheme {
  return theme === 'system' ? (systemDark ? 'dark' : 'light') : theme;
}

/** Colours the document: `data-theme` picks the palette in app.css, `color-scheme` the built-in controls. */
export function applyScheme(root: HTMLElement, scheme: Scheme) {
  root.dataset.theme = scheme;
  root.style.colorScheme = scheme;
}

/**
 * Applies the theme to `root` and, while it is `system`, follows the system's setting as it
 * changes; returns the function that stops following.
 */
export function followTheme(
  root: HTMLElement,
  theme: Theme,
  media: MediaQueryList | null = typeof window !== 'undefined' && typeof window.matchMedia === 'function'
    ? window.matchMedia(DARK_QUERY)
    : null,
): () => void {
  applyScheme(root, resolveTheme(theme, media?.matches ?? false));
  if (theme !== 'system' || !media) return () => {};
  const changed = (event: MediaQueryListEvent) => applyScheme(root, resolveTheme('system', event.matches));
  media.addEventListener('change', changed);
  return () => media.removeEventListener('change', changed);
}
