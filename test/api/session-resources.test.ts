/**
 * Files API and session resources through the official SDK against a real Threadhand: the
 * fake model asks `bash` to look at what was mounted, in a real local bubblewrap sandbox.
 * Repositories come from a local `git http-backend` that demands a bearer token.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Anthropic, { toFile } from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp, type HttpServer, startHttpServer } from '../../src/api/http.js';
import { createApiRoutes } from '../../src/api/index.js';
import { createLayeredCatalog } from '../../src/api/records.js';
import { AgentConfig, EnvironmentConfig } from '../../src/config/schema.js';
import { createLogger } from '../../src/logging.js';
import { createSqliteStores } from '../../src/store/sqlite/index.js';
import { createBuiltinToolset } from '../../src/tools/builtin/index.js';
import type { FakeTurn, RecordedRequest } from '../fakes/anthropic/server.js';
import { type FakeGitServer, startFakeGitServer } from '../fakes/git/server.js';
import { startTestThreadhand, staticCatalog, type TestThreadhand, until } from '../helpers/threadhand.js';

const API_KEY = 'th-test-resources';
const GIT_TOKEN = `gittok_${randomBytes(12).toString('hex')}`;
const MAX_FILE_BYTES = 4096;

/**
 * The fake model: a user message `RUN: <command>` becomes one bash call; once the tool
 * result is in, it answers "done".
 */
function script(request: RecordedRequest): FakeTurn {
  // biome-ignore lint/suspicious/noExplicitAny: Messages API request body
  const last = request.body.messages.at(-1) as any;
  const blocks: { type: string; text?: string }[] = Array.isArray(last.content)
    ? last.content
    : [{ type: 'text', text: String(last.content) }];
  const command = blocks.find((b) => b.type === 'text' && b.text?.startsWith('RUN: '))?.text?.slice(5);
  if (last.role === 'user' && command)
    return { content: [{ type: 'tool_use', name: 'bash', input: { command } }] };
  return { content: [{ type: 'text', text: 'done' }] };
}

let dir: string;
let t: TestThreadhand;
let server: HttpServer;
let client: Anthropic;
let git: FakeGitServer;
let shas: string[];
const logLines: string[] = [];
const responses: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'th-resources-'));
  git = await startFakeGitServer({ token: GIT_TOKEN });
  shas = git.createRepository('tools', [
    { files: { 'README.md': 'tools v1\n' } },
    { files: { 'README.md': 'tools v2 on main\n' } },
    { branch: 'feature', files: { 'feature.txt': 'feature branch file\n' } },
  ]);
  const stores = createSqliteStores({ dir });
  const yaml = staticCatalog(
    [AgentConfig.parse({ name: 'coder', model: 'claude-test', tools: [{ type: 'agent_toolset_20260401' }] })],
    [EnvironmentConfig.parse({ name: 'default' })],
  );
  // Every log line Threadhand writes, to prove the token never reaches one.
  const logger = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk));
        done();
      },
    }),
  });
  t = await startTestThreadhand({
    script,
    dir,
    stores,
    logger,
    dataDir: join(dir, 'data'),
    env: {},
    catalog: createLayeredCatalog(yaml, stores.resources),
    sandboxProviders: undefined,
    toolSources: [
      async (ctx) => ({ tools: createBuiltinToolset({ agent: ctx.agent, environment: ctx.environment }) }),
    ],
  });
  const app = createHttpApp();
  app.route(
    '/v1',
    createApiRoutes({
      runtime: t.th.runtime,
      catalog: yaml,
      stores,
      logger,
      apiKeys: [API_KEY],
      maxFileBytes: MAX_FILE_BYTES,
      allowFileRepositories: true,
    }),
  );
  server = await startHttpServer(app, { host: '127.0.0.1', port: 0, apiKeys: [API_KEY] });
  // Every response body the SDK sees, to prove the token never comes back.
  const recordingFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    responses.push(await response.clone().text());
    return response;
  };
  client = new Anthropic({
    baseURL: server.url,
    apiKey: API_KEY,
    maxRetries: 0,
    timeout: 60_000,
    fetch: recordingFetch,
  });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await t?.close();
  await git?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function errorOf(promise: Promise<unknown>): Promise<InstanceType<typeof Anthropic.APIError>> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof Anthropic.APIError) return err;
    throw err;
  }
  throw new Error('expected the request to fail');
}

