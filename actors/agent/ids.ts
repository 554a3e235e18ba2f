// Ids the agent and its executors generate: status update uuids and container ids. Both come
// from an injectable random source so a seeded simulation replays byte for byte.

/** A source of floats in [0, 1): `Math.random` by default, a seeded Prng's `next` in simulation. */
export type RandomSource = () => number

function randomBytes16(random: RandomSource): Uint8Array {
  const bytes = new Uint8Array(16)
  for (let i = 0; i < 16; i++) bytes[i] = Math.floor(random() * 256) & 0xff
  return bytes
}

/**
 * A status update uuid as the protocol carries it: base64 of 16 random bytes (bytes.ts explains
 * why not the hyphenated text form).
 */
export function newStatusUuid(random: RandomSource): string {
  return Buffer.from(randomBytes16(random)).toString('base64')
}

/**
 * The agent process's boot id (RegisterAgent.boot_id): drawn once per process start, so that
 * the master can tell this process's registration retries from those of an earlier one.
 */
export function newBootId(random: RandomSource): string {
  return Buffer.from(randomBytes16(random)).toString('hex')
}

/** A container id in Mesos's form: a version-4 UUID in its hyphenated text form. */
export function newContainerId(random: RandomSource): string {
  const b = randomBytes16(random)
  b[6] = (b[6]! & 0x0f) | 0x40
  b[8] = (b[8]! & 0x3f) | 0x80
  const hex = Buffer.from(b).toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
