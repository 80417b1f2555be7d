/**
 * Loads `agents/*.yaml` and `agents/environments/*.yaml`, validates them with the zod schemas
 * in `schema.ts`, and reports every problem at once as `file:line: field.path: what is wrong`,
 * the line taken from the YAML node of the failing field (or its nearest existing parent).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';
import { AgentConfig, EnvironmentConfig } from './schema.js';

export interface ConfigProblem {
  file: string;
  line: number;
  /** Dotted field path (`tools[0].name`), or empty for the whole file. */
  field: string;
  message: string;
}

export function formatProblem(p: ConfigProblem): string {
  return p.field ? `${p.file}:${p.line}: ${p.field}: ${p.message}` : `${p.file}:${p.line}: ${p.message}`;
}

/** Invalid configuration; `message` lists every problem, one per line. */
export class ConfigError extends Error {
  readonly code = 'config_invalid';
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
  }
}

export type ConfigKind = 'agent' | 'environment';

export interface LoadedConfig<T> {
  config: T;
  file: string;
  line: number;
}

type Segment = string | number;

/** The node at `path`, or the deepest existing node on the way and the line to blame. */
function lineOf(root: Node | null, path: readonly Segment[], lines: LineCounter, key?: string): number {
  let node: unknown = root;
  let line = node && (node as Node).range ? lines.linePos((node as Node).range?.[0] ?? 0).line : 1;
  const steps: Segment[] = key === undefined ? [...path] : [...path, key];
  for (const [i, seg] of steps.entries()) {
    const last = i === steps.length - 1;
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
      );
      if (!pair) return line;
      const keyNode = pair.key as Node;
      if (keyNode.range) line = lines.linePos(keyNode.range[0]).line;
      // For an unknown key, the key itself is what is wrong.
      if (last && key !== undefined) return line;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
    } else {
      return line;
    }
    const range = (node as Node | null)?.range;
    if (range) line = lines.linePos(range[0]).line;
  }
  return line;
}

function valueAt(data: unknown, path: readonly Segment[]): unknown {
  let v: unknown = data;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}

