// Named errors with codes, so callers catch by class (or code), never by message text.

export class RuntimeError extends Error {
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.name = new.target.name
    this.code = code
  }
}

/** A pid or subject token that breaks the `name@node` rules. */
export class PidError extends RuntimeError {
  constructor(message: string) {
    super('INVALID_PID', message)
  }
}

/** An inbound message whose envelope or body does not match its schema. */
export class ValidationError extends RuntimeError {
  readonly messageType: string
  readonly path: string
  readonly reason: string
  constructor(messageType: string, path: string, reason: string) {
    super('INVALID_MESSAGE', `invalid ${messageType}: ${path || '(body)'} ${reason}`)
    this.messageType = messageType
    this.path = path
    this.reason = reason
  }
}

/** A request that got no reply within its timeout. */
export class RequestTimeoutError extends RuntimeError {
  readonly to: string
  readonly messageType: string
  readonly timeoutMs: number
  constructor(to: string, messageType: string, timeoutMs: number) {
    super('REQUEST_TIMEOUT', `request ${messageType} to ${to} got no reply within ${timeoutMs} ms`)
    this.to = to
    this.messageType = messageType
    this.timeoutMs = timeoutMs
  }
}

/** Using a runtime, actor or transport after it was closed. */
export class ClosedError extends RuntimeError {
  constructor(what: string) {
    super('CLOSED', `${what} is closed`)
  }
}

/** The nats-server binary or a transport dependency is missing or failed to start. */
export class TransportError extends RuntimeError {
  constructor(message: string) {
    super('TRANSPORT', message)
  }
}
