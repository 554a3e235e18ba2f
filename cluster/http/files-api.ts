// The agent's sandbox files API (Mesos src/files/files.cpp): `/files/browse?path=`,
// `/files/read?path=&offset=&length=` (JSON `{data, offset}`) and `/files/download?path=`.
//
// Mesos serves only "attached" paths: each executor run directory, under its real path and under
// the virtual `/frameworks/<fw>/executors/<ex>/runs/<run>` (src/slave/slave.cpp attach). Here
// every run directory under `<work_dir>/slaves/<this agent>/` counts as attached, the finished
// ones too (as Mesos keeps them attached until sandbox GC), and nothing else is: not the meta
// directory, not another agent's sandboxes. A path with a `..` component, a path outside every
// sandbox, or one that a symlink leads out of its sandbox is refused with 403 (Mesos answers 400
// "'...' is inaccessible" for the last case, 404 for unattached paths; the issue asks for 403,
// which is what a refusal is). A path inside a sandbox that does not exist is 404.
import { createReadStream, lstatSync, readdirSync, realpathSync, statSync, type Stats, openSync, readSync, closeSync, fstatSync } from 'node:fs'
import { userInfo } from 'node:os'
import { basename, extname, join, sep } from 'node:path'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { methodNotAllowed, textError } from './http-replies.js'

/** Mesos caps one read at 16 pages (`os::pagesize() * 16`). */
export const MAX_READ_LENGTH = 16 * 4096

/** Why a path is refused; `status` is the HTTP answer. */
export class FilesError extends Error {
  constructor(
    readonly status: 400 | 403 | 404,
    message: string,
  ) {
    super(message)
    this.name = 'FilesError'
  }
}

/** Where this agent's sandboxes are: `<workDir>/slaves/<agentId>` (undefined before registration). */
export interface SandboxScope {
  workDir: string
  agentId(): string | undefined
}

function realOrUndefined(path: string): string | undefined {
  try {
    return realpathSync(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
    throw err
  }
}

function within(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep)
}

/**
 * The real path a requested path stands for, or a FilesError: 400 for no path, 403 for `..` or
 * anything outside a sandbox, 404 for what does not exist.
 */
export function resolveSandboxPath(scope: SandboxScope, requested: string | undefined): string {
  if (requested === undefined || requested === '') throw new FilesError(400, "Expecting 'path=value' in query.\n")
  if (requested.includes('\0')) throw new FilesError(400, `'${requested.replaceAll('\0', '\\0')}' contains a NUL byte.\n`)
  const segments = requested.split('/')
  if (segments.includes('..')) throw new FilesError(403, `'${requested}' is inaccessible: '..' is not allowed in a sandbox path.\n`)
  const agentId = scope.agentId()
  if (agentId === undefined) throw new FilesError(404, 'This agent has no sandboxes yet (it is not registered).\n')
  const parts = segments.filter(s => s !== '' && s !== '.')
  const base = join(scope.workDir, 'slaves', agentId)
  const baseParts = base.split('/').filter(s => s !== '')
  let rel: string[]
  if (parts[0] === 'frameworks') rel = parts // Mesos's virtual path, relative to the agent's directory
  else if (requested.startsWith('/') && baseParts.every((p, i) => parts[i] === p)) rel = parts.slice(baseParts.length)
  else {
    // The work dir may be given through a symlink (/tmp on some hosts): compare real paths too.
    const realBase = realOrUndefined(base)
    const realParts = realBase?.split('/').filter(s => s !== '')
    if (!requested.startsWith('/') || !realParts || !realParts.every((p, i) => parts[i] === p)) {
      throw new FilesError(403, `'${requested}' is inaccessible: it is not inside a sandbox of this agent.\n`)
    }
    rel = parts.slice(realParts.length)
  }
  if (rel.length < 6 || rel[0] !== 'frameworks' || rel[2] !== 'executors' || rel[4] !== 'runs') {
    throw new FilesError(403, `'${requested}' is inaccessible: it is not inside a sandbox of this agent.\n`)
  }
  const root = join(base, ...rel.slice(0, 6))
  const realRoot = realOrUndefined(root)
  if (realRoot === undefined) throw new FilesError(404, `'${requested}' does not exist.\n`)
  const realBase = realOrUndefined(base)
  // `runs/latest` is the agent's own symlink to a run; anything else leaving the tree is not ours.
  if (realBase === undefined || !within(realBase, realRoot)) throw new FilesError(403, `'${requested}' is inaccessible: its sandbox leads out of the agent's work directory.\n`)
  const real = realOrUndefined(join(root, ...rel.slice(6)))
  if (real === undefined) throw new FilesError(404, `'${requested}' does not exist.\n`)
  if (!within(realRoot, real)) throw new FilesError(403, `'${requested}' is inaccessible: a symlink leads out of its sandbox.\n`)
  return real
}

