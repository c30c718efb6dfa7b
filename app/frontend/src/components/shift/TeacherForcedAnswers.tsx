import './TeacherForcedAnswers.css';
import type { TokensBody } from '../../api/types';

/**
 * A teacher-forced VLM (precompute --answer-from NAME) answers with NAME's tokens, so its answer
 * tokens pair up with NAME's: both answers are shown — the forced one the maps are of (its tokens
 * are marked in the strip) and the model's own free answer. Nothing for a model's own answer.
 */
export function TeacherForcedAnswers({ data }: { data: Pick<TokensBody, 'model' | 'answer' | 'answer_from' | 'own_answer'> }) {
  const from = data.answer_from ?? null;
  if (from === null || from === data.model) return null;
  return (
    <div className="forced-answers" data-testid="forced-answers">
      <dl>
      <dt>
        <span className="forced-swatch" aria-hidden="true" /> Answer (teacher-forced from <b>{from}</b>)
      </dt>
      <dd data-testid="forced-answer">{data.answer}</dd>
      <dt>Own free answer of {data.model}</dt>
      <dd data-testid="own-answer">{data.own_answer ?? <span className="muted">not stored</span>}</dd>
      </dl>
      <p className="muted forced-note">
        The marked answer tokens are {from}'s, forced through {data.model} in one forward over the same token ids, so every
        answer token has a pair in {from}'s maps.
      </p>
    </div>
  );
}
