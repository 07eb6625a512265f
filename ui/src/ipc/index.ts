/**
 * Picks the backend: the Tauri IPC bridge inside the app, the in-memory fake
 * in a plain browser (development, tests).
 */
import type { Backend } from './backend';
import { createFakeBackend, fixtureFromUrl, settingsFromUrl, type FakeBackend } from './fake';
import { tauriBackend } from './tauri';

export { BackendError, type Backend } from './backend';
export type * from './bindings';

declare global {
  interface Window {
    /** The fake backend in a plain browser, for end-to-end tests (`deliver`, `setStatus`, …); absent in the app. */
    ternFake?: FakeBackend;
  }
}

function insideTauri(): boolean {
  return typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window;
}

function browserFake(): FakeBackend {
  const fake = createFakeBackend({
    fixture: fixtureFromUrl(typeof window === 'undefined' ? '' : window.location.search),
    settings: settingsFromUrl(typeof window === 'undefined' ? '' : window.location.search),
    live: true,
  });
  if (typeof window !== 'undefined') window.ternFake = fake;
  return fake;
}

export const backend: Backend = insideTauri() ? tauriBackend : browserFake();