/** `drwxr-xr-x`, as Mesos's FileInfo mode in /files/browse. */
function modeString(s: Stats): string {
  const type = s.isDirectory() ? 'd' : s.isSymbolicLink() ? 'l' : s.isFIFO() ? 'p' : s.isSocket() ? 's' : s.isCharacterDevice() ? 'c' : s.isBlockDevice() ? 'b' : '-'
  const rwx = 'rwxrwxrwx'
  let out = type
  for (let i = 0; i < 9; i++) out += s.mode & (1 << (8 - i)) ? rwx[i] : '-'
  return out
}

const me = (() => {
  try {
    return userInfo()
  } catch {
    return undefined
  }
})()

/** Mesos's FileInfo model: uid and gid as names where known (only our own user here). */
function fileInfo(path: string, s: Stats): Record<string, unknown> {
  const uid = me && s.uid === me.uid ? me.username : String(s.uid)
  return { path, nlink: s.nlink, size: s.size, mtime: Math.floor(s.mtimeMs / 1000), mode: modeString(s), uid, gid: String(s.gid) }
}

/** `/files/browse`: the entries of a directory, sorted by path; symlinks described as links. */
export function browse(scope: SandboxScope, requested: string | undefined): Record<string, unknown>[] {
  const real = resolveSandboxPath(scope, requested)
  const prefix = requested!.endsWith('/') ? requested!.slice(0, -1) : requested!
  if (!statSync(real).isDirectory()) return [] // Mesos: os::ls fails on a file, and the listing is empty
  const out: Array<Record<string, unknown>> = []
  for (const entry of readdirSync(real).sort()) {
    let s: Stats
    try {
      // lstat: a link out of the sandbox must not reveal its target's size or times.
      s = lstatSync(join(real, entry))
    } catch {
      continue
    }
    out.push(fileInfo(`${prefix}/${entry}`, s))
  }
  return out
}

function integerParam(value: string | undefined, name: 'offset' | 'length'): number | undefined {
  if (value === undefined) return undefined
  if (!/^-?\d+$/.test(value.trim())) throw new FilesError(400, `Failed to parse ${name}: Failed to convert '${value}' to number.\n`)
  const n = Number(value.trim())
  if (n < -1) throw new FilesError(400, `Negative ${name} provided: ${n}.\n`)
  return n
}

/** Up to `length` bytes (capped at MAX_READ_LENGTH) from `offset`, and the file's size. */
export function readRange(scope: SandboxScope, path: string | undefined, offset: number, length: number | undefined): { size: number; bytes: Buffer } {
  const real = resolveSandboxPath(scope, path)
  if (statSync(real).isDirectory()) throw new FilesError(400, 'Cannot read a directory.\n')
  const fd = openSync(real, 'r')
  try {
    const size = fstatSync(fd).size
    if (offset >= size) return { size, bytes: Buffer.alloc(0) }
    const want = Math.min(length ?? size - offset, MAX_READ_LENGTH, size - offset)
    const buffer = Buffer.alloc(want)
    const n = want === 0 ? 0 : readSync(fd, buffer, 0, want, offset)
    return { size, bytes: buffer.subarray(0, n) }
  } finally {
    closeSync(fd)
  }
}

