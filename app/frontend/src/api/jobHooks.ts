/** react-query hooks of the Ask flow: a job polled while it waits or runs, the recent jobs, submit, cancel. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { useAskStore } from '../state/askStore';
import { shouldRetry } from './hooks';
import { isActive, jobsApi, type Job, type JobRequest } from './jobs';

/** How often a queued or running job is asked for. */
export const POLL_MS = 1000;
/** How many recent jobs the list shows. */
export const RECENT_LIMIT = 20;

export const jobKeys = {
  job: (id: number) => ['job', id] as const,
  list: (limit: number) => ['jobs', limit] as const,
};

/** One job; polled every POLL_MS while queued or running, then left alone (a finished job never changes). */
export function useJob(id: number | null) {
  const client = useQueryClient();
  const query = useQuery({
    queryKey: jobKeys.job(id ?? 0),
    queryFn: ({ signal }) => jobsApi.get(id!, signal),
    enabled: id !== null,
    retry: shouldRetry,
    refetchInterval: (q) => (q.state.data !== undefined && isActive(q.state.data.status) ? POLL_MS : false),
  });
  // when a job finishes, what it wrote (a new image, a model's new prompt) is in /models and /images: ask again
  const status = query.data?.status;
  const last = useRef(status);
  useEffect(() => {
    if (last.current !== undefined && last.current !== status && status === 'done') {
      void client.invalidateQueries({ queryKey: ['models'] });
      void client.invalidateQueries({ queryKey: ['images'] });
      void client.invalidateQueries({ queryKey: ['image'] });
      void client.invalidateQueries({ queryKey: ['tokens'] });
    }
    if (status !== undefined && last.current !== status) void client.invalidateQueries({ queryKey: ['jobs'] });
    last.current = status;
  }, [client, status]);
  return query;
}

/** The newest jobs (everyone's); polled every few seconds while one of them waits or runs. */
export function useRecentJobs(limit = RECENT_LIMIT) {
  return useQuery({
    queryKey: jobKeys.list(limit),
    queryFn: ({ signal }) => jobsApi.list(limit, signal),
    retry: shouldRetry,
    refetchInterval: (q) => (q.state.data?.jobs.some((job) => isActive(job.status)) ? 3 * POLL_MS : false),
  });
}

/** Queue a job with the stored token; remembers its id. */
export function useSubmitJob() {
  const client = useQueryClient();
  const token = useAskStore((s) => s.token);
  const remember = useAskStore((s) => s.remember);
  return useMutation({
    mutationFn: (job: JobRequest) => jobsApi.submit(job, token),
    onSuccess: (queued) => {
      remember(queued.id);
      void client.invalidateQueries({ queryKey: ['jobs'] });
    },
  });
}

/** Cancel a queued or running job; the answer (the job, now cancelled) replaces the cached one. */
export function useCancelJob() {
  const client = useQueryClient();
  const token = useAskStore((s) => s.token);
  return useMutation({
    mutationFn: (id: number) => jobsApi.cancel(id, token),
    onSuccess: (job: Job) => {
      client.setQueryData(jobKeys.job(job.id), job);
      void client.invalidateQueries({ queryKey: ['jobs'] });
    },
  });
}
