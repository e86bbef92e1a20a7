import dayjs from 'dayjs';

export const formatPercent = (fraction: number | null | undefined, digits = 1): string | null =>
  fraction === null || fraction === undefined ? null : `${(fraction * 100).toFixed(digits)}%`;

export const formatMs = (ms: number | null | undefined): string | null =>
  ms === null || ms === undefined ? null : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms * 10) / 10} ms`;

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];
export function formatBytes(bytes: number | null | undefined): string | null {
  if (bytes === null || bytes === undefined) return null;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${UNITS[unit]}`;
}

export const formatTime = (iso: string | null | undefined): string | null => (iso ? dayjs(iso).format('YYYY-MM-DD HH:mm:ss') : null);
