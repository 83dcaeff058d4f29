import type { DocumentNode } from 'graphql';

/**
 * The operations whose variable-dependent rules (the cost limit, the storable-text check) already
 * passed with these very variables: both rules read only the schema, the document and the
 * variables, so a query sent again with the same variables passes again, and is not walked again
 * on every request (issue #16: the walk was ~5 % of a request's CPU under load).
 *
 * Only passes are remembered (a refusal is worked out afresh, so its errors are never shared
 * between requests), only for queries (a mutation's variables may carry uploads, which are not
 * plain JSON), and only small variable sets. The documents are mercurius's cached ones (the same
 * object for the same text), so entries go when mercurius drops the document.
 */
export class CheckedVariables {
  readonly #passed = new WeakMap<DocumentNode, Set<string>>();

  constructor(
    private readonly perDocument = 256,
    private readonly maxKeyLength = 2048,
  ) {}

  /** The key of these variables for this document, or undefined when they are not to be remembered. */
  keyOf(document: DocumentNode, variables: Record<string, unknown> | undefined): string | undefined {
    if (!document.definitions.every((d) => d.kind === 'FragmentDefinition' || (d.kind === 'OperationDefinition' && d.operation === 'query'))) return undefined;
    const key = variables === undefined ? '' : JSON.stringify(variables);
    return key.length <= this.maxKeyLength ? key : undefined;
  }

  passed(document: DocumentNode, key: string | undefined): boolean {
    return key !== undefined && this.#passed.get(document)?.has(key) === true;
  }

  remember(document: DocumentNode, key: string | undefined): void {
    if (key === undefined) return;
    let keys = this.#passed.get(document);
    if (!keys) this.#passed.set(document, (keys = new Set()));
    if (keys.size >= this.perDocument) keys.clear();
    keys.add(key);
  }
}
