import { useEffect, useState } from 'react';
import { type Agent, type Credential, type Environment, listAll, type Vault } from '../api.js';

function useList<T>(path: string): { data: T[] | null; error: string | null } {
  const [data, setData] = useState<T[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const abort = new AbortController();
    listAll<T>(path, abort.signal).then(
      setData,
      (e: unknown) => !abort.signal.aborted && setError(e instanceof Error ? e.message : String(e)),
    );
    return () => abort.abort();
  }, [path]);
  return { data, error };
}

function Loading({ error, empty, what }: { error: string | null; empty: boolean | null; what: string }) {
  if (error)
    return (
      <p className="form-error" role="alert">
        Could not load {what}: {error}
      </p>
    );
  if (empty === null) return <p role="status">Loading…</p>;
  if (empty) return <p className="muted">No {what}.</p>;
  return null;
}

const toolName = (t: Record<string, unknown>): string =>
  typeof t.name === 'string'
    ? t.name
    : typeof t.mcp_server_name === 'string'
      ? `mcp: ${t.mcp_server_name}`
      : String(t.type ?? 'tool');

export function AgentsView() {
  const { data, error } = useList<Agent>('/agents');
  return (
    <section aria-labelledby="agents-heading">
      <h1 id="agents-heading">Agents</h1>
      <Loading error={error} empty={data ? data.length === 0 : null} what="agents" />
      <ul className="cards">
        {(data ?? []).map((a) => (
          <li key={a.id} className="card">
            <h2>
              {a.name}{' '}
              <span className="muted small">
                v{a.version} · {a.threadhand?.source ?? 'api'}
              </span>
            </h2>
            {a.description ? <p>{a.description}</p> : null}
            <dl>
              <dt>Id</dt>
              <dd>
                <code>{a.id}</code>
              </dd>
              <dt>Model</dt>
              <dd>
                {a.model.id}
                {a.model.effort ? ` (effort ${a.model.effort.type})` : ''}
              </dd>
              <dt>Tools</dt>
              <dd>{a.tools.length ? a.tools.map(toolName).join(', ') : 'none'}</dd>
              {a.mcp_servers.length ? (
                <>
                  <dt>MCP servers</dt>
                  <dd>{a.mcp_servers.map((s) => s.name).join(', ')}</dd>
                </>
              ) : null}
            </dl>
            {a.system ? (
              <details>
                <summary>System prompt</summary>
                <pre className="wrap">{a.system}</pre>
              </details>
            ) : null}
          </li>
        ))}
      </ul>
    </section>
  );
}

export function EnvironmentsView() {
  const { data, error } = useList<Environment>('/environments');
  return (
    <section aria-labelledby="envs-heading">
      <h1 id="envs-heading">Environments</h1>
      <Loading error={error} empty={data ? data.length === 0 : null} what="environments" />
      <ul className="cards">
        {(data ?? []).map((e) => (
          <li key={e.id} className="card">
            <h2>
              {e.name} <span className="muted small">{e.threadhand?.source ?? 'api'}</span>
            </h2>
            {e.description ? <p>{e.description}</p> : null}
            <dl>
              <dt>Id</dt>
              <dd>
                <code>{e.id}</code>
              </dd>
              <dt>Provider</dt>
              <dd>{e.threadhand?.provider ?? 'unknown'}</dd>
              <dt>Networking</dt>
              <dd>
                <code>{JSON.stringify(e.config.networking ?? null)}</code>
              </dd>
              <dt>Packages</dt>
              <dd>
                <code>
                  {JSON.stringify(
                    Object.fromEntries(Object.entries(e.config.packages ?? {}).filter(([k]) => k !== 'type')),
                  )}
                </code>
              </dd>
            </dl>
          </li>
        ))}
      </ul>
    </section>
  );
}

function VaultCredentials({ vault }: { vault: Vault }) {
  const { data, error } = useList<Credential>(`/vaults/${encodeURIComponent(vault.id)}/credentials`);
  return (
    <li className="card">
      <h2>{vault.display_name ?? vault.id}</h2>
      <Loading error={error} empty={data ? data.length === 0 : null} what="credentials" />
      <ul className="plain">
        {(data ?? []).map((c) => (
          <li key={c.id}>
            {c.display_name ?? c.id} <span className="muted small">{c.auth.type.replace(/_/g, ' ')}</span>
          </li>
        ))}
      </ul>
    </li>
  );
}

/** Credentials by name only: the API never returns secrets, and the console asks for none. */
export function VaultsView() {
  const { data, error } = useList<Vault>('/vaults');
  return (
    <section aria-labelledby="vaults-heading">
      <h1 id="vaults-heading">Vaults</h1>
      <p className="muted">Credentials are listed by name; their secrets never leave the server.</p>
      <Loading error={error} empty={data ? data.length === 0 : null} what="vaults" />
      <ul className="cards">
        {(data ?? []).map((v) => (
          <VaultCredentials key={v.id} vault={v} />
        ))}
      </ul>
    </section>
  );
}
