import { getContext, setContext } from 'svelte';

/**
 * Whether the Settings dialog is open. The app shows the dialog (it knows the accounts); the
 * sidebar's gear and Ctrl/⌘+, open it through the one instance the app provides.
 */
export class SettingsScreen {
  open = $state(false);
  /** Where the keyboard goes back to when the dialog closes. */
  opener: HTMLElement | null = null;

  show(opener: HTMLElement | null = null) {
    this.opener = opener ?? (document.activeElement instanceof HTMLElement ? document.activeElement : null);
    this.open = true;
  }

  hide() {
    this.open = false;
  }
}

/** The context key (tests provide a screen with it). */
export const SETTINGS_SCREEN = Symbol('settings-screen');

/** Makes `screen` the one the components below open (called by the app). */
export function provideSettingsScreen(screen: SettingsScreen): SettingsScreen {
  return setContext(SETTINGS_SCREEN, screen);
}

/** The app's settings screen, if a component above provided one. */
export function findSettingsScreen(): SettingsScreen | undefined {
  return getContext<SettingsScreen | undefined>(SETTINGS_SCREEN);
}