/** Waits until the session went idle `idles` times; returns the bash tool results' text. */
async function toolOutputs(sessionId: string, idles: number): Promise<string[]> {
  await until(async () => {
    const events = await t.events(sessionId);
    return events.filter((e) => e.type === 'session.status_idle').length >= idles;
  }, 60_000);
  const listed = [];
  for await (const event of client.beta.sessions.events.list(sessionId)) listed.push(event);
  return listed.flatMap((e) => (e.type === 'agent.tool_result' ? [JSON.stringify(e.content)] : []));
}

/** The SDK's resource union includes memory stores, which have no id. */
const idOf = (resource: unknown) => (resource as { id: string }).id;

const run = (command: string) => ({
  type: 'user.message' as const,
  content: [{ type: 'text' as const, text: `RUN: ${command}` }],
});

async function upload(name: string, content: string) {
  return client.beta.files.upload({ file: await toFile(Buffer.from(content), name, { type: 'text/plain' }) });
}

describe('files API', () => {
  it('uploads, lists, retrieves, downloads and deletes files; refuses files over the cap with 413', async () => {
    const content = `report ${randomBytes(6).toString('hex')}\n`;
    const file = await upload('report.txt', content);
    expect(file).toEqual({
      id: expect.stringMatching(/^file_/),
      type: 'file',
      filename: 'report.txt',
      mime_type: 'text/plain',
      size_bytes: Buffer.byteLength(content),
      created_at: expect.any(String),
      downloadable: true,
    });
    expect(await client.beta.files.retrieveMetadata(file.id)).toEqual(file);
    const listed = [];
    for await (const f of client.beta.files.list({ limit: 1 })) listed.push(f.id);
    expect(listed).toContain(file.id);
    const download = await client.beta.files.download(file.id);
    expect(await download.text()).toBe(content);

    const big = await errorOf(upload('big.bin', 'x'.repeat(MAX_FILE_BYTES + 1)));
    expect(big.status).toBe(413);
    expect(big.error).toMatchObject({ type: 'error', error: { type: 'request_too_large' } });
    expect(big.message).toMatch(new RegExp(`limit of ${MAX_FILE_BYTES} bytes`));

    expect(await client.beta.files.delete(file.id)).toEqual({ id: file.id, type: 'file_deleted' });
    expect((await errorOf(client.beta.files.retrieveMetadata(file.id))).status).toBe(404);
    expect((await errorOf(client.beta.files.download(file.id))).status).toBe(404);
  });
});

