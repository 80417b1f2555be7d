/**
 * Local sandbox figures next to raw bubblewrap, measured in the same run: cold start (new
 * session: workspace + first command), exec overhead per command (unrestricted and limited
 * networking, the latter with its socat bridge) and a bash tool call (persistent-shell
 * wrapper), each against `bwrap` started directly with a minimal read-only root running the
 * same `true`. Prints a table and returns the figures; never fails on timing.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AgentConfig, EnvironmentConfig } from '../src/config/schema.js';
import { silentLogger } from '../src/logging.js';
import { findExecutable } from '../src/sandbox/local/doctor.js';
import { createLocalSandboxProvider } from '../src/sandbox/local/provider.js';
import { createBuiltinToolset } from '../src/tools/builtin/index.js';
import { printTable, ratio, summary } from './stats.js';

function rawBwrap(bwrap: string, command: string): Promise<number> {
  const args = [
    '--ro-bind',
    '/usr',
    '/usr',
    '--symlink',
    'usr/bin',
    '/bin',
    '--symlink',
    'usr/lib',
    '/lib',
    '--symlink',
    'usr/lib64',
    '/lib64',
    '--dev',
    '/dev',
    '--proc',
    '/proc',
    '--unshare-pid',
    '--die-with-parent',
    '--',
    '/bin/bash',
    '-c',
    command,
  ];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(bwrap, args, { stdio: 'ignore', env: {} });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(performance.now() - started) : reject(new Error(`raw bwrap exited ${code}`)),
    );
  });
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

export async function run(options: { smoke?: boolean } = {}): Promise<Record<string, unknown>> {
  const bwrap = findExecutable('bwrap');
  if (!bwrap) throw new Error('bwrap is not installed (sudo apt-get install -y bubblewrap)');
  const iterations = options.smoke ? 5 : 30;
  const dataDir = mkdtempSync(join(tmpdir(), 'th-sandbox-bench-'));
  const provider = createLocalSandboxProvider({ dataDir, logger: silentLogger() });
  const open = EnvironmentConfig.parse({ name: 'bench' });
  const limited = EnvironmentConfig.parse({
    name: 'bench-limited',
    networking: { type: 'limited', allowed_hosts: ['example.com'] },
  });
  const tools = createBuiltinToolset({
    agent: AgentConfig.parse({ name: 'bench', model: 'm', tools: [{ type: 'agent_toolset_20260401' }] }),
    environment: open,
  });
  const bash = tools.find((t) => t.name === 'bash');
  const samples = {
    raw: [] as number[],
    cold: [] as number[],
    exec: [] as number[],
    limited: [] as number[],
    bashTool: [] as number[],
  };
  try {
    await rawBwrap(bwrap, 'true'); // warm the page cache
    const warm = await provider.get('sesn_benchwarm', open);
    const lim = await provider.get('sesn_benchlimited', limited);
    for (let i = 0; i < iterations; i += 1) {
      samples.raw.push(await rawBwrap(bwrap, 'true'));
      samples.cold.push(
        await timed(async () => (await provider.get(`sesn_benchcold${i}`, open)).exec('true')),
      );
      samples.exec.push(await timed(() => warm.exec('true')));
      samples.limited.push(await timed(() => lim.exec('true')));
      samples.bashTool.push(
        await timed(
          () =>
            bash?.run?.(
              { command: 'true' },
              {
                sessionId: 'sesn_benchwarm',
                toolUseId: 'b',
                signal: new AbortController().signal,
                onProgress: () => {},
                sandbox: async () => warm,
              },
            ) ?? Promise.resolve(),
        ),
      );
    }
  } finally {
    await provider.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const raw = summary(samples.raw);
  const row = (what: string, values: number[]) => {
    const s = summary(values);
    return { what, p50_ms: s.p50, p95_ms: s.p95, vs_raw_p50: ratio(s.p50, raw.p50), n: s.n };
  };
  const rows = [
    row('raw bwrap (minimal ro root, bash -c true)', samples.raw),
    row('local sandbox cold start (new session + first exec)', samples.cold),
    row('local sandbox exec (unrestricted)', samples.exec),
    row('local sandbox exec (limited: netns + socat bridge)', samples.limited),
    row('bash tool call (persistent shell)', samples.bashTool),
  ];
  printTable('Local sandbox (bubblewrap) vs raw bwrap', rows);
  return { rows };
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url)
  await run({ smoke: process.argv.includes('--smoke') });
