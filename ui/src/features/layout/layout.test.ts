import { fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createFakeBackend, DEFAULT_SETTINGS } from '../../ipc/fake';
import { Preferences } from '../settings/preferences.svelte';
import { PaneWidths, SAVE_DELAY_MS } from './panes.svelte';
import Splitter from './Splitter.svelte';
import { followTheme, resolveTheme } from './theme';
import { BIG_STEP, clampWidth, fitWidths, LIST, NARROW, READER_MIN, SIDEBAR, STEP } from './widths';

/** A stand-in for `matchMedia('(prefers-color-scheme: dark)')` whose answer the test changes. */
function fakeMedia(matches: boolean) {
  const listeners = new Set<(event: MediaQueryListEvent) => void>();
  const media = {
    matches,
    addEventListener: (_: string, listener: (event: MediaQueryListEvent) => void) => listeners.add(listener),
    removeEventListener: (_: string, listener: (event: MediaQueryListEvent) => void) => listeners.delete(listener),
    change(next: boolean) {
      media.matches = next;
      for (const listener of listeners) listener({ matches: next } as MediaQueryListEvent);
    },
    listeners,
  };
  return media;
}

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  delete document.documentElement.dataset.theme;
  document.documentElement.style.colorScheme = '';
});

describe('theme', () => {
  it.each([
    ['system', false, 'light'],
    ['system', true, 'dark'],
    ['light', true, 'light'],
    ['dark', false, 'dark'],
  ] as const)('%s with a dark system: %s → %s', (theme, dark, scheme) => {
    expect(resolveTheme(theme, dark)).toBe(scheme);
  });

  it('follows the system live while the setting is system, and stops when told', () => {
    const root = document.documentElement;
    const media = fakeMedia(false);
    const stop = followTheme(root, 'system', media as unknown as MediaQueryList);
    expect(root.dataset.theme).toBe('light');
    expect(root.style.colorScheme).toBe('light');
    media.change(true);
    expect(root.dataset.theme).toBe('dark');
    expect(root.style.colorScheme).toBe('dark');
    stop();
    expect(media.listeners.size).toBe(0);
  });

  it('an explicit theme ignores the system', () => {
    const root = document.documentElement;
    const media = fakeMedia(true);
    const stop = followTheme(root, 'light', media as unknown as MediaQueryList);
    expect(root.dataset.theme).toBe('light');
    expect(media.listeners.size).toBe(0);
    stop();
    followTheme(root, 'dark', null);
    expect(root.dataset.theme).toBe('dark');
  });
});

describe('pane widths', () => {
  it.each([
    [100, SIDEBAR, SIDEBAR.min],
    [5000, SIDEBAR, SIDEBAR.max],
    [Number.NaN, LIST, LIST.initial],
    [301.6, LIST, 302],
  ])('%s within %o is %s', (value, bounds, expected) => {
    expect(clampWidth(value, bounds)).toBe(expected);
  });

  it('fits the window: the reader keeps its room, the list gives way first', () => {
    expect(fitWidths(240, 380, 1280)).toEqual({
      sidebar: { width: 240, max: SIDEBAR.max },
      list: { width: 380, max: Math.min(LIST.max, 1280 - READER_MIN - 240) },
    });
    const tight = fitWidths(400, 700, 1000);
    expect(tight.sidebar.width).toBe(400);
    expect(tight.list.width).toBe(1000 - READER_MIN - 400);
    expect(tight.sidebar.width + tight.list.width + READER_MIN).toBeLessThanOrEqual(1000);
    // Never below the minimums, even when the window is too small for all three.
    const tiny = fitWidths(400, 700, NARROW);
    expect(tiny.sidebar.width).toBeGreaterThanOrEqual(SIDEBAR.min);
    expect(tiny.list.width).toBe(LIST.min);
  });

  it('saves the widths a moment after the last change, once', async () => {
    vi.useFakeTimers();
    const backend = createFakeBackend({ latencyMs: 0 });
    const preferences = new Preferences(backend);
    await preferences.load();
    const widths = new PaneWidths(preferences);
    widths.adopt({ sidebarWidth: 10, listWidth: 9999 });
    expect([widths.sidebar, widths.list]).toEqual([SIDEBAR.min, LIST.max]);

    widths.resize('sidebar', 250);
    widths.resize('sidebar', 260);
    widths.resize('list', 400);
    await vi.advanceTimersByTimeAsync(SAVE_DELAY_MS - 1);
    expect(backend.calls.filter((c) => c.method === 'setSettings')).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await widths.flush();
    const saves = backend.calls.filter((c) => c.method === 'setSettings');
    expect(saves).toEqual([{ method: 'setSettings', args: [{ ...DEFAULT_SETTINGS, sidebarWidth: 260, listWidth: 400 }] }]);
    // Nothing changed since: nothing more to save.
    await widths.flush();
    expect(backend.calls.filter((c) => c.method === 'setSettings')).toHaveLength(1);
    expect(await backend.getSettings()).toMatchObject({ sidebarWidth: 260, listWidth: 400 });
  });
});

