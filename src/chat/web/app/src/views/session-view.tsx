import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { ApiFailure, costOf, platformOf, type Session, sessions, threadUrlOf, totalTokens } from '../api.js';
import { Composer } from '../components/composer.js';
import { TimelineItem } from '../components/timeline-item.js';
import { Trace } from '../components/trace.js';
import { tokens } from '../format.js';
import { openEventStream, type StreamState } from '../sse.js';
import { Timeline, type TimelineState } from '../timeline.js';

/** A session's live timeline: history from the events list, then the SSE stream from there. */
export function SessionView({ id }: { id: string }) {
  const [session, setSession] = useState<Session | null>(null);
  const [state, setState] = useState<TimelineState | null>(null);
  const [conn, setConn] = useState<StreamState>('connecting');
  const [error, setError] = useState<string | null>(null);
  const [view, setView] = useState<'timeline' | 'trace'>('timeline');
  const endRef = useRef<HTMLDivElement>(null);
  const stick = useRef(true);

  useEffect(() => {
    const abort = new AbortController();
    const timeline = new Timeline();
    let frame = 0;
    const publish = () => {
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        setState(timeline.state());
      });
    };
    void (async () => {
      try {
        const [s, history] = await Promise.all([
          sessions.get(id, abort.signal),
          sessions.events(id, abort.signal),
        ]);
        setSession(s);
        for (const event of history) timeline.applyEvent(event);
        setState(timeline.state());
        openEventStream({
          sessionId: id,
          lastEventId: timeline.state().lastEventId ?? s.threadhand?.last_event_id ?? null,
          signal: abort.signal,
          onEvent: (event) => timeline.applyEvent(event) && publish(),
          onDelta: (delta) => {
            timeline.applyDelta(delta);
            publish();
          },
          onState: setConn,
          onFatal: (status) =>
            setError(
              status === 404
                ? 'This session no longer exists.'
                : `The event stream was refused (HTTP ${status}).`,
            ),
        });
      } catch (e) {
        if (abort.signal.aborted) return;
        setError(
          e instanceof ApiFailure && e.status === 404
            ? `No session ${id}.`
            : e instanceof Error
              ? e.message
              : String(e),
        );
      }
    })();
    return () => {
      abort.abort();
      cancelAnimationFrame(frame);
    };
  }, [id]);

  useEffect(() => {
    const onScroll = () => {
      stick.current = window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 120;
    };
    window.addEventListener('scroll', onScroll, { passive: true });
    return () => window.removeEventListener('scroll', onScroll);
  }, []);
  // biome-ignore lint/correctness/useExhaustiveDependencies: follow the end of the timeline whenever it changes
  useLayoutEffect(() => {
    if (stick.current) endRef.current?.scrollIntoView({ block: 'end' });
  }, [state]);

  const confirm = useCallback(
    async (toolUseId: string, result: 'allow' | 'deny', reason?: string) => {
      await sessions.send(id, [
        {
          type: 'user.tool_confirmation',
          tool_use_id: toolUseId,
          result,
          ...(reason ? { deny_message: reason } : {}),
        },
      ]);
    },
    [id],
  );

  if (error && !state) {
    return (
      <section>
        <h1>Session</h1>
        <p className="form-error" role="alert">
          {error}
        </p>
        <a href="#/">Back to sessions</a>
      </section>
    );
  }
  if (!session || !state) return <p role="status">Loading session…</p>;

  const status = state.status === 'unknown' ? session.status : state.status;
  const url = threadUrlOf(session);
  const statusText =
    status === 'idle' && state.stopReason ? `idle · ${state.stopReason.replace(/_/g, ' ')}` : status;

  return (
    <section className="session" aria-labelledby="session-heading">
      <div className="session-head">
        <h1 id="session-heading">{session.title || session.id}</h1>
        <p className="meta">
          <span className={`badge status-${status}`} data-testid="session-status">
            {statusText}
          </span>
          <span>{platformOf(session)}</span>
          {url ? (
            <a href={url} target="_blank" rel="noopener noreferrer">
              open thread
            </a>
          ) : null}
          <span>agent {session.agent.name}</span>
          <span>env {session.environment_id}</span>
          <span>{tokens(totalTokens(state.usage))} tokens</span>
          {costOf(session) ? <span>{costOf(session)}</span> : null}
          <span className={`conn conn-${conn}`} role="status">
            {conn === 'open' ? 'live' : conn}
          </span>
        </p>
      </div>
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      <fieldset className="view-tabs">
        <legend className="sr-only">View</legend>
        <button type="button" aria-pressed={view === 'timeline'} onClick={() => setView('timeline')}>
          Timeline
        </button>
        <button type="button" aria-pressed={view === 'trace'} onClick={() => setView('trace')}>
          Trace
        </button>
      </fieldset>
      {view === 'trace' ? (
        <Trace events={state.events} />
      ) : (
        <ol className="timeline" aria-label="Timeline">
          {state.items.map((item) => (
            <TimelineItem
              key={item.id}
              item={item}
              pending={item.kind === 'tool' && state.pending.includes(item.id)}
              onConfirm={confirm}
            />
          ))}
        </ol>
      )}
      <div ref={endRef} />
      <p className="sr-only" aria-live="polite">
        {state.pending.length > 0
          ? `${state.pending.length} tool call(s) need approval`
          : `Session ${statusText}`}
      </p>
      <Composer
        sessionId={id}
        running={status === 'running' || status === 'rescheduling'}
        terminated={status === 'terminated'}
      />
    </section>
  );
}
