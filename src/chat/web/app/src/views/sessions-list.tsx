import { useEffect, useMemo, useState } from 'react';
import { costOf, platformOf, type Session, sessions, threadUrlOf, totalTokens } from '../api.js';
import { age, statusLabel, tokens } from '../format.js';

const POLL_MS = 1500;

/** Every session from every front door, refreshed while the tab is visible. */
export function SessionsList() {
  const [list, setList] = useState<Session[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [query, setQuery] = useState('');
  const [status, setStatus] = useState('all');
  const [door, setDoor] = useState('all');
  const [now, setNow] = useState(Date.now());

  useEffect(() => {
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      if (document.visibilityState === 'visible') {
        try {
          setList(await sessions.list(abort.signal));
          setNow(Date.now());
          setError(null);
        } catch (e) {
          if (!abort.signal.aborted) setError(e instanceof Error ? e.message : String(e));
        }
      }
      if (!abort.signal.aborted) timer = setTimeout(load, POLL_MS);
    };
    void load();
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, []);

  const doors = useMemo(() => [...new Set((list ?? []).map(platformOf))].sort(), [list]);
  const shown = useMemo(() => {
    const q = query.trim().toLowerCase();
    return (list ?? []).filter(
      (s) =>
        (status === 'all' || s.status === status) &&
        (door === 'all' || platformOf(s) === door) &&
        (!q ||
          [s.title ?? '', s.id, s.agent.name, s.environment_id].some((v) => v.toLowerCase().includes(q))),
    );
  }, [list, query, status, door]);

  return (
    <section aria-labelledby="sessions-heading">
      <div className="section-head">
        <h1 id="sessions-heading">Sessions</h1>
        <a className="button primary" href="#/sessions/new">
          New session
        </a>
      </div>
      <search className="filters">
        <label>
          Search
          <input
            type="search"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            placeholder="Title, id, agent"
          />
        </label>
        <label>
          Status
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="all">All</option>
            <option value="running">Running</option>
            <option value="idle">Idle</option>
            <option value="rescheduling">Rescheduling</option>
            <option value="terminated">Terminated</option>
          </select>
        </label>
        <label>
          Front door
          <select value={door} onChange={(e) => setDoor(e.target.value)}>
            <option value="all">All</option>
            {doors.map((d) => (
              <option key={d} value={d}>
                {d}
              </option>
            ))}
          </select>
        </label>
      </search>
      {error ? (
        <p className="form-error" role="alert">
          Could not load sessions: {error}
        </p>
      ) : null}
      {list === null ? <p role="status">Loading…</p> : null}
      {list !== null && shown.length === 0 ? (
        <p className="muted">
          {list.length === 0 ? 'No sessions yet. Start one with “New session”.' : 'No session matches.'}
        </p>
      ) : null}
      <ul className="session-list" aria-label="Sessions">
        {shown.map((s) => {
          const url = threadUrlOf(s);
          return (
            <li key={s.id} className="session-row" data-session-id={s.id}>
              <a className="session-title" href={`#/sessions/${encodeURIComponent(s.id)}`}>
                {s.title || s.id}
              </a>
              <span className={`badge status-${s.status}`}>{statusLabel(s)}</span>
              <span className="meta">
                <span title="Front door">{platformOf(s)}</span>
                {url ? (
                  <a href={url} target="_blank" rel="noopener noreferrer">
                    thread
                  </a>
                ) : null}
                <span title="Agent">{s.agent.name}</span>
                <span title="Environment">{s.environment_id}</span>
                <span title={`Created ${new Date(s.created_at).toLocaleString()}`}>
                  {age(s.created_at, now)} ago
                </span>
                <span title="Tokens (input + output + cache)">{tokens(totalTokens(s.usage))} tokens</span>
                {costOf(s) ? <span title="Cost">{costOf(s)}</span> : null}
              </span>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
