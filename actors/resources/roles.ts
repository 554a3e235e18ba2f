/**
 * Role names (Mesos src/common/roles.cpp): `*` or a path of `/`-separated components, none of
 * them empty, `.`, `..` or `*`, none starting with `-`, none holding whitespace or control characters.
 */
export function roleError(role: string): string | undefined {
  if (role === '*') return undefined
  if (role === '') return 'a role name cannot be empty'
  if (role.startsWith('/')) return `role '${role}' cannot start with a slash`
  if (role.endsWith('/')) return `role '${role}' cannot end with a slash`
  if (role.includes('//')) return `role '${role}' cannot contain two adjacent slashes`
  for (const c of role.split('/')) {
    if (c === '.' || c === '..' || c === '*') return `role '${role}' cannot include '${c}' as a component`
    if (c.startsWith('-')) return `role component '${c}' cannot start with a dash`
    // eslint-disable-next-line no-control-regex
    if (/[\s\x00-\x1f\x7f]/.test(c)) return `role component '${c}' cannot contain whitespace or control characters`
  }
  return undefined
}

export function isValidRole(role: string): boolean {
  return roleError(role) === undefined
}

/** `eng/frontend/web` -> [`eng/frontend`, `eng`]: nearest first. */
export function roleAncestors(role: string): string[] {
  const out: string[] = []
  let i = role.lastIndexOf('/')
  while (i > 0) {
    out.push(role.slice(0, i))
    i = role.lastIndexOf('/', i - 1)
  }
  return out
}

/** The parent role, or undefined for a top-level role. */
export function parentRole(role: string): string | undefined {
  const i = role.lastIndexOf('/')
  return i > 0 ? role.slice(0, i) : undefined
}
