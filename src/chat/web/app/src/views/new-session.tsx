import { useEffect, useState } from 'react';
import { type Agent, type Environment, listAll, sessions } from '../api.js';
import { go } from '../router.js';

/** Pick agent and environment, type a task, go. */
export function NewSession() {
  const [agents, setAgents] = useState<Agent[]>([]);
  const [envs, setEnvs] = useState<Environment[]>([]);
  const [agent, setAgent] = useState('');
  const [env, setEnv] = useState('');
  const [task, setTask] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const abort = new AbortController();
    void Promise.all([
      listAll<Agent>('/agents', abort.signal),
      listAll<Environment>('/environments', abort.signal),
    ])
      .then(([a, e]) => {
        setAgents(a);
        setEnvs(e);
        setAgent((v) => v || a[0]?.id || '');
        setEnv((v) => v || e[0]?.id || '');
      })
      .catch((e: unknown) => !abort.signal.aborted && setError(e instanceof Error ? e.message : String(e)));
    return () => abort.abort();
  }, []);

  async function start() {
    if (!task.trim() || !agent) return;
    setBusy(true);
    setError(null);
    try {
      const firstLine = task.trim().split('\n')[0] ?? '';
      const session = await sessions.create({
        agent,
        ...(env ? { environment_id: env } : {}),
        title: firstLine.length > 80 ? `${firstLine.slice(0, 77)}…` : firstLine,
        metadata: { 'threadhand.platform': 'web', 'threadhand.thread': crypto.randomUUID() },
        initial_events: [{ type: 'user.message', content: [{ type: 'text', text: task.trim() }] }],
      });
      go(`#/sessions/${encodeURIComponent(session.id)}`);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="new-heading" className="narrow">
      <h1 id="new-heading">New session</h1>
      <form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          void start();
        }}
      >
        <label htmlFor="new-agent">Agent</label>
        <select id="new-agent" value={agent} onChange={(e) => setAgent(e.target.value)} required>
          {agents.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
              {a.description ? ` — ${a.description}` : ''}
            </option>
          ))}
        </select>
        <label htmlFor="new-env">Environment</label>
        <select id="new-env" value={env} onChange={(e) => setEnv(e.target.value)}>
          {envs.map((e) => (
            <option key={e.id} value={e.id}>
              {e.name}
              {e.threadhand?.provider ? ` (${e.threadhand.provider})` : ''}
            </option>
          ))}
        </select>
        <label htmlFor="new-task">Task</label>
        <textarea
          id="new-task"
          rows={6}
          value={task}
          onChange={(e) => setTask(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) {
              e.preventDefault();
              void start();
            }
          }}
          placeholder="What should the agent do?"
          required
        />
        {error ? (
          <p className="form-error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={busy || !task.trim() || !agent}>
          {busy ? 'Starting…' : 'Start session'}
        </button>
      </form>
    </section>
  );
}
