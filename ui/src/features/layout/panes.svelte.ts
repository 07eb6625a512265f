import type { Settings } from '../../ipc/backend';
import type { Preferences } from '../settings/preferences.svelte';
import { clampWidth, LIST, SIDEBAR } from './widths';

/** How long after the last change of a width it is saved (a drag changes it many times a second). */
export const SAVE_DELAY_MS = 400;

export type Pane = 'sidebar' | 'list';

/**
 * The widths of the sidebar and the message list as the user set them, saved in the settings
 * (`sidebarWidth`, `listWidth`) a moment after the last change, so they are there again at the
 * next start.
 */
export class PaneWidths {
  sidebar = $state(SIDEBAR.initial);
  list = $state(LIST.initial);
  readonly #preferences: Preferences;
  readonly #delayMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #saving: Promise<void> = Promise.resolve();

  constructor(preferences: Preferences, delayMs = SAVE_DELAY_MS) {
    this.#preferences = preferences;
    this.#delayMs = delayMs;
  }

  /** Takes the saved widths. */
  adopt(settings: Pick<Settings, 'sidebarWidth' | 'listWidth'>) {
    this.sidebar = clampWidth(settings.sidebarWidth, SIDEBAR);
    this.list = clampWidth(settings.listWidth, LIST);
  }

  /** Sets a pane's width at once; it is saved {@link SAVE_DELAY_MS} after the last change. */
  resize(pane: Pane, width: number) {
    this[pane] = clampWidth(width, pane === 'sidebar' ? SIDEBAR : LIST);
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.flush(), this.#delayMs);
  }

  /** Saves a change not saved yet now; resolves once saved (a failed save keeps the widths on screen). */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#saving = this.#saving.then(() => this.#save());
    return this.#saving;
  }

  /** Stops a pending save. */
  dispose() {
    clearTimeout(this.#timer);
  }

  async #save() {
    try {
      const current = this.#preferences.current ?? (await this.#preferences.ensure());
      if (current.sidebarWidth === this.sidebar && current.listWidth === this.list) return;
      await this.#preferences.save({ ...current, sidebarWidth: this.sidebar, listWidth: this.list });
    } catch {
      // Nothing to tell: the panes keep their widths, and the next change saves them again.
    }
  }
}
