// Named errors of the example frameworks, caught by class (or `code`).

/** An option a framework cannot run with; found before it subscribes. */
export class FrameworkInputError extends Error {
  readonly code = 'FRAMEWORK_INPUT'
  /** The option at fault, named as the CLI flag would be (`instances`, `resources`, `kill_after`). */
  readonly option: string
  constructor(option: string, reason: string) {
    super(`${option}: ${reason}`)
    this.name = 'FrameworkInputError'
    this.option = option
  }
}
