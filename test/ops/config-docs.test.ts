import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EnvSchema } from '../../src/config/env.js';
import { ENV_DOCS, renderConfigurationReference } from '../../src/config/reference.js';

const DOC = join(import.meta.dirname, '../../docs/configuration.md');

describe('docs/configuration.md', () => {
  it('is what src/config/reference.ts generates from the schemas', () => {
    const generated = renderConfigurationReference();
    // `npm run docs:config` sets this to (re)write the file instead of comparing.
    if (process.env.THREADHAND_WRITE_DOCS === '1') writeFileSync(DOC, generated);
    const committed = existsSync(DOC) ? readFileSync(DOC, 'utf8') : '';
    if (committed !== generated) {
      expect.fail(
        'docs/configuration.md is out of date with the zod schemas: run `npm run docs:config` and commit the result.',
      );
    }
  });

  it('documents every environment variable the schema knows, and every endpoint override', () => {
    const doc = readFileSync(DOC, 'utf8');
    for (const name of Object.keys(EnvSchema.shape)) expect(doc, name).toContain(`| \`${name}\` |`);
    expect(Object.keys(ENV_DOCS).sort()).toEqual(Object.keys(EnvSchema.shape).sort());
    const endpoints = doc.split('## External endpoints')[1]?.split('##')[0] ?? '';
    for (const name of [
      'ANTHROPIC_BASE_URL',
      'SLACK_API_URL',
      'DISCORD_API_URL',
      'E2B_DOMAIN',
      'E2B_API_URL',
      'E2B_SANDBOX_URL',
    ]) {
      expect(endpoints, name).toContain(name);
    }
  });

  it('the schema knows every environment variable the code reads', () => {
    const root = join(import.meta.dirname, '../../src');
    const read = new Set<string>();
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (/\.tsx?$/.test(entry.name)) {
          for (const m of readFileSync(path, 'utf8').matchAll(/\benv\.([A-Z][A-Z0-9_]+)/g))
            if (m[1]) read.add(m[1]);
        }
      }
    };
    walk(root);
    // Terminal conventions, not Threadhand settings.
    for (const name of ['PATH', 'TERM', 'NO_COLOR', 'FORCE_COLOR']) read.delete(name);
    const missing = [...read].filter((name) => !(name in EnvSchema.shape));
    expect(missing, 'add these to src/config/env.ts and ENV_DOCS, then run `npm run docs:config`').toEqual(
      [],
    );
  });

  it('lists YAML fields with their defaults', () => {
    const doc = readFileSync(DOC, 'utf8');
    expect(doc).toMatch(/\| `max_tokens` \| integer \| {2}\| `8192` \|/);
    expect(doc).toMatch(/\| `idle_pause_seconds` \| number \| {2}\| `300` \|/);
    expect(doc).toContain('`tools[type=custom].input_schema`');
    expect(doc).toContain('`networking[type=limited].allowed_hosts`');
    // Every YAML row has a description.
    const rows = doc
      .split('\n')
      .filter((l) => /^\| `[a-z_]+[.[\]=a-z_0-9]*` \|/.test(l) && l.split('|').length === 8);
    expect(rows.length).toBeGreaterThan(60);
    for (const row of rows) expect(row.split('|')[6]?.trim(), row).not.toBe('');
  });
});
