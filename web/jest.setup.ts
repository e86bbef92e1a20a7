import '@testing-library/jest-dom/jest-globals';
import { jest } from '@jest/globals';
import { TextDecoder as NodeTextDecoder, TextEncoder as NodeTextEncoder } from 'node:util';

// jsdom has no layout: Ant Design's responsive parts ask matchMedia, which jsdom lacks.
Object.defineProperty(window, 'matchMedia', {
  writable: true,
  value: (query: string) => ({
    matches: false,
    media: query,
    onchange: null,
    addListener: () => undefined,
    removeListener: () => undefined,
    addEventListener: () => undefined,
    removeEventListener: () => undefined,
    dispatchEvent: () => false,
  }),
});

// react-router encodes URLs with TextEncoder, which jsdom's window does not provide; Node's is the same API.
if (typeof globalThis.TextEncoder === 'undefined') Object.assign(globalThis, { TextEncoder: NodeTextEncoder, TextDecoder: NodeTextDecoder });

// Ant Design observes element sizes; jsdom has no layout, so there is nothing to observe.
class NoLayoutResizeObserver {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
}
if (typeof globalThis.ResizeObserver === 'undefined') Object.assign(globalThis, { ResizeObserver: NoLayoutResizeObserver });

// Ant Design schedules work through a MessageChannel, which jsdom lacks. Node's own would keep the
// test process alive; a timer-based one delivers the same messages, one macrotask later.
class TimerMessagePort {
  onmessage: ((event: { data: unknown }) => void) | null = null;
  other: TimerMessagePort | null = null;
  postMessage(data: unknown): void {
    const target = this.other;
    setTimeout(() => target?.onmessage?.({ data }), 0);
  }
  close(): void {}
  start(): void {}
  addEventListener(): void {}
  removeEventListener(): void {}
}
class TimerMessageChannel {
  readonly port1 = new TimerMessagePort();
  readonly port2 = new TimerMessagePort();
  constructor() {
    this.port1.other = this.port2;
    this.port2.other = this.port1;
  }
}
if (typeof globalThis.MessageChannel === 'undefined') Object.assign(globalThis, { MessageChannel: TimerMessageChannel });

// Ant Design in jsdom is slow (styles computed in JS for every component): a form test takes seconds,
// and a page test of several forms up to 15 s alone, several times that beside other test workers.
jest.setTimeout(90_000);

// jsdom implements getComputedStyle but not its pseudo-element form, and logs a long error each
// time Ant Design asks (scrollbar sizes); the element's own style is the honest answer there.
const computedStyle = window.getComputedStyle.bind(window);
window.getComputedStyle = (element: Element) => computedStyle(element);
