// Drops the keys whose value is undefined: command-line options passed on as optional properties, which the strict
// optional-property typing (exactOptionalPropertyTypes) does not let an explicit undefined fill.
export type DefinedOnly<T> = { [K in keyof T]?: Exclude<T[K], undefined> };

export function definedOnly<T extends Record<string, unknown>>(values: T): DefinedOnly<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as DefinedOnly<T>;
}
