/** An operation of the OpenAPI document, with a concrete path to call. */
export interface OpenApiOperation {
  method: string;
  /** Path with its parameters filled in with harmless values. */
  path: string;
  /** The document's own path, e.g. `/notes/{id}`. */
  template: string;
  secured: boolean;
  hasBody: boolean;
}

interface Document {
  security?: unknown[];
  paths?: Record<string, Record<string, { security?: unknown[]; requestBody?: unknown } | undefined>>;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

/**
 * The operations of an OpenAPI 3.x document. An operation is secured when its own `security`,
 * or the document's, lists a requirement that is not empty (`{}` means "anonymous allowed").
 */
export function operationsOf(document: unknown): OpenApiOperation[] {
  const doc = document as Document | null;
  if (typeof doc !== 'object' || doc === null || typeof doc.paths !== 'object') {
    throw new Error('The OpenAPI document has no "paths": is it an OpenAPI 3 document?');
  }
  const operations: OpenApiOperation[] = [];
  for (const [template, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const security = operation.security ?? doc.security ?? [];
      const secured = security.length > 0 && security.every((r) => Object.keys(r as object).length > 0);
      operations.push({
        method: method.toUpperCase(),
        // A parameter becomes a value that exists nowhere: the scanner never guesses real ids.
        path: template.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000'),
        template,
        secured,
        hasBody: operation.requestBody !== undefined,
      });
    }
  }
  return operations;
}
