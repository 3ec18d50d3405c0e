// A tiny external store so high-rate niivue callbacks (crosshair drags) re-render only the
// component that shows them, not the whole viewer.
export type Store<T> = {
  get: () => T;
  set: (v: T) => void;
  subscribe: (listener: () => void) => () => void;
};

export function createStore<T>(initial: T): Store<T> {
  let value = initial;
  const listeners = new Set<() => void>();
  return {
    get: () => value,
    set(v) {
      value = v;
      listeners.forEach((l) => l());
    },
    subscribe(l) {
      listeners.add(l);
      return () => void listeners.delete(l);
    },
  };
}

/** What the status line shows for the crosshair. */
export type CursorInfo = {
  mm: [number, number, number];
  vox: [number, number, number];
  dims: [number, number, number];
  hu: number | null;
  /** non-background labels under the crosshair, per shown annotation */
  labels: { annotation: string; label: string }[];
};
