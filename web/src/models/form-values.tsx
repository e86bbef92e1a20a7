import type React from 'react';
/** Form values → API body: strings trimmed, empty optional fields left out (the API then keeps its default). */
export function compact<T extends Record<string, unknown>>(values: T): Partial<T> {
  const body: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(values)) {
    const value = typeof raw === 'string' ? raw.trim() : raw;
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value) && value.length === 0) continue;
    body[key] = value;
  }
  return body as Partial<T>;
}

export const httpUrlRule = (message: string) => ({
  validator: async (_rule: unknown, value: unknown) => {
    if (value === undefined || value === null || String(value).trim() === '') return;
    let ok = false;
    try {
      const url = new URL(String(value).trim());
      ok = url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      ok = false;
    }
    if (!ok) throw new Error(message);
  },
});

export const tagsRule = (pattern: RegExp, message: string) => ({
  validator: async (_rule: unknown, value: unknown) => {
    if (Array.isArray(value) && value.some((tag) => !pattern.test(String(tag)))) throw new Error(message);
  },
});

/** Form fields side by side, sharing the row (labels stay above each field). */
export function FieldRow({ children }: { children: React.ReactNode }) {
  return <div style={{ display: 'flex', gap: 12, flexWrap: 'wrap' }}>{children}</div>;
}
