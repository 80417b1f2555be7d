import { describe, expect, it } from 'vitest';
import { createOutputBuffer } from '../../src/sandbox/output-buffer.js';
import { resolveSandboxPath, shellQuote } from '../../src/sandbox/paths.js';

describe('output buffer', () => {
  it('keeps everything under the cap', () => {
    const buffer = createOutputBuffer(100);
    buffer.push(Buffer.from('hello '));
    buffer.push(Buffer.from('world'));
    expect(buffer.text()).toBe('hello world');
    expect(buffer.truncated).toBe(false);
  });

  it('keeps the head and the tail past the cap, saying how much was cut', () => {
    const buffer = createOutputBuffer(20);
    for (let i = 0; i < 100; i += 1) buffer.push(Buffer.from(`${String(i).padStart(3, '0')}\n`));
    expect(buffer.truncated).toBe(true);
    expect(buffer.totalBytes).toBe(400);
    expect(buffer.text()).toBe('000\n001\n00\n[... 380 bytes of output truncated ...]\n7\n098\n099\n');
  });
});

describe('sandbox paths', () => {
  it('resolves relative paths under /workspace and normalises', () => {
    expect(resolveSandboxPath('a/b/../c.txt')).toBe('/workspace/a/c.txt');
    expect(resolveSandboxPath('/tmp/x')).toBe('/tmp/x');
    expect(resolveSandboxPath('.')).toBe('/workspace');
    expect(resolveSandboxPath('')).toBe('/workspace');
  });

  it('quotes anything for the shell', () => {
    expect(shellQuote("it's $HOME")).toBe(`'it'\\''s $HOME'`);
  });
});