describe('splitter', () => {
  function setup(value = 300) {
    const onresize = vi.fn();
    const result = render(Splitter, {
      props: { label: 'Resize the folder list', controls: 'pane', value, min: 180, max: 420, initial: 240, onresize },
    });
    return { onresize, splitter: screen.getByRole('separator', { name: 'Resize the folder list' }), ...result };
  }

  it('is a focusable vertical separator that tells its value and bounds', () => {
    const { splitter } = setup();
    expect(splitter).toHaveAttribute('aria-orientation', 'vertical');
    expect(splitter).toHaveAttribute('aria-valuenow', '300');
    expect(splitter).toHaveAttribute('aria-valuemin', '180');
    expect(splitter).toHaveAttribute('aria-valuemax', '420');
    expect(splitter).toHaveAttribute('aria-controls', 'pane');
    expect(splitter).toHaveAttribute('tabindex', '0');
  });

  it.each([
    ['ArrowRight', false, 300 + STEP],
    ['ArrowLeft', false, 300 - STEP],
    ['ArrowRight', true, 300 + BIG_STEP],
    ['ArrowLeft', true, 300 - BIG_STEP],
    ['Home', false, 180],
    ['End', false, 420],
    ['Enter', false, 240],
  ])('%s (shift: %s) resizes to %s', async (key, shiftKey, width) => {
    const { splitter, onresize } = setup();
    await fireEvent.keyDown(splitter, { key, shiftKey });
    expect(onresize).toHaveBeenCalledWith(width);
  });

  it('stays within its bounds, and leaves other keys alone', async () => {
    const { splitter, onresize, rerender } = setup(410);
    await fireEvent.keyDown(splitter, { key: 'ArrowRight' });
    expect(onresize).toHaveBeenLastCalledWith(420);
    await rerender({ value: 190 });
    await fireEvent.keyDown(splitter, { key: 'ArrowLeft', shiftKey: true });
    expect(onresize).toHaveBeenLastCalledWith(180);
    onresize.mockClear();
    const event = new KeyboardEvent('keydown', { key: 'j', bubbles: true, cancelable: true });
    splitter.dispatchEvent(event);
    expect(event.defaultPrevented).toBe(false);
    expect(onresize).not.toHaveBeenCalled();
  });

  it('follows a drag of the pointer', async () => {
    // jsdom has no PointerEvent: a mouse event with a pointer id stands in.
    if (!('PointerEvent' in window)) {
      class TestPointerEvent extends MouseEvent {
        readonly pointerId: number;
        constructor(type: string, init: PointerEventInit = {}) {
          super(type, init);
          this.pointerId = init.pointerId ?? 0;
        }
      }
      vi.stubGlobal('PointerEvent', TestPointerEvent);
    }
    const { splitter, onresize } = setup(300);
    await fireEvent.pointerDown(splitter, { button: 0, pointerId: 1, clientX: 300 });
    expect(splitter).toHaveFocus();
    await fireEvent.pointerMove(splitter, { pointerId: 1, clientX: 350 });
    expect(onresize).toHaveBeenLastCalledWith(350);
    await fireEvent.pointerMove(splitter, { pointerId: 1, clientX: 0 });
    expect(onresize).toHaveBeenLastCalledWith(180);
    await fireEvent.pointerUp(splitter, { pointerId: 1, clientX: 0 });
    onresize.mockClear();
    await fireEvent.pointerMove(splitter, { pointerId: 1, clientX: 400 });
    expect(onresize).not.toHaveBeenCalled();
  });
});
