// The shape every lib error shares: a stable `code` callers and the UI switch on, a `message`
// that says what is wrong and what to do, and optional structured `details`.
export class CodedError<C extends string> extends Error {
  readonly code: C;
  readonly details?: Record<string, unknown>;

  constructor(code: C, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}
