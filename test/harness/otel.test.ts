import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { textResult } from '../../src/tools/types.js';
import { startTestThreadhand, type TestThreadhand, text, until } from '../helpers/threadhand.js';

let t: TestThreadhand | undefined;
let collector: Server | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
  await new Promise((r) => collector?.close(r));
});

describe('OpenTelemetry export', () => {
  it('sends each run as a trace to the OTLP endpoint: run root, model requests and tool calls as children', async () => {
    const bodies: { path: string; type: string; body: string }[] = [];
    collector = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        bodies.push({ path: req.url ?? '', type: req.headers['content-type'] ?? '', body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => collector!.listen(0, '127.0.0.1', r));
    const port = (collector.address() as { port: number }).port;
    t = await startTestThreadhand({
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` },
      extraTools: [
        {
          name: 'echo',
          description: 'Echo.',
          input_schema: { type: 'object' },
          kind: 'test',
          permission: 'always_allow',
          run: async () => textResult('echoed'),
        },
      ],
      script: [
        { content: [{ type: 'tool_use', name: 'echo', input: {} }] },
        { content: [{ type: 'text', text: 'done' }] },
      ],
    });
    const s = await t.th.runtime.createSession({ initialEvents: [text('go')] });
    await t.th.runtime.waitForIdle(s.id);
    await until(() => bodies.some((b) => b.body.includes('threadhand.run')), 10_000, 'the run span');
    type OtlpSpan = {
      traceId: string;
      spanId: string;
      parentSpanId?: string;
      name: string;
      attributes: { key: string; value: { stringValue?: string } }[];
    };
    const spans: OtlpSpan[] = bodies
      .filter((b) => b.path === '/v1/traces' && b.type.includes('json'))
      .flatMap((b) =>
        (
          JSON.parse(b.body) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] }
        ).resourceSpans.flatMap((r) => r.scopeSpans.flatMap((x) => x.spans)),
      );
    const root = spans.find((x) => x.name === 'threadhand.run')!;
    expect(root.attributes.find((a) => a.key === 'threadhand.session_id')?.value.stringValue).toBe(s.id);
    const children = spans.filter((x) => x.parentSpanId === root.spanId);
    expect(children.map((x) => x.name).sort()).toEqual([
      'threadhand.model',
      'threadhand.model',
      'threadhand.tool',
    ]);
    expect(children.every((x) => x.traceId === root.traceId)).toBe(true);
    expect(JSON.stringify(children)).toContain('echo');
  });
});
