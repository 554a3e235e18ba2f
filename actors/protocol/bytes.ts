// Protobuf `bytes` fields (TaskStatus.uuid and .data, StatusUpdate.uuid, the Acknowledge uuid,
// framework message `data`, TaskInfo.data, ExecutorInfo.data) are base64 strings everywhere:
// in v1 JSON, where Mesos puts them that way, and in our msgpack envelopes too.
//
// Why one representation rather than Uint8Array on the bus: the HTTP layer then passes them
// through untouched in both directions, so a v1 client that echoes a status uuid back in
// ACKNOWLEDGE (or decodes it and re-encodes it) always hands us the very string we issued, and
// the master and the status update manager can compare and index uuids as plain strings (Map
// keys) without converting. The cost, a third more bytes, matters only for large framework
// messages, which Mesos itself discourages. A status update uuid is the base64 of 16 random
// bytes (24 characters), not the hyphenated UUID text: that text is not valid base64, and v1
// client libraries that decode the field would reject it.
//
// The schemas check only `string` (no base64 pattern on hot fields); decodeBytes() is where a
// consumer that needs the bytes finds out.

/** Standard base64 (with padding) of `bytes`. */
export function encodeBytes(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}

/**
 * The bytes of a base64 string (standard or URL-safe alphabet). Lenient like Node's decoder:
 * characters outside the alphabet are skipped, so check the length when it matters.
 */
export function decodeBytes(base64: string): Uint8Array {
  const buf = Buffer.from(base64, 'base64')
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
}
