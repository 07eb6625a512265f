/** The panes' widths in CSS pixels: the bounds a splitter moves within, and how they fit the window. */

export interface Bounds {
  min: number;
  max: number;
  /** The width of a fresh installation (the engine's default). */
  initial: number;
}

export const SIDEBAR: Bounds = { min: 180, max: 420, initial: 240 };
export const LIST: Bounds = { min: 260, max: 720, initial: 380 };
/** The reader never gets narrower than this while it is shown. */
export const READER_MIN = 320;
/** Below this window width the reader is not beside the list but in its place. */
export const NARROW = 760;
/** An arrow key moves a splitter this far; with Shift, {@link BIG_STEP}. */
export const STEP = 16;
export const BIG_STEP = 64;

/** A whole width within `bounds` (the initial width for nonsense). */
export function clampWidth(value: number, bounds: Pick<Bounds, 'min' | 'max' | 'initial'>): number {
  if (!Number.isFinite(value)) return bounds.initial;
  return Math.round(Math.min(bounds.max, Math.max(bounds.min, value)));
}

export interface Fitted {
  sidebar: { width: number; max: number };
  list: { width: number; max: number };
}

/**
 * The widths shown in a window `windowWidth` wide: what the user chose, narrowed so that the
 * reader keeps {@link READER_MIN} (the list gives way before the sidebar). In a narrow window the
 * list takes the rest and only the sidebar has a width.
 */
export function fitWidths(sidebar: number, list: number, windowWidth: number): Fitted {
  const narrow = windowWidth < NARROW;
  const room = windowWidth - READER_MIN;
  const sidebarMax = Math.max(
    SIDEBAR.min,
    Math.min(SIDEBAR.max, narrow ? windowWidth - LIST.min : room - LIST.min),
  );
  const sidebarWidth = clampWidth(sidebar, { ...SIDEBAR, max: sidebarMax });
  const listMax = Math.max(LIST.min, Math.min(LIST.max, room - sidebarWidth));
  return {
    sidebar: { width: sidebarWidth, max: sidebarMax },
    list: { width: clampWidth(list, { ...LIST, max: listMax }), max: listMax },
  };
}