describe('file resources', () => {
  it('mounts a file given on session create where bash can cat it', async () => {
    const marker = `mounted-${randomBytes(6).toString('hex')}`;
    const file = await upload('hello.txt', `${marker}\n`);
    const session = await client.beta.sessions.create({
      agent: 'coder',
      environment_id: 'default',
      resources: [{ type: 'file', file_id: file.id, mount_path: 'notes/hello.txt' }],
      initial_events: [run('cat /workspace/notes/hello.txt')],
    } as Anthropic.Beta.SessionCreateParams);
    const resource = {
      id: expect.stringMatching(/^sesrsc_/),
      type: 'file',
      file_id: file.id,
      mount_path: '/workspace/notes/hello.txt',
      created_at: expect.any(String),
      updated_at: expect.any(String),
    };
    expect(session.resources).toEqual([resource]);
    const outputs = await toolOutputs(session.id, 1);
    expect(outputs).toHaveLength(1);
    expect(outputs[0]).toContain(marker);

    const id = idOf(session.resources[0]);
    expect((await client.beta.sessions.resources.list(session.id)).data).toEqual([resource]);
    expect(await client.beta.sessions.resources.retrieve(id, { session_id: session.id })).toEqual(resource);
  });

  it('refuses mount paths outside /workspace and unknown files with a 400 naming the field', async () => {
    const file = await upload('x.txt', 'x');
    for (const mount_path of ['/etc/passwd', '../outside.txt', '/workspace']) {
      const err = await errorOf(
        client.beta.sessions.create({
          agent: 'coder',
          environment_id: 'default',
          resources: [{ type: 'file', file_id: file.id, mount_path }],
        } as Anthropic.Beta.SessionCreateParams),
      );
      expect(err.status).toBe(400);
      expect(err.error).toMatchObject({
        error: {
          type: 'invalid_request_error',
          message: expect.stringMatching(/^resources\.0\.mount_path: must be a path inside \/workspace/),
        },
      });
    }
    const session = await client.beta.sessions.create({ agent: 'coder', environment_id: 'default' });
    const add = await errorOf(
      client.beta.sessions.resources.add(session.id, {
        type: 'file',
        file_id: file.id,
        mount_path: '/tmp/x',
      }),
    );
    expect(add.status).toBe(400);
    expect(add.message).toMatch(/mount_path: must be a path inside \/workspace/);
    const missing = await errorOf(
      client.beta.sessions.resources.add(session.id, { type: 'file', file_id: 'file_nope' }),
    );
    expect(missing.status).toBe(400);
    expect(missing.message).toMatch(/file_id: no file file_nope/);
    expect((await client.beta.sessions.resources.list(session.id)).data).toEqual([]);
  });

  it('mounts a file added after the sandbox exists before the next tool call; delete removes it from the list', async () => {
    const session = await client.beta.sessions.create({
      agent: 'coder',
      environment_id: 'default',
      initial_events: [run('ls /workspace/late.txt')],
    });
    const before = await toolOutputs(session.id, 1);
    expect(before[0]).toMatch(/No such file/);

    const marker = `late-${randomBytes(6).toString('hex')}`;
    const file = await upload('late.txt', `${marker}\n`);
    const added = await client.beta.sessions.resources.add(session.id, {
      type: 'file',
      file_id: file.id,
      mount_path: '/workspace/late.txt',
    });
    expect(added).toMatchObject({ type: 'file', file_id: file.id, mount_path: '/workspace/late.txt' });
    await client.beta.sessions.events.send(session.id, { events: [run('cat /workspace/late.txt')] });
    const after = await toolOutputs(session.id, 2);
    expect(after[1]).toContain(marker);

    expect(await client.beta.sessions.resources.delete(added.id, { session_id: session.id })).toEqual({
      id: added.id,
      type: 'session_resource_deleted',
    });
    expect((await client.beta.sessions.resources.list(session.id)).data).toEqual([]);
    expect(
      (await errorOf(client.beta.sessions.resources.retrieve(added.id, { session_id: session.id }))).status,
    ).toBe(404);
  });
});

