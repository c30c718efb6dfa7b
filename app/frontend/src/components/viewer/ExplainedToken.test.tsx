// @vitest-environment happy-dom
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tokensBody } from '../../test/fixtures';
import { render } from '../../test/render';
import { ExplainedToken } from './ExplainedToken';

afterEach(() => vi.unstubAllGlobals());

describe('ExplainedToken', () => {
  it("names the prompt and the answer token a gradrollout map explains, with the token's text", async () => {
    const fetch = vi.fn(async (_url: string) => new Response(JSON.stringify(tokensBody({ prompt: 0 })), { headers: { 'Content-Type': 'application/json' } }));
    vi.stubGlobal('fetch', fetch);
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    const view = render(
      <QueryClientProvider client={client}>
        <ExplainedToken imageId="astronaut" model="qwen2_5_vl" prompt="0" token="7" />
      </QueryClientProvider>,
    );
    await act(async () => {
      await vi.waitFor(() => expect(view.container.textContent).toContain('astronaut'));
    });
    expect(view.container.textContent).toBe('gradrollout of prompt 0: relevance of the image to answer token 7 “ astronaut”');
    expect(String(fetch.mock.calls[0]?.[0])).toContain('/attention/astronaut/tokens?model=qwen2_5_vl&prompt=0');
    view.unmount();
  });

  it('shows nothing without the map headers', () => {
    const client = new QueryClient();
    const view = render(
      <QueryClientProvider client={client}>
        <ExplainedToken imageId="astronaut" model="qwen2_5_vl" prompt={null} token={null} />
      </QueryClientProvider>,
    );
    expect(view.container.textContent).toBe('');
    view.unmount();
  });
});
