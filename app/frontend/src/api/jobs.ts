/**
 * The Ask flow's API: queue a job (`POST /jobs`, multipart), follow it (`GET /jobs/{id}`), list the
 * recent ones (`GET /jobs`), cancel one (`DELETE /jobs/{id}`). The write routes take the API token
 * as `Authorization: Bearer …` when one is given (a server with SSL_ATTENTION_API_TOKEN set needs it;
 * one without answers loopback clients only).
 */
import { request } from './client';
import type { components } from './schema.gen';

type Schemas = components['schemas'];

export type JobStatus = Schemas['Job']['status'];

/** What `GET /jobs/{id}` answers. `position` is set while queued (1 = next), null otherwise. */
export type Job = Schemas['Job'];

/** `POST /jobs`'s 202 answer. */
export type JobQueued = Schemas['JobCreated'];

export type JobList = Schemas['JobList'];

/** What to ask: an uploaded file or a gallery image, prompts (VLMs only), models. */
export interface JobRequest {
  image: File | null;
  imageId: string | null;
  prompts: string[];
  models: string[];
}

/** A job still waiting or running: worth polling. */
export const isActive = (status: JobStatus) => status === 'queued' || status === 'running';

function authorised(token: string): HeadersInit {
  const trimmed = token.trim();
  return trimmed ? { Authorization: `Bearer ${trimmed}` } : {};
}

/** The multipart body of `POST /jobs`: `image` or `image_id`, `prompt` and `model` repeated. */
export function jobForm(job: JobRequest): FormData {
  const form = new FormData();
  if (job.image !== null) form.append('image', job.image, job.image.name);
  else if (job.imageId !== null) form.append('image_id', job.imageId);
  for (const prompt of job.prompts) form.append('prompt', prompt);
  for (const model of job.models) form.append('model', model);
  return form;
}

export const jobsApi = {
  async submit(job: JobRequest, token: string, signal?: AbortSignal): Promise<JobQueued> {
    const response = await request('/jobs', signal, { method: 'POST', body: jobForm(job), headers: authorised(token) });
    return (await response.json()) as JobQueued;
  },
  async get(id: number, signal?: AbortSignal): Promise<Job> {
    return (await (await request(`/jobs/${id}`, signal)).json()) as Job;
  },
  async list(limit: number, signal?: AbortSignal): Promise<JobList> {
    return (await (await request(`/jobs?limit=${limit}`, signal)).json()) as JobList;
  },
  async cancel(id: number, token: string, signal?: AbortSignal): Promise<Job> {
    const response = await request(`/jobs/${id}`, signal, { method: 'DELETE', headers: authorised(token) });
    return (await response.json()) as Job;
  },
};