describe('github_repository resources', () => {
  it('clones over HTTP with the token as a header; the token is nowhere in the sandbox, the API or the logs', async () => {
    const seenBefore = git.authorizations.length;
    const session = await client.beta.sessions.create({
      agent: 'coder',
      environment_id: 'default',
      resources: [
        {
          type: 'github_repository',
          url: `${git.url}/tools.git`,
          authorization_token: GIT_TOKEN,
          checkout: { type: 'branch', name: 'feature' },
          mount_path: 'src/tools',
        },
      ],
      initial_events: [
        run(
          'cd /workspace/src/tools && cat feature.txt README.md && git branch --show-current; cat .git/config; env; grep -r "$(printf %s gittok_)" /workspace /tmp; echo grep-exit=$?',
        ),
      ],
    });
    expect(session.resources).toEqual([
      {
        id: expect.stringMatching(/^sesrsc_/),
        type: 'github_repository',
        url: `${git.url}/tools.git`,
        checkout: { type: 'branch', name: 'feature' },
        mount_path: '/workspace/src/tools',
        created_at: expect.any(String),
        updated_at: expect.any(String),
      },
    ]);
    const [output = ''] = await toolOutputs(session.id, 1);
    expect(output).toContain('feature branch file');
    expect(output).toContain('tools v2 on main');
    expect(output).toContain(`url = ${git.url}/tools.git`);
    expect(output).toContain('grep-exit=1');
    expect(output).not.toContain(GIT_TOKEN);
    // The server got the token as a bearer header.
    expect(git.authorizations.slice(seenBefore)).toContain(`Bearer ${GIT_TOKEN}`);

    const id = idOf(session.resources[0]);
    await client.beta.sessions.resources.retrieve(id, { session_id: session.id });
    await client.beta.sessions.resources.list(session.id);
    await client.beta.sessions.retrieve(session.id);
    for await (const _ of client.beta.sessions.events.list(session.id));
    expect(responses.join('\n')).not.toContain(GIT_TOKEN);
    expect(JSON.stringify(await t.events(session.id))).not.toContain(GIT_TOKEN);
    expect(logLines.join('')).toContain('resource mounted');
    expect(logLines.join('')).not.toContain(GIT_TOKEN);
  });

  it('rotates the token with resources.update: a clone refused for a bad token succeeds on the next tool call', async () => {
    const session = await client.beta.sessions.create({
      agent: 'coder',
      environment_id: 'default',
      resources: [
        { type: 'github_repository', url: `${git.url}/tools.git`, authorization_token: 'wrong-token' },
      ],
      initial_events: [run('cat /workspace/tools/README.md')],
    });
    expect(session.resources[0]?.mount_path).toBe('/workspace/tools');
    const [refused = ''] = await toolOutputs(session.id, 1);
    expect(refused).toMatch(/No such file/);

    const id = idOf(session.resources[0]);
    const updated = await client.beta.sessions.resources.update(id, {
      session_id: session.id,
      authorization_token: GIT_TOKEN,
    });
    expect(updated).toMatchObject({ id, type: 'github_repository', url: `${git.url}/tools.git` });
    expect(JSON.stringify(updated)).not.toContain('token');
    await client.beta.sessions.events.send(session.id, { events: [run('cat /workspace/tools/README.md')] });
    const outputs = await toolOutputs(session.id, 2);
    expect(outputs[1]).toContain('tools v2 on main');
    expect(responses.join('\n')).not.toContain(GIT_TOKEN);
  });

  it('refuses file:// repositories unless the operator allowed them', async () => {
    const app = createHttpApp();
    app.route(
      '/v1',
      createApiRoutes({
        runtime: t.th.runtime,
        catalog: t.th.catalog,
        stores: t.th.stores,
        logger: t.th.logger,
        apiKeys: [API_KEY],
      }),
    );
    const res = await app.request('/v1/sessions', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-api-key': API_KEY,
        'anthropic-version': '2023-06-01',
      },
      body: JSON.stringify({
        agent: 'coder',
        environment_id: 'default',
        resources: [{ type: 'github_repository', url: `file://${git.root}/tools.git` }],
      }),
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain(
      'resources.0.url: file:// repositories are off; the operator can allow them with THREADHAND_GIT_FILE_URLS=true',
    );
  });

  it('checks out a commit from a file:// URL and refuses other URL schemes and credentials in the URL', async () => {
    const session = await client.beta.sessions.create({
      agent: 'coder',
      environment_id: 'default',
      resources: [
        {
          type: 'github_repository',
          url: `file://${git.root}/tools.git`,
          checkout: { type: 'commit', sha: shas[0] ?? '' },
          mount_path: '/workspace/old',
        },
      ],
      initial_events: [run('cat /workspace/old/README.md && git -C /workspace/old rev-parse HEAD')],
    });
    const [output = ''] = await toolOutputs(session.id, 1);
    expect(output).toContain('tools v1');
    expect(output).toContain(shas[0]);

    for (const [url, message] of [
      ['ssh://git@example.com/x.git', /resources\.0\.url: ssh: URLs are not supported/],
      ['https://user:secret@example.com/x.git', /resources\.0\.url: do not put credentials in the URL/],
    ] as const) {
      const err = await errorOf(
        client.beta.sessions.create({
          agent: 'coder',
          environment_id: 'default',
          resources: [{ type: 'github_repository', url }],
        }),
      );
      expect(err.status).toBe(400);
      expect(err.message).toMatch(message);
    }
  });
});
