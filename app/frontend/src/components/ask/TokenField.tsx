import { useState } from 'react';
import { useAskStore } from '../../state/askStore';

/**
 * The API token (SSL_ATTENTION_API_TOKEN of the server), sent as `Authorization: Bearer …` with
 * submit and cancel; kept in this browser's localStorage. A server without a token needs none from
 * the machine it runs on. `needed`: the server refused a job for want of it (401/403): shown open.
 */
export function TokenField({ needed = false }: { needed?: boolean }) {
  const token = useAskStore((s) => s.token);
  const setToken = useAskStore((s) => s.setToken);
  const [open, setOpen] = useState(token !== '');
  if (!open && !needed && token === '') {
    return (
      <button type="button" className="button button-quiet button-small" onClick={() => setOpen(true)} data-testid="ask-token-open">
        API token…
      </button>
    );
  }
  return (
    <label className="ask-token">
      <span>API token</span>
      <input
        type="password"
        autoComplete="off"
        value={token}
        placeholder="the server's SSL_ATTENTION_API_TOKEN"
        onChange={(event) => setToken(event.target.value)}
        data-testid="ask-token"
      />
      <span className="hint">Kept in this browser (localStorage); sent only to this server with submit and cancel.</span>
    </label>
  );
}
