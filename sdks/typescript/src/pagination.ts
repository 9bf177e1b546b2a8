/** One page of a list: newest first, `hasMore` when older items follow. */
export interface Page<T> {
  data: T[];
  hasMore: boolean;
}

/**
 * A list call: `await` it for the first page, or `for await` over it for every item of every
 * page (fetched as the loop reaches them, following `hasMore` with `startingAfter`).
 */
export type ListPromise<T> = Promise<Page<T>> & AsyncIterable<T>;

export function paginate<Q extends { startingAfter?: string }, T extends { id: string }>(
  query: Q,
  fetchPage: (query: Q) => Promise<Page<T>>,
): ListPromise<T> {
  const first = fetchPage(query);
  // The first page may be iterated instead of awaited; its rejection is reported there.
  first.catch(() => undefined);
  return Object.assign(first, {
    async *[Symbol.asyncIterator]() {
      let page = await first;
      for (;;) {
        yield* page.data;
        const last = page.data[page.data.length - 1];
        if (!page.hasMore || !last) return;
        page = await fetchPage({ ...query, startingAfter: last.id });
      }
    },
  });
}
