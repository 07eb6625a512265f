import '@testing-library/jest-dom/vitest';
import '@testing-library/svelte/vitest';

// jsdom has no layout. The message list's virtualizer measures its viewport
// with ResizeObserver and scrolls with Element.scrollTo: report a 600 px tall
// viewport and make scrollTop settable, so tests can scroll it.
export const TEST_VIEWPORT = { width: 480, height: 600 };

class TestResizeObserver implements ResizeObserver {
  readonly #callback: ResizeObserverCallback;
  constructor(callback: ResizeObserverCallback) {
    this.#callback = callback;
  }
  observe(target: Element) {
    const entry = {
      target,
      contentRect: { ...TEST_VIEWPORT, x: 0, y: 0, top: 0, left: 0, right: TEST_VIEWPORT.width, bottom: TEST_VIEWPORT.height },
      borderBoxSize: [{ inlineSize: TEST_VIEWPORT.width, blockSize: TEST_VIEWPORT.height }],
      contentBoxSize: [{ inlineSize: TEST_VIEWPORT.width, blockSize: TEST_VIEWPORT.height }],
      devicePixelContentBoxSize: [],
    } as unknown as ResizeObserverEntry;
    setTimeout(() => {
      if (target.isConnected) this.#callback([entry], this);
    }, 0);
  }
  unobserve() {}
  disconnect() {}
}

if (typeof window !== 'undefined' && !('ResizeObserver' in window)) {
  Object.assign(window, { ResizeObserver: TestResizeObserver });
  Object.assign(globalThis, { ResizeObserver: TestResizeObserver });
  Element.prototype.scrollTo = function scrollTo(this: Element, options?: ScrollToOptions | number, y?: number) {
    const top = typeof options === 'number' ? (y ?? 0) : (options?.top ?? this.scrollTop);
    this.scrollTop = top;
    this.dispatchEvent(new Event('scroll'));
  } as Element['scrollTo'];
  Element.prototype.scrollBy = function scrollBy(this: Element, options?: ScrollToOptions | number, y?: number) {
    const top = typeof options === 'number' ? (y ?? 0) : (options?.top ?? 0);
    this.scrollTo({ top: this.scrollTop + top });
  } as Element['scrollBy'];
}
