/**
 * Calls `fn` when `signal` aborts; returns the function that cancels this subscription.
 *
 * All subscriptions on one signal share a single 'abort' listener, which is removed as soon as the last
 * subscription ends. A run passes one long-lived signal to every call, and up to `concurrency` calls can be
 * waiting on it at once (in a backoff, in the rate governor, or in flight): one listener each would exceed
 * Node's limit of 10 and print MaxListenersExceededWarning, and any listener not removed would accumulate.
 */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  let hub = hubs.get(signal);
  if (hub === undefined) {
    const created: Hub = { subscribers: new Set(), listener: () => fire(signal, created) };
    hubs.set(signal, created);
    signal.addEventListener('abort', created.listener, { once: true });
    hub = created;
  }
  // A fresh object per subscription, so the same function can be subscribed twice and cancelled once.
  const subscription = { fn };
  hub.subscribers.add(subscription);
  const active = hub;
  return () => {
    if (!active.subscribers.delete(subscription) || active.subscribers.size > 0) return;
    signal.removeEventListener('abort', active.listener);
    if (hubs.get(signal) === active) hubs.delete(signal);
  };
}

interface Hub {
  subscribers: Set<{ fn: () => void }>;
  listener: () => void;
}

const hubs = new WeakMap<AbortSignal, Hub>();

function fire(signal: AbortSignal, hub: Hub): void {
  if (hubs.get(signal) === hub) hubs.delete(signal);
  // Copy first: a subscriber may cancel other subscriptions while it runs.
  const subscribers = [...hub.subscribers];
  hub.subscribers.clear();
  for (const s of subscribers) s.fn();
}
