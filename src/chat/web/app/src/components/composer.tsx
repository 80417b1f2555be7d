import { useState } from 'react';
import { sessions } from '../api.js';

/** Sends a message (steering, when the agent is running) and interrupts a run. */
export function Composer({
  sessionId,
  running,
  terminated,
}: {
  sessionId: string;
  running: boolean;
  terminated: boolean;
}) {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const send = async () => {
    const message = text.trim();
    if (!message) return;
    setBusy(true);
    setError(null);
    try {
      await sessions.send(sessionId, [{ type: 'user.message', content: [{ type: 'text', text: message }] }]);
      setText('');
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  const interrupt = async () => {
    setError(null);
    try {
      await sessions.send(sessionId, [{ type: 'user.interrupt' }]);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  if (terminated) return <p className="muted composer">This session is terminated.</p>;
  return (
    <form
      className="composer"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      <label htmlFor="composer-text" className="sr-only">
        {running ? 'Message to steer the running agent' : 'Message'}
      </label>
      <textarea
        id="composer-text"
        rows={2}
        value={text}
        placeholder={running ? 'Steer the agent while it works…' : 'Reply…'}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
            e.preventDefault();
            void send();
          }
        }}
      />
      <div className="composer-actions">
        {running ? (
          <button type="button" className="danger" onClick={() => void interrupt()}>
            Interrupt
          </button>
        ) : null}
        <button type="submit" className="primary" disabled={busy || !text.trim()}>
          Send
        </button>
      </div>
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
    </form>
  );
}
