/**
 * The end-of-turn footer in Slack shows the sandbox time of the turn when it used one (the
 * local bubblewrap sandbox here, whose time the harness records per run), and nothing extra
 * when it did not.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logging.js';
import { createLocalSandboxProvider } from '../../src/sandbox/local/index.js';
import { type Tool, textResult } from '../../src/tools/types.js';
import { ALICE, CHANNEL, type SlackHarness, startSlackHarness } from '../chat/slack/harness.js';
import { until } from '../helpers/threadhand.js';

let h: SlackHarness | undefined;
let dataDir: string | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

/** A shell tool over the Sandbox port: runs the command in the session's sandbox. */
const sandboxBash: Tool = {
  name: 'bash',
  description: 'Runs a shell command in the sandbox.',
  input_schema: { type: 'object', properties: { command: { type: 'string' } } },
  kind: 'test',
  permission: 'always_allow',
  async run(input, context) {
    const sandbox = await context.sandbox();
    const result = await sandbox.exec(String(input.command), { signal: context.signal });
    return textResult(`${result.stdout}exit code: ${result.exitCode}`, result.exitCode !== 0);
  },
};

async function footerOf(h: SlackHarness, root: string): Promise<string> {
  const footer = await until(
    () => h.slack.thread(CHANNEL, root).find((m) => h.slack.visibleText(m).includes(' in · ')),
    15_000,
    'the footer',
  );
  return h.slack.visibleText(footer);
}

describe('slack footer: sandbox time', () => {
  it('a turn that ran a command in the local sandbox shows its sandbox time', async () => {
    h = await startSlackHarness({
      agents: [{ name: 'coder', model: 'claude-sonnet-4-6' }],
      tools: [sandboxBash],
      script: [
        { content: [{ type: 'tool_use', name: 'bash', input: { command: 'sleep 0.5' } }] },
        {
          content: [{ type: 'text', text: 'Slept.' }],
          usage: { input_tokens: 1200, output_tokens: 80 },
        },
      ],
    });
    // The harness builds Threadhand without sandboxes; give it the real local one.
    dataDir = mkdtempSync(join(tmpdir(), 'threadhand-footer-'));
    h.t.th.sandboxProviders.push(createLocalSandboxProvider({ dataDir, logger: silentLogger() }));

    const root = await h.say(ALICE, 'sleep a bit');
    const footer = await footerOf(h, root);
    const seconds = /\$0\.\d+ · sandbox (\d+\.\d)s/.exec(footer);
    expect(seconds, footer).not.toBeNull();
    expect(Number(seconds?.[1])).toBeGreaterThanOrEqual(0.5);
  });

  it('a turn that used no sandbox shows nothing extra', async () => {
    h = await startSlackHarness({
      agents: [{ name: 'coder', model: 'claude-sonnet-4-6' }],
      script: [
        {
          content: [{ type: 'text', text: 'All green.' }],
          usage: { input_tokens: 1200, output_tokens: 80 },
        },
      ],
    });
    const root = await h.say(ALICE, 'is the build green?');
    const footer = await footerOf(h, root);
    expect(footer).toContain('1,200 in · 80 out · $0.0048');
    expect(footer).not.toContain('sandbox');
  });
});
