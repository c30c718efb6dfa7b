import { useEffect, useState } from 'react';
import { useCancelJob, useJob } from '../../api/jobHooks';
import { isActive, type Job } from '../../api/jobs';
import { ErrorState, Loading } from '../StatusViews';
import { JobResult } from './JobResult';

/** A job first in the queue for this long without a worker gets a hint about starting one. */
export const NO_WORKER_S = 15;

/** Seconds as `42 s` or `3 min 05 s`. */
export function formatElapsed(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

/** The time now, ticking every second while `on`. */
function useNow(on: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!on) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [on]);
  return now;
}

/** The line under the title: where the job is. */
function JobLine({ job, now }: { job: Job; now: number }) {
  const since = (iso: string | null, until: number) => (iso === null ? 0 : (until - Date.parse(iso)) / 1000);
  switch (job.status) {
    case 'queued':
      return (
        <>
          <p data-testid="job-position">Queued{job.position !== null ? ` · position ${job.position} in the queue` : ''}</p>
          {job.position === 1 && since(job.created_at, now) > NO_WORKER_S && (
            <p className="hint" data-testid="job-no-worker">
              No worker has taken it yet: is <code>precompute worker</code> running for {job.models.join(', ')} (<code>./dev.sh</code>{' '}
              starts one)?
            </p>
          )}
        </>
      );
    case 'running': {
      const { done, total } = job.progress;
      return (
        <div data-testid="job-progress">
          <p>
            Running · {done} of {total} done · {formatElapsed(since(job.started_at, now))}
          </p>
          <progress max={Math.max(total, 1)} value={done} />
        </div>
      );
    }
    case 'done':
      return (
        <p>
          Done
          {job.started_at !== null && job.finished_at !== null && ` in ${formatElapsed(since(job.started_at, Date.parse(job.finished_at)))}`}
        </p>
      );
    case 'failed':
      return (
        <p className="ask-error" role="alert" data-testid="job-error">
          Failed: {job.error ?? 'no reason given'}
        </p>
      );
    case 'cancelled':
      return <p className="muted">Cancelled{job.error ? `: ${job.error}` : ''}</p>;
  }
}

/** One job, followed while it waits or runs: status, progress, cancel; its maps and answers when done. */
export function JobCard({ jobId }: { jobId: number }) {
  const job = useJob(jobId);
  const cancel = useCancelJob();
  const active = job.data !== undefined && isActive(job.data.status);
  const now = useNow(active);
  if (job.isPending) return <Loading label="Loading the job…" />;
  if (job.isError) return <ErrorState error={job.error} onRetry={() => void job.refetch()} />;
  const data = job.data;
  return (
    <section className="ask-job" data-testid="job" data-status={data.status} aria-live="polite">
      <header className="ask-job-head">
        <h2>
          Job {data.id}
        </h2>
        <span className={`ask-status ask-status-${data.status}`} data-testid="job-status">
          {data.status}
        </span>
        {active && (
          <button type="button" className="button button-small" disabled={cancel.isPending} onClick={() => cancel.mutate(data.id)} data-testid="job-cancel">
            Cancel
          </button>
        )}
      </header>
      <p className="muted">
        {data.image_id} · {data.models.join(', ')}
        {data.prompts.length > 0 && ` · ${data.prompts.map((p) => `“${p}”`).join(', ')}`}
      </p>
      <JobLine job={data} now={now} />
      {cancel.isError && (
        <p className="ask-error" role="alert">
          {cancel.error.message}
        </p>
      )}
      {data.status === 'done' && <JobResult job={data} />}
    </section>
  );
}
