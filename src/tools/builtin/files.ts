/** The `read`, `write` and `edit` tools, over the Sandbox port's file operations. */
import { z } from 'zod';
import { resolveSandboxPath } from '../../sandbox/paths.js';
import { type ToolResult, textResult } from '../types.js';
import { type BuiltinToolSpec, sandboxOf } from './define.js';

export const ReadInput = z.object({
  file_path: z.string().min(1).describe('Path of the file to read (relative to /workspace, or absolute).'),
  view_range: z
    .array(z.number().int())
    .length(2, 'view_range is [start_line, end_line]')
    .optional()
    .describe(
      'Optional [start_line, end_line], 1-indexed and inclusive; end_line 0 or negative means to the end of the file.',
    ),
});

export const WriteInput = z.object({
  file_path: z.string().min(1).describe('Path of the file to write (relative to /workspace, or absolute).'),
  content: z.string().describe('Full file contents to write (replaces the file).'),
});

export const EditInput = z.object({
  file_path: z.string().min(1).describe('Path of the file to edit.'),
  old_string: z.string().describe('Exact text to find (whitespace and indentation included).'),
  new_string: z.string().describe('Replacement text.'),
  replace_all: z.boolean().optional().describe('Replace every occurrence instead of requiring exactly one.'),
});

export interface FileToolOptions {
  /** Lines returned when no range is given. */
  maxLines: number;
  /** Longer lines are cut. */
  maxLineChars: number;
}

const IMAGE_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
};
const MAX_IMAGE_BYTES = 5 * 1024 * 1024;

function looksBinary(data: Buffer): boolean {
  return data.subarray(0, 8192).includes(0);
}

export function readTool(options: FileToolOptions): BuiltinToolSpec<typeof ReadInput> {
  return {
    name: 'read',
    description:
      `Read a file from the sandbox, with numbered lines (line number, tab, content). Without view_range, up to ${options.maxLines} lines are shown; ` +
      'use view_range [start, end] for more. PNG/JPEG/GIF/WebP images are returned as images.',
    schema: ReadInput,
    async run(input, ctx): Promise<ToolResult> {
      const sandbox = await sandboxOf(ctx);
      const path = resolveSandboxPath(input.file_path);
      const data = await sandbox.readFile(path);
      const mediaType = IMAGE_TYPES[path.split('.').pop()?.toLowerCase() ?? ''];
      if (mediaType && data.length <= MAX_IMAGE_BYTES) {
        return {
          content: [
            {
              type: 'image',
              source: { type: 'base64', media_type: mediaType, data: data.toString('base64') },
            },
          ],
        };
      }
      if (looksBinary(data)) {
        return textResult(
          `${path} is a binary file (${data.length} bytes); inspect it with bash (e.g. \`file\`, \`xxd | head\`).`,
          true,
        );
      }
      const text = data.toString('utf8');
      if (text === '') return textResult(`${path} is empty.`);
      const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
      let start = 1;
      let end = Math.min(lines.length, options.maxLines);
      if (input.view_range) {
        const [from, to] = input.view_range as [number, number];
        if (from < 1 || from > lines.length) {
          return textResult(
            `view_range start ${from} is outside ${path}, which has ${lines.length} lines (valid: 1-${lines.length}).`,
            true,
          );
        }
        if (to > 0 && to < from) return textResult(`view_range end ${to} is before start ${from}.`, true);
        start = from;
        end = to <= 0 ? lines.length : Math.min(to, lines.length);
      }
      const body = lines
        .slice(start - 1, end)
        .map((line, i) => {
          const shown =
            line.length > options.maxLineChars
              ? `${line.slice(0, options.maxLineChars)}[... line truncated]`
              : line;
          return `${String(start + i).padStart(6)}\t${shown}`;
        })
        .join('\n');
      const note =
        end < lines.length || start > 1
          ? `\n[showing lines ${start}-${end} of ${lines.length}; use view_range to see others]`
          : '';
      return textResult(body + note);
    },
  };
}

export function writeTool(): BuiltinToolSpec<typeof WriteInput> {
  return {
    name: 'write',
    description:
      'Write a file in the sandbox, replacing it entirely (parent directories are created). Prefer `edit` for small changes to an existing file.',
    schema: WriteInput,
    async run(input, ctx) {
      const sandbox = await sandboxOf(ctx);
      const path = resolveSandboxPath(input.file_path);
      await sandbox.writeFile(path, input.content);
      return textResult(`Wrote ${Buffer.byteLength(input.content)} bytes to ${path}.`);
    },
  };
}

function countOccurrences(haystack: string, needle: string): number {
  let count = 0;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + needle.length))
    count += 1;
  return count;
}

export function editTool(): BuiltinToolSpec<typeof EditInput> {
  return {
    name: 'edit',
    description:
      'Replace an exact string in a file. old_string must match exactly (whitespace included) and occur exactly once, ' +
      'unless replace_all is true. Read the file first to copy the text precisely.',
    schema: EditInput,
    async run(input, ctx) {
      const sandbox = await sandboxOf(ctx);
      const path = resolveSandboxPath(input.file_path);
      if (input.old_string === '')
        return textResult(
          'old_string is empty; give the exact text to replace (use `write` to create a file).',
          true,
        );
      if (input.old_string === input.new_string)
        return textResult('old_string and new_string are identical; nothing to change.', true);
      const data = await sandbox.readFile(path);
      if (looksBinary(data)) return textResult(`${path} is a binary file; edit only works on text.`, true);
      const text = data.toString('utf8');
      const count = countOccurrences(text, input.old_string);
      if (count === 0) {
        return textResult(
          `old_string was not found in ${path}. It must match exactly, including whitespace and indentation; read the file to see its current contents.`,
          true,
        );
      }
      if (count > 1 && !input.replace_all) {
        return textResult(
          `old_string occurs ${count} times in ${path}; include more surrounding lines to make it unique, or set replace_all: true.`,
          true,
        );
      }
      // split/join: no `$&`-style patterns in the replacement, unlike String.replace.
      const updated = input.replace_all
        ? text.split(input.old_string).join(input.new_string)
        : text.replace(input.old_string, () => input.new_string);
      await sandbox.writeFile(path, updated);
      return textResult(
        `Edited ${path}: replaced ${input.replace_all ? count : 1} occurrence${(input.replace_all ? count : 1) === 1 ? '' : 's'}.`,
      );
    },
  };
}
