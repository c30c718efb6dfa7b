import { Link } from 'react-router';
import { useRecentJobs } from '../../api/jobHooks';
import { useAskStore } from '../../state/askStore';
import { ErrorState } from '../StatusViews';

/** The newest jobs (GET /jobs), each reopening its job; the ones queued from this browser are marked. */
export function RecentJobs({ current }: { current: number | null }) {
  const jobs = useRecentJobs();
  const mine = useAskStore((s) => s.jobIds);
  return (
    <section className="ask-recent" data-testid="recent-jobs">
      <h2>Recent jobs</h2>
      {jobs.isError && <ErrorState error={jobs.error} onRetry={() => void jobs.refetch()} />}
      {jobs.data?.jobs.length === 0 && <p className="muted">No jobs yet.</p>}
      <ul>
        {jobs.data?.jobs.map((job) => (
          <li key={job.id} className={job.id === current ? 'active' : undefined}>
            <Link to={`/ask?job=${job.id}`} data-testid="recent-job" data-id={job.id} data-status={job.status}>
              <span className="ask-job-id">#{job.id}</span>
              <span className={`ask-status ask-status-${job.status}`}>{job.status}</span>
              <span className="ask-recent-image">{job.image_id}</span>
              <span className="muted">
                {job.models.join(', ')}
                {mine.includes(job.id) ? ' · yours' : ''}
              </span>
            </Link>
          </li>
        ))}
      </ul>
    </section>
  );
}
