import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';

export interface RequestState<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** Runs the request again (the retry button, or a refresh after a change). */
  reload(): void;
}

/**
 * Loads `fetcher` whenever `key` changes; an answer to an older key is dropped (its request is
 * aborted), so a fast typist never sees the results of an earlier search replace a later one.
 * `quiet` reloads keep the data on screen (polling) instead of showing a spinner.
 */
export function useRequest<T>(
  key: string,
  fetcher: (signal: AbortSignal) => Promise<T>,
): RequestState<T> & { reloadQuietly(): void; update(change: (data: T) => T): void } {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);
  const quiet = useRef(false);
  const fetcherRef = useRef(fetcher);
  // Layout effects run before the loading effect below: it always calls the latest fetcher.
  useLayoutEffect(() => {
    fetcherRef.current = fetcher;
  });

  useEffect(() => {
    const controller = new AbortController();
    if (!quiet.current) setLoading(true);
    quiet.current = false;
    fetcherRef.current(controller.signal).then(
      (result) => {
        if (controller.signal.aborted) return;
        setData(result);
        setError(undefined);
        setLoading(false);
      },
      (failure: unknown) => {
        if (controller.signal.aborted) return;
        setError(failure);
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [key, generation]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  const reloadQuietly = useCallback(() => {
    quiet.current = true;
    setGeneration((g) => g + 1);
  }, []);
  /** Changes what is shown without asking again, for a change whose answer already says the result. */
  const update = useCallback((change: (data: T) => T) => setData((current) => (current === undefined ? current : change(current))), []);
  return { data, error, loading, reload, reloadQuietly, update };
}
