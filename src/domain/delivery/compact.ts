/** The type of `withoutUndefined(value)`: keys that may be undefined become optional keys. */
export type WithoutUndefined<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

/**
 * Drops keys whose value is undefined, so that an optional field left out is absent rather than
 * present-and-undefined: the two differ in canonical JSON (the hash chain) and in deep equality.
 */
export function withoutUndefined<T extends Record<string, unknown>>(value: T): WithoutUndefined<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as WithoutUndefined<T>;
}
