import { useTokens } from '../../api/hooks';

/**
 * Which answer token a VLM `gradrollout` map explains (precompute's `--answer-token`): the map's
 * `X-Prompt` and `X-Token`, and the token's text from the prompt's token list.
 */
export function ExplainedToken({
  imageId,
  model,
  prompt,
  token,
}: {
  imageId: string;
  model: string;
  prompt: string | null | undefined;
  token: string | null | undefined;
}) {
  const promptIndex = prompt == null ? null : Number(prompt);
  const tokenIndex = token == null ? null : Number(token);
  const tokens = useTokens(promptIndex === null ? null : { imageId, model, prompt: promptIndex, head: null });
  if (promptIndex === null || tokenIndex === null) return null;
  const text = tokens.data?.prompt === promptIndex ? tokens.data.tokens[tokenIndex]?.text : undefined;
  return (
    <div className="muted" data-testid="explained-token">
      gradrollout of prompt {promptIndex}: relevance of the image to answer token {tokenIndex}
      {text !== undefined && <> “{text}”</>}
    </div>
  );
}