function shown(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${String(v)}`;
}

const oneOf = (values: readonly unknown[]) => values.map((v) => String(v)).join(', ');

/** One clear sentence for a zod issue, given the value found at its path. */
function describeIssue(issue: z.core.$ZodIssue, value: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) return `is required (expected ${issue.expected})`;
      return `expected ${issue.expected}, got ${shown(value)}`;
    case 'invalid_value':
      return `must be one of ${oneOf(issue.values)} (got ${shown(value)})`;
    case 'invalid_union': {
      const options = (issue as { options?: unknown[] }).options;
      if (options) {
        return value === undefined
          ? `is required: one of ${oneOf(options)}`
          : `must be one of ${oneOf(options)} (got ${shown(value)})`;
      }
      const alternatives = issue.errors.flat().filter((e) => e.path.length === 0);
      const enumAlt = alternatives.find((e) => e.code === 'invalid_value');
      if (enumAlt && enumAlt.code === 'invalid_value')
        return `must be one of ${oneOf(enumAlt.values)} (got ${shown(value)})`;
      const expected = alternatives
        .filter((e) => e.code === 'invalid_type')
        .map((e) => (e.code === 'invalid_type' ? e.expected : ''));
      if (expected.length > 0) return `expected ${expected.join(' or ')}, got ${shown(value)}`;
      return issue.message;
    }
    case 'invalid_format':
      if (issue.format === 'url') return `must be a URL (got ${shown(value)})`;
      if (issue.format === 'regex') return `${issue.message} (got ${shown(value)})`;
      return `${issue.message} (got ${shown(value)})`;
    case 'too_small':
      if (issue.origin === 'array') return `needs at least ${String(issue.minimum)} item(s)`;
      if (issue.origin === 'string')
        return value === '' ? 'must not be empty' : `must be at least ${String(issue.minimum)} characters`;
      return `must be ${issue.inclusive === false ? 'greater than' : 'at least'} ${String(issue.minimum)} (got ${shown(value)})`;
    case 'too_big':
      return `must be ${issue.inclusive === false ? 'less than' : 'at most'} ${String(issue.maximum)} (got ${shown(value)})`;
    default:
      return issue.message;
  }
}

function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}

/** Parses one YAML document and validates it; returns the config or its problems. */
export function parseConfigFile<S extends z.ZodType>(
  schema: S,
  file: string,
  text: string,
): { config?: z.output<S>; line: number; nameLine: number; problems: ConfigProblem[] } {
  const shownFile = displayPath(file);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => ({
      file: shownFile,
      line: e.linePos?.[0].line ?? lines.linePos(e.pos[0]).line,
      field: '',
      message: `YAML syntax error: ${e.message.split('\n')[0] ?? e.message}`,
    }));
    return { line: 1, nameLine: 1, problems };
  }
  const data: unknown = doc.toJS();
  const root = doc.contents as Node | null;
  const rootLine = lineOf(root, [], lines);
  if (data === null || data === undefined) {
    return {
      line: 1,
      nameLine: 1,
      problems: [
        {
          file: shownFile,
          line: 1,
          field: '',
          message: 'the file is empty; expected a mapping with at least `name`',
        },
      ],
    };
  }
  const nameLine = lineOf(root, ['name'], lines);
  const result = schema.safeParse(data);
  if (result.success) return { config: result.data, line: rootLine, nameLine, problems: [] };
  const problems: ConfigProblem[] = [];
  for (const issue of result.error.issues) {
    const path = issue.path.filter((s): s is Segment => typeof s !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        problems.push({
          file: shownFile,
          line: lineOf(root, path, lines, key),
          field: fieldPath([...path, key]),
          message: 'unknown field (check the spelling; see docs/agents.md for the fields)',
        });
      }
      continue;
    }
    problems.push({
      file: shownFile,
      line: lineOf(root, path, lines),
      field: fieldPath(path) || '(document)',
      message: describeIssue(issue, valueAt(data, path)),
    });
  }
  problems.sort((a, b) => a.line - b.line);
  return { line: rootLine, nameLine, problems };
}

async function yamlFiles(dir: string): Promise<string[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return entries
    .filter((e) => e.isFile() && /\.ya?ml$/i.test(e.name))
    .map((e) => join(dir, e.name))
    .sort();
}

async function loadDir<S extends z.ZodType<{ name: string }>>(
  schema: S,
  kind: ConfigKind,
  dir: string,
): Promise<{ loaded: LoadedConfig<z.output<S>>[]; problems: ConfigProblem[] }> {
  const loaded: LoadedConfig<z.output<S>>[] = [];
  const problems: ConfigProblem[] = [];
  const seen = new Map<string, LoadedConfig<z.output<S>>>();
  for (const file of await yamlFiles(resolve(dir))) {
    const parsed = parseConfigFile(schema, file, await readFile(file, 'utf8'));
    problems.push(...parsed.problems);
    if (!parsed.config) continue;
    const entry = { config: parsed.config, file: displayPath(file), line: parsed.nameLine };
    const first = seen.get(parsed.config.name);
    if (first) {
      problems.push({
        file: entry.file,
        line: parsed.nameLine,
        field: 'name',
        message: `${kind} "${parsed.config.name}" is already defined in ${first.file}:${first.line}; names must be unique`,
      });
      continue;
    }
    seen.set(parsed.config.name, entry);
    loaded.push(entry);
  }
  return { loaded, problems };
}

/** Agents with the file each came from; throws ConfigError listing every problem. */
export async function loadAgentFiles(dir: string): Promise<LoadedConfig<AgentConfig>[]> {
  const { loaded, problems } = await loadDir(AgentConfig, 'agent', dir);
  if (problems.length > 0) throw new ConfigError(problems);
  return loaded;
}

export async function loadEnvironmentFiles(dir: string): Promise<LoadedConfig<EnvironmentConfig>[]> {
  const { loaded, problems } = await loadDir(EnvironmentConfig, 'environment', dir);
  if (problems.length > 0) throw new ConfigError(problems);
  return loaded;
}

/** `dir/*.yaml` as agents (a missing directory is no agents). */
export async function loadAgents(dir: string): Promise<AgentConfig[]> {
  return (await loadAgentFiles(dir)).map((l) => l.config);
}

/** `dir/*.yaml` as environments (usually `agents/environments`). */
export async function loadEnvironments(dir: string): Promise<EnvironmentConfig[]> {
  return (await loadEnvironmentFiles(dir)).map((l) => l.config);
}

/** Both at once, so a start-up failure lists the problems of agents and environments together. */
export async function loadConfigDir(
  agentsDir: string,
): Promise<{ agents: AgentConfig[]; environments: EnvironmentConfig[] }> {
  const agents = await loadDir(AgentConfig, 'agent', agentsDir);
  const environments = await loadDir(EnvironmentConfig, 'environment', join(agentsDir, 'environments'));
  const problems = [...agents.problems, ...environments.problems];
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    agents: agents.loaded.map((l) => l.config),
    environments: environments.loaded.map((l) => l.config),
  };
}
