import '../components/ask/Ask.css';
import { useEffect } from 'react';
import { useSearchParams } from 'react-router';
import { AskForm } from '../components/ask/AskForm';
import { JobCard } from '../components/ask/JobCard';
import { RecentJobs } from '../components/ask/RecentJobs';

const ID = /^[1-9]\d{0,9}$/;

/** `/ask?job=<id>` (the job on screen: a link survives a reload) `&image=<gallery id>` (the image to ask about). */
export function AskPage() {
  const [search, setSearch] = useSearchParams();
  const raw = search.get('job');
  const jobId = raw !== null && ID.test(raw) ? Number(raw) : null;
  const image = search.get('image');
  const imageId = image !== null && image.length <= 500 ? image : null;
  useEffect(() => {
    document.title = 'Ask — ssl-attention';
  }, []);
  return (
    <div className="ask-page">
      <div className="ask-main">
        <h1>Ask</h1>
        <p className="muted">
          Upload an image (or pick one from the gallery), type a question for a VLM, choose models, and see where they looked. A worker
          runs the models; the maps land in the store and stay in the gallery.
        </p>
        {jobId !== null && <JobCard key={jobId} jobId={jobId} />}
        <AskForm initialImageId={imageId} onQueued={(id) => setSearch({ job: String(id) })} />
      </div>
      <aside className="ask-side">
        <RecentJobs current={jobId} />
      </aside>
    </div>
  );
}