/**
 * `/files/read`: `{data, offset}`. `offset=-1` (the web UI's pailer asks so first) answers the
 * file's size as the offset and no data; at most MAX_READ_LENGTH bytes are read per call.
 */
export function read(scope: SandboxScope, query: Record<string, string | undefined>): { data: string; offset: number } {
  if (query.path === undefined || query.path === '') throw new FilesError(400, "Expecting 'path=value' in query.\n")
  const offset = integerParam(query.offset, 'offset') ?? -1
  const length = integerParam(query.length, 'length')
  if (offset === -1) return { data: '', offset: readRange(scope, query.path, 0, 0).size }
  const { bytes } = readRange(scope, query.path, offset, length === -1 ? undefined : length)
  return { data: bytes.toString('utf8'), offset }
}

/** Mesos's v1 FileInfo (LIST_FILES): mode as a number, mtime as a TimeInfo. */
export function v1FileInfos(scope: SandboxScope, path: string): Array<Record<string, unknown>> {
  const real = resolveSandboxPath(scope, path)
  const prefix = path.endsWith('/') ? path.slice(0, -1) : path
  if (!statSync(real).isDirectory()) return []
  const out: Array<Record<string, unknown>> = []
  for (const entry of readdirSync(real).sort()) {
    let st: Stats
    try {
      st = lstatSync(join(real, entry))
    } catch {
      continue
    }
    const uid = me && st.uid === me.uid ? me.username : String(st.uid)
    out.push({ path: `${prefix}/${entry}`, nlink: st.nlink, size: st.size, mtime: { nanoseconds: Math.floor(st.mtimeMs) * 1e6 }, mode: st.mode, uid, gid: String(st.gid) })
  }
  return out
}

const MIME: Readonly<Record<string, string>> = {
  '.txt': 'text/plain',
  '.log': 'text/plain',
  '.json': 'application/json',
  '.html': 'text/html',
  '.htm': 'text/html',
  '.css': 'text/css',
  '.js': 'application/javascript',
  '.xml': 'application/xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.gif': 'image/gif',
  '.gz': 'application/x-gzip',
  '.tar': 'application/x-tar',
  '.zip': 'application/zip',
}

function answer(reply: FastifyReply, err: unknown): FastifyReply {
  if (err instanceof FilesError) return textError(reply, err.status, err.message)
  throw err
}

function queryOf(request: FastifyRequest): Record<string, string | undefined> {
  const q = (request.query ?? {}) as Record<string, string | string[] | undefined>
  const out: Record<string, string | undefined> = {}
  for (const [k, v] of Object.entries(q)) out[k] = Array.isArray(v) ? v[0] : v
  return out
}

/** `/files/browse`, `/files/read`, `/files/download` (and Mesos's `.json` aliases). GET/HEAD only. */
export function filesRoutes(scope: SandboxScope): FastifyPluginAsync {
  return async app => {
    const get = (paths: string[], handler: (request: FastifyRequest, reply: FastifyReply) => unknown): void => {
      for (const path of paths) {
        app.all(path, async (request, reply) => {
          if (request.method !== 'GET' && request.method !== 'HEAD') return methodNotAllowed(reply, ['GET', 'HEAD'], request.method)
          try {
            return await handler(request, reply)
          } catch (err) {
            return answer(reply, err)
          }
        })
      }
    }
    get(['/files/browse', '/files/browse.json'], (request, reply) =>
      reply.header('Content-Type', 'application/json').send(JSON.stringify(browse(scope, queryOf(request).path))),
    )
    get(['/files/read', '/files/read.json'], (request, reply) => reply.header('Content-Type', 'application/json').send(JSON.stringify(read(scope, queryOf(request)))))
    get(['/files/download', '/files/download.json'], (request, reply) => {
      const real = resolveSandboxPath(scope, queryOf(request).path)
      if (statSync(real).isDirectory()) throw new FilesError(400, 'Cannot download a directory.\n')
      return reply
        .header('Content-Type', MIME[extname(real).toLowerCase()] ?? 'application/octet-stream')
        .header('Content-Disposition', `attachment; filename=${basename(real)}`)
        .send(createReadStream(real))
    })
  }
}
