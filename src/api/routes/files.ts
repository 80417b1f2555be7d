import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import type { ApiDeps } from '../context.js';
import { ApiError, badRequest, notFound, parseWith } from '../errors.js';
import { LimitParam, paginate, queryList } from '../pagination.js';

/** Multipart framing around the file itself (boundaries, part headers, other fields). */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

const MIME_TYPES: Record<string, string> = {
  txt: 'text/plain',
  md: 'text/markdown',
  csv: 'text/csv',
  json: 'application/json',
  html: 'text/html',
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
};

function mimeTypeOf(filename: string, given: string): string {
  if (given && given !== 'application/octet-stream') return given.split(';')[0]?.trim() || given;
  const ext = filename.split('.').pop()?.toLowerCase() ?? '';
  return MIME_TYPES[ext] ?? 'application/octet-stream';
}

const tooLarge = (maxBytes: number, size?: number) =>
  new ApiError(
    413,
    'request_too_large',
    `file: ${size === undefined ? 'the upload' : `${size} bytes`} is over Threadhand's limit of ${maxBytes} bytes per file; upload a smaller file.`,
  );

/** The Files API subset: upload, list, metadata, download, delete (`client.beta.files`). */
export function fileRoutes(deps: ApiDeps): Hono {
  const { files, maxFileBytes } = deps;
  const app = new Hono();

  async function requireFile(id: string) {
    const file = await files.get(id);
    if (!file) throw notFound(`No file ${id}.`, 'file_not_found');
    return file;
  }

  app.post(
    '/',
    bodyLimit({
      maxSize: maxFileBytes + MULTIPART_OVERHEAD_BYTES,
      onError: () => {
        throw tooLarge(maxFileBytes);
      },
    }),
    async (c) => {
      if (!(c.req.header('content-type') ?? '').startsWith('multipart/form-data'))
        throw badRequest('body: upload the file as multipart/form-data with the file in the "file" field');
      let form: Record<string, string | File | (string | File)[]>;
      try {
        form = await c.req.parseBody({ all: true });
      } catch {
        throw badRequest('body: not a valid multipart/form-data body');
      }
      const file = form.file;
      if (!(file instanceof File)) throw badRequest('file: required; send the file in the "file" field');
      if (file.size > maxFileBytes) throw tooLarge(maxFileBytes, file.size);
      const filename = file.name || 'upload';
      const stored = await files.put({
        filename,
        mime_type: mimeTypeOf(filename, file.type),
        content: Buffer.from(await file.arrayBuffer()),
      });
      deps.logger.info({ fileId: stored.id, sizeBytes: stored.size_bytes }, 'file uploaded');
      return c.json(stored);
    },
  );

  app.get('/', async (c) => {
    const q = parseWith(
      z.object({ limit: LimitParam, page: z.string().nullish(), scope_id: z.string().optional() }),
      c.req.query(),
    );
    const ids = queryList(c.req.url, 'ids');
    // Uploaded files have no session scope, so a scope filter matches none of them.
    const all = q.scope_id ? [] : await files.list();
    const matching = ids.length > 0 ? all.filter((f) => ids.includes(f.id)) : all;
    const page = paginate(matching, q.limit, q.page);
    return c.json({ data: page.data, next_page: page.next_page, prev_page: page.prev_page });
  });

  app.get('/:id', async (c) => c.json(await requireFile(c.req.param('id'))));

  app.get('/:id/content', async (c) => {
    const file = await requireFile(c.req.param('id'));
    const content = await files.content(file.id);
    if (!content) throw notFound(`No file ${file.id}.`, 'file_not_found');
    return c.body(new Uint8Array(content), 200, {
      'content-type': file.mime_type,
      'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(file.filename)}`,
    });
  });

  app.delete('/:id', async (c) => {
    const file = await requireFile(c.req.param('id'));
    await files.delete(file.id);
    return c.json({ id: file.id, type: 'file_deleted' });
  });

  return app;
}
