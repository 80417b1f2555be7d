import { z } from 'zod';
import { badRequest, parseWith } from './errors.js';

/** Opaque cursor: which side of which item the page starts on. */
interface Cursor {
  side: 'after' | 'before';
  id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return `page_${Buffer.from(JSON.stringify([cursor.side, cursor.id])).toString('base64url')}`;
}

export function decodeCursor(page: string): Cursor {
  try {
    const [side, id] = JSON.parse(
      Buffer.from(page.replace(/^page_/, ''), 'base64url').toString(),
    ) as unknown[];
    if ((side === 'after' || side === 'before') && typeof id === 'string') return { side, id };
  } catch {
    // fall through
  }
  throw badRequest(
    'page: not a cursor this server issued; pass next_page or prev_page from a previous response.',
  );
}

export const LimitParam = z.coerce.number().int().min(1).max(1000).default(20);
export const BoolParam = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1')
  .optional();

/** Query values that may come as `name[]=a&name[]=b`, `name=a&name=b` or `name=a,b`. */
export function queryList(url: string, name: string): string[] {
  const params = new URL(url).searchParams;
  return [...params.getAll(`${name}[]`), ...params.getAll(name)]
    .flatMap((v) => v.split(','))
    .filter((v) => v !== '');
}

export interface PageResult<T> {
  data: T[];
  next_page: string | null;
  prev_page: string | null;
}

/**
 * One page of `items` (already in the requested order, each with a unique `id`). Cursors point
 * at an item id, so a page stays correct when items are added or removed between requests.
 */
export function paginate<T extends { id: string }>(
  items: T[],
  limit: number,
  page: string | undefined | null,
): PageResult<T> {
  let start = 0;
  let end = Math.min(items.length, limit);
  if (page) {
    const cursor = decodeCursor(page);
    const at = items.findIndex((item) => item.id === cursor.id);
    // A cursor whose item vanished: fall back to the id order (ids sort in creation order).
    const pivot = at >= 0 ? at : fallbackIndex(items, cursor.id);
    if (cursor.side === 'after') {
      start = at >= 0 ? pivot + 1 : pivot;
      end = Math.min(items.length, start + limit);
    } else {
      end = pivot;
      start = Math.max(0, end - limit);
    }
  }
  const data = items.slice(start, end);
  const last = data[data.length - 1];
  const first = data[0];
  return {
    data,
    next_page: end < items.length && last ? encodeCursor({ side: 'after', id: last.id }) : null,
    prev_page: start > 0 && first ? encodeCursor({ side: 'before', id: first.id }) : null,
  };
}

function fallbackIndex<T extends { id: string }>(items: T[], id: string): number {
  const ascending = items.length < 2 || (items[0]?.id ?? '') <= (items[items.length - 1]?.id ?? '');
  const index = items.findIndex((item) => (ascending ? item.id > id : item.id < id));
  return index < 0 ? items.length : index;
}

export const PageQuery = z.object({ limit: LimitParam, page: z.string().nullish() });

/** `limit` and `page` from the query string, validated. */
export function pageParams(query: Record<string, string>): { limit: number; page?: string | null } {
  return parseWith(PageQuery, { limit: query.limit, page: query.page });
}

/** An RFC 3339 time (`Z` or an offset, any fraction), as epoch milliseconds. */
const Instant = z.iso.datetime({ offset: true }).transform((v) => Date.parse(v));
const CreatedAtQuery = z.object({
  'created_at[gt]': Instant.optional(),
  'created_at[gte]': Instant.optional(),
  'created_at[lt]': Instant.optional(),
  'created_at[lte]': Instant.optional(),
});

/** `created_at[gt|gte|lt|lte]` from the query string, validated. */
export function createdAtParams(query: Record<string, string>): z.output<typeof CreatedAtQuery> {
  return parseWith(CreatedAtQuery, {
    'created_at[gt]': query['created_at[gt]'],
    'created_at[gte]': query['created_at[gte]'],
    'created_at[lt]': query['created_at[lt]'],
    'created_at[lte]': query['created_at[lte]'],
  });
}

/**
 * Whether a stored timestamp is within the bounds. Compared as instants, not text: `...:05Z`
 * and `...:05.123Z` (or a `+02:00` offset) sort wrongly as strings.
 */
export function withinCreatedAt(bounds: z.output<typeof CreatedAtQuery>, iso: string): boolean {
  const at = Date.parse(iso);
  const gt = bounds['created_at[gt]'];
  const gte = bounds['created_at[gte]'];
  const lt = bounds['created_at[lt]'];
  const lte = bounds['created_at[lte]'];
  return (
    (gt === undefined || at > gt) &&
    (gte === undefined || at >= gte) &&
    (lt === undefined || at < lt) &&
    (lte === undefined || at <= lte)
  );
}
