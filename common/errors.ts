/**
 * @fileoverview The one error type trit raises for bad input or an impossible request.
 *
 * Every TritError says *where* (file, node, tensor) and *what to do*; the CLI prints its message
 * without a stack trace. Anything else escaping is a bug in trit.
 */

/** Where an error points: the file, the ONNX node or IR node, and the tensor involved. */
export interface ErrorSite {
  file?: string;
  node?: string;
  tensor?: string;
}

/** An error caused by the input or the request, with a message fit for the user. */
export class TritError extends Error {
  readonly site: ErrorSite;
  readonly hint?: string;
  /** The message without its site and hint. */
  readonly detail: string;
  constructor(message: string, site: ErrorSite = {}, hint?: string) {
    const where = [site.file ? `${site.file}` : '', site.node ? `node '${site.node}'` : '', site.tensor ? `tensor '${site.tensor}'` : '']
      .filter(Boolean)
      .join(', ');
    super(`${where ? where + ': ' : ''}${message}${hint ? `\n  hint: ${hint}` : ''}`);
    this.name = 'TritError';
    this.site = site;
    this.hint = hint;
    this.detail = message;
  }

  /** The same error, saying which file it is about when it did not yet. */
  inFile(file: string | undefined): TritError {
    return this.site.file || !file ? this : new TritError(this.detail, { ...this.site, file }, this.hint);
  }
}

/** Throws a TritError unless `cond` holds. */
export function check(cond: unknown, message: string, site: ErrorSite = {}, hint?: string): asserts cond {
  if (!cond) throw new TritError(message, site, hint);
}
