import { formatSize } from '../sidebar/quota';

/** An attachment's size for people: "512 bytes", "88 KB", "1.5 MB" (1024-based, like the quota). */
export function humanSize(bytes: number, locale?: string): string {
  const n = Math.max(0, Math.round(bytes));
  if (n < 1024) return `${new Intl.NumberFormat(locale).format(n)} ${n === 1 ? 'byte' : 'bytes'}`;
  return formatSize(n / 1024, locale);
}
