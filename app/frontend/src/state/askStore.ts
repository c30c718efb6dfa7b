/**
 * The Ask panel's state that outlives a page (Zustand, kept in localStorage): the API token a
 * server with SSL_ATTENTION_API_TOKEN needs for `POST`/`DELETE /jobs`, and the ids of the jobs
 * queued from this browser (newest first). The job on screen is in the URL (`/ask?job=<id>`); a
 * file dropped on the gallery waits here (in memory only) until the panel takes it.
 */
import { create } from 'zustand';
import { createJSONStorage, persist } from 'zustand/middleware';

/** How many of this browser's job ids are remembered. */
export const MAX_REMEMBERED = 50;

export interface AskStore {
  token: string;
  jobIds: number[];
  /** a file dropped on the gallery, for the panel to take (not persisted) */
  pendingFile: File | null;
  setToken(token: string): void;
  remember(jobId: number): void;
  setPendingFile(file: File | null): void;
  takePendingFile(): File | null;
}

export const useAskStore = create<AskStore>()(
  persist(
    (set, get) => ({
      token: '',
      jobIds: [],
      pendingFile: null,
      setToken: (token) => set({ token }),
      remember: (jobId) => set({ jobIds: [jobId, ...get().jobIds.filter((id) => id !== jobId)].slice(0, MAX_REMEMBERED) }),
      setPendingFile: (pendingFile) => set({ pendingFile }),
      takePendingFile: () => {
        const file = get().pendingFile;
        if (file !== null) set({ pendingFile: null });
        return file;
      },
    }),
    {
      name: 'ssl-attention-ask',
      storage: createJSONStorage(() => localStorage),
      partialize: (state) => ({ token: state.token, jobIds: state.jobIds }),
    },
  ),
);
