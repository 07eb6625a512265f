import { createSubscriber } from 'svelte/reactivity';

/**
 * The current time, as reactive state that ticks once a second, and only
 * while something on screen reads it (a countdown).
 */
export class Clock {
  readonly #subscribe: () => void;

  constructor(intervalMs = 1_000) {
    this.#subscribe = createSubscriber((update) => {
      const timer = setInterval(update, intervalMs);
      return () => clearInterval(timer);
    });
  }

  /** Milliseconds since the epoch. */
  get now(): number {
    this.#subscribe();
    return Date.now();
  }
}

/** The one clock the countdowns share. */
export const clock = new Clock();
